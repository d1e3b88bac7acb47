"""The readings of a question: one per candidate source, built by the rules in order.

:func:`read` tries every candidate source model (see :mod:`..roles.sources`) and returns
the readings best score first; the planner compares them. :func:`build` runs the rules
of this package on one source, in the order in which they depend on each other (the
metric before the group keys it counts, the filters before the sort), then charges every
name left unexplained.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.planners.offline.readings.builder import Reading, ReadingBuilder
from djai_dsl.planners.offline.readings.comparisons import add_comparisons
from djai_dsl.planners.offline.readings.filters import add_filters
from djai_dsl.planners.offline.readings.groups import add_buckets, add_groups
from djai_dsl.planners.offline.readings.having import add_having
from djai_dsl.planners.offline.readings.metrics import add_metrics
from djai_dsl.planners.offline.readings.ordering import add_top_and_sort
from djai_dsl.planners.offline.readings.searches import add_name_searches, add_text_searches
from djai_dsl.planners.offline.readings.subjects import add_subjects
from djai_dsl.planners.offline.readings.times import add_times
from djai_dsl.planners.offline.roles import Composer, source_candidates


def read(composer: Composer) -> list[Reading]:
    """A reading per candidate source model, best score first."""
    out = []
    for source in source_candidates(composer):
        reading = build(ReadingBuilder(composer, source))
        if reading is not None:
            out.append(reading)
    out.sort(key=lambda rd: rd.score, reverse=True)
    return out


def build(b: ReadingBuilder) -> Reading | None:
    """The reading of ``b``'s source with its plan, or None when the source cannot answer
    (what is counted or computed does not fit it at all, or the plan does not validate)."""
    rd = b.reading
    add_subjects(b)
    add_metrics(b)
    if rd.problems and rd.score < -1.5:
        return None
    add_groups(b)
    add_buckets(b)
    add_filters(b)
    add_comparisons(b)
    add_text_searches(b)
    add_times(b)
    add_name_searches(b)
    add_having(b)
    add_top_and_sort(b)
    _penalize_unexplained(b)
    where = None
    if len(b.conditions) == 1:
        where = b.conditions[0]
    elif b.conditions:
        where = p.And(conditions=b.conditions)
    having = None
    if len(b.having) == 1:
        having = b.having[0]
    elif b.having:
        having = p.And(conditions=b.having)
    try:
        rd.plan = p.QueryPlan(
            source=b.source,
            where=where,
            select=b.select if not b.aggregates else [],
            group_by=b.group_keys,
            aggregates=b.aggregates,
            having=having,
            sort=b.sort,
            limit=b.limit,
        )
    except ValueError as exc:
        rd.problems.append(str(exc))
        return None
    return rd


def _penalize_unexplained(b: ReadingBuilder) -> None:
    """Names no rule used lower the score: a reading that ignores words is a worse one."""
    for m in b.c.mentions:
        if id(m) in b.used or m.role in ("searched", "sort", "entity"):
            continue
        if m.role in ("time_field",) and id(m) not in b.used:
            continue
        if m.role == "group" and any(g.field for g in b.group_keys):
            continue
        strongest = max((s.strength for s in m.senses), default=0.5)
        b.reading.score -= 0.2 * strongest
