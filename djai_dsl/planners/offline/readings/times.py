"""Time conditions: "last month", "in 2024", "before March", "in 2024 or 2025".

Each time expression becomes a condition on the reading's date field (see
:mod:`.fields`); periods joined by "and"/"or" become one condition that either matches.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.conditions import compare
from djai_dsl.planners.offline.readings.fields import time_field


def add_times(b: ReadingBuilder) -> None:
    """A condition for each time expression (joined periods: one ``or``)."""
    pending: list[p.Condition] = []  # "in 2024 and 2025": one condition, either period
    for index, (hit, m) in enumerate(b.r.times):
        path = time_field(b, m)
        if path is None:
            b.reading.score -= 0.8
            b.reading.problems.append(f"{b.info.verbose_name_plural} have no date")
            continue
        cond: p.Condition | None = None
        if hit.kind == "window" and hit.window is not None:
            cond = p.TimeWindow(field=path, window=hit.window)
        elif hit.kind == "compare":
            cond = compare(path, hit.op, hit.low)
        elif hit.kind == "between":
            cond = p.Between(field=path, low=hit.low, high=hit.high)
        if cond is None:
            continue
        pending.append(cond)
        following = b.r.times[index + 1][0] if index + 1 < len(b.r.times) else None
        joined = following is not None and b.c.words[hit.end : following.start] in (
            ["and"],
            ["or"],
            ["and", "in"],
            ["or", "in"],
        )
        if not joined:
            b.conditions.append(pending[0] if len(pending) == 1 else p.Or(conditions=pending))
            pending = []
        b.reading.score += 0.3
