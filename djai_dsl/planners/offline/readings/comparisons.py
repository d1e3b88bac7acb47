"""Comparisons: "cheaper than 20", "longer than 5 minutes", "between 10 and 20".

The number is compared with the numeric field named with it, else with the field of the
dimension it implies (a duration: the length), else with the source's main amount (an
assumption, noted). Durations are scaled to the field's unit (milliseconds, seconds).
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.manifest.types import NUMERIC_TYPES, FieldInfo
from djai_dsl.planners.offline.cues import Comparison
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.naming import number
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.conditions import across
from djai_dsl.planners.offline.readings.fields import dimension_field


def add_comparisons(b: ReadingBuilder) -> None:
    """A condition for each comparison of a row's value."""
    for comp, m in b.r.compares:
        path, f = _compare_field(b, comp, m)
        if path is None or f is None:
            b.reading.score -= 0.4
            b.reading.problems.append("a number without a field to compare")
            continue
        low, high = _scaled(comp, f)
        cond: p.Condition
        if comp.op == "between":
            cond = p.Between(field=path, low=low, high=high)  # type: ignore[arg-type]
        else:
            cond = p.Compare(field=path, op=comp.op, value=low)  # type: ignore[arg-type]
        b.conditions.append(across(b, path, cond))


def _compare_field(
    b: ReadingBuilder, comp: Comparison, m: Mention | None
) -> tuple[str | None, FieldInfo | None]:
    """The path and field a comparison is about, or (None, None)."""
    if m is not None:
        best = None
        for s in m.of_kind("field", "measure"):
            if s.kind == "measure":
                continue
            f = b.c.field_info(s)
            score, route = b.c.sense_reach(s, b.source)
            if f is None or route is None or f.type not in NUMERIC_TYPES:
                continue
            if best is None or score > best[0]:
                best = (score, route.join(s.name), f)
        if best is not None:
            b.credit(m, best[0])
            return best[1], best[2]
    if comp.dimension or comp.seconds is not None:
        dim = comp.dimension or "length"
        found = dimension_field(b, dim)
        if found is not None:
            return found, b.info.fields[found]
    if b.profile.amount_field:
        b.reading.penalize(0.85, f"compared {b.profile.amount_field}")
        return b.profile.amount_field, b.info.fields[b.profile.amount_field]
    return None, None


def _scaled(comp: Comparison, f: FieldInfo) -> tuple[float | int, float | int | None]:
    """Durations said in minutes or hours, compared with a field kept in milliseconds
    or seconds (read from the field's name, verbose name and description)."""
    low, high = comp.value, comp.high
    if comp.seconds is not None:
        words = f"{f.name} {f.verbose_name} {f.description}".lower()
        if "millisecond" in words or "(ms)" in words or f.name.endswith("_ms"):
            low = comp.seconds * 1000
            high = (
                comp.seconds_high * 1000
                if comp.seconds_high is not None
                else (high * 1000 * (comp.seconds / comp.value) if high is not None else None)
            )
        elif "second" in words:
            low = comp.seconds
    return number(low), number(high) if high is not None else None
