"""Comparisons: a number compared with a row's field, or with a total per group (having).

"products cheaper than 20" compares a row's price; "customers with more than 5 orders"
and "countries with revenue above 10,000" compare a count or a sum per group (the name
before "with/who/that" is then the group). A comparison with no field named is left for
the reading to attach to a dimension ("longer than 5 minutes") or the main amount.
"""

from __future__ import annotations

from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.records import Metric

HAVING_LEADS = frozenset(
    {"with", "who", "that", "which", "whose", "having", "where", "have", "has", "had"}
)


def assign_comparisons(c: Composer) -> None:
    """Each comparison as a row condition (with its field, if named) or a having."""
    for comp in c.comparisons:
        after = c.mention_at(comp.end, reach=1)
        if (
            after is not None
            and not after.role
            and (after.has("model") or (c.has_numeric(after) and after.has("field", "measure")))
        ):
            if c.primary_kind(after) in ("model", "relation"):
                after.role = "counted_having"
                c.roles.having.append((comp, Metric("count", after, start=comp.start)))
            else:
                after.role = "metric_having"
                c.roles.having.append((comp, Metric("sum", after, start=comp.start)))
            continue
        before = c.mention_before(comp.start, reach=3)
        if before is not None and before.role == "metric":
            metric = next(mt for mt in c.roles.metrics if mt.mention is before)
            if _entity_before(c, before.start) is not None or c.roles.groups:
                c.roles.having.append((comp, metric))
                continue
        if before is not None and not before.role and c.numeric_primary(before):
            entity = _entity_before(c, before.start)
            if entity is not None and not _owns(c, entity, before):
                # "shipping countries with revenue above ...", "customers who spent
                # more than ...": a total per group, not a row's value
                before.role = "metric_having"
                c.roles.having.append((comp, Metric("sum", before, start=comp.start)))
                continue
            before.role = "compare_field"
            c.roles.compares.append((comp, before))
            continue
        if before is not None and before.role == "metric" and not c.roles.groups:
            c.roles.compares.append((comp, before))
            continue
        c.roles.compares.append((comp, None))
    if c.roles.having:
        first = min(comp.start for comp, _ in c.roles.having)
        entity = _entity_before(c, first)
        if entity is not None and not entity.role:
            entity.role = "group"
            c.roles.groups.insert(0, entity)
            c.roles.entity = entity


def _owns(c: Composer, entity: Mention, field_mention: Mention) -> bool:
    """Whether the entity is the model whose rows carry the field ("orders with a
    total above 100" filters orders)."""
    if c.primary_kind(entity) != "model":
        return False
    models = {s.model for s in entity.of_kind("model") if s.strength >= 1.0}
    return any(s.model in models for s in field_mention.of_kind("field", "measure"))


def _entity_before(c: Composer, index: int) -> Mention | None:
    """The name before "with/who/that ... more than N" (the groups of a having)."""
    candidates = [m for m in c.mentions if m.end <= index]
    for m in reversed(candidates):
        between = c.words[m.end : index]
        if any(w in HAVING_LEADS for w in between) and (m.has("model", "field", "relation")):
            return m
    return None
