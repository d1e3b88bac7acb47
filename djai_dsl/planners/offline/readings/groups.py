"""Group keys: "by country", "per customer", "per month".

A group name becomes field paths reachable through to-one relations (a related model
groups by its key and label fields). When the word could mean other fields about as well
("orders by country": shipping or customer country), the alternatives are kept for a
clarifying question. Time buckets group by the reading's date field.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.readings.builder import SUBJECT_BONUS, ReadingBuilder
from djai_dsl.planners.offline.readings.fields import time_field
from djai_dsl.planners.offline.readings.metrics import count_rows


def add_groups(b: ReadingBuilder) -> None:
    """Group keys for the groups and the entity of a top-N (unless it is the source)."""
    mentions = list(b.r.groups)
    if b.r.entity is not None and b.r.entity not in mentions:
        entity_is_source = any(s.model == b.source for s in b.r.entity.of_kind("model"))
        if not entity_is_source:
            mentions.insert(0, b.r.entity)
        else:
            strength = max(s.strength for s in b.r.entity.of_kind("model") if s.model == b.source)
            b.credit(b.r.entity, strength + SUBJECT_BONUS)
    for m in mentions:
        if any(s.model == b.source for s in m.of_kind("model")) and m.role == "group":
            b.credit(m, 0.3)  # "average quantity per order line": per row, no group
            continue
        paths = b.c.resolve_group_paths(m, b.source)
        if not paths:
            b.miss(m, "cannot be grouped by from here")
            continue
        _note_group_alternatives(b, m, paths)
        for path in paths:
            if not any(g.field == path and g.bucket is None for g in b.group_keys):
                b.group_keys.append(p.GroupKey(field=path))
        hit = b.best_sense(m, ("field", "relation", "model", "value"))
        b.credit(m, hit[1] if hit else 0.5)


def _note_group_alternatives(b: ReadingBuilder, m: Mention, chosen: list[str]) -> None:
    """Other fields the group word could mean, about as well: "orders by country" is
    the shipping country or the customer's country."""
    scored = []
    for s in m.of_kind("field"):
        score, route = b.c.sense_reach(s, b.source)
        if route is None or route.to_many or score <= 0:
            continue
        scored.append((score, route.join(s.name)))
    scored.sort(reverse=True)
    direct_strong = any(s.strength >= 1.0 and s.model == b.source for s in m.of_kind("field"))
    if direct_strong or len(m.of_kind("field")) < 2:
        return
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.3 and scored[0][1] in chosen:
        b.reading.group_alternatives.append([p.GroupKey(field=path) for _, path in scored[:3]])


def add_buckets(b: ReadingBuilder) -> None:
    """Time buckets ("per month") on the date field; rows are counted if nothing else."""
    if not b.r.buckets:
        return
    field_name = time_field(b, None)
    if field_name is None:
        return
    for hit in b.r.buckets:
        if hit.unit and not any(g.bucket for g in b.group_keys):
            b.group_keys.append(p.GroupKey(field=field_name, bucket=hit.unit))
            b.reading.score += 0.3
    if not b.aggregates:
        count_rows(b)
