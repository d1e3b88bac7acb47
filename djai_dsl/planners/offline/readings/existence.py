"""Existence: "customers who placed an order", "artists without albums", "without a city".

A related model or a relation named after have/with/without (or negated) becomes
``exists`` / ``not exists`` over the to-many relation that reaches it, or ``is [not]
null`` for a to-one relation or a nullable field. A field or relation named with no cue
at all is shown, not filtered.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.conditions import across

#: Words before a related name that ask whether related rows exist.
EXISTENCE_LEADS = frozenset({"with", "have", "has", "had", "having", "placed", "made"})


def as_existence(b: ReadingBuilder, m: Mention) -> bool:
    """Existence: in "customers who placed an order" or "artists without albums" a
    related model named after have/with/without becomes (not) exists."""
    lead = b.c.words[max(m.start - 3, 0) : m.start]
    if not (m.negated or any(w in EXISTENCE_LEADS for w in lead)):
        return False
    rel_path = _many_relation_to(b, m)
    if rel_path is None:
        one = _nullable_relation_to(b, m)
        if one is None:
            return False
        # "tracks without a genre": the relation is empty
        b.conditions.append(p.IsNull(field=one, negated=not m.negated))
        b.credit(m, 0.7)
        return True
    b.conditions.append(p.Exists(relation=rel_path, negated=m.negated))
    b.credit(m, 0.7)
    return True


def _nullable_relation_to(b: ReadingBuilder, m: Mention) -> str | None:
    """A nullable to-one relation of the source to the model ``m`` names."""
    targets = {s.model for s in m.of_kind("model")}
    for rel in b.info.relations.values():
        if not rel.many and rel.nullable and rel.target in targets:
            return rel.name
    return None


def _many_relation_to(b: ReadingBuilder, m: Mention) -> str | None:
    """The source's to-many relation to what ``m`` names: directly, or to rows that point
    to it (order lines of a product)."""
    targets = {s.model for s in m.of_kind("model")}
    targets |= {b.c.relation_target(s) for s in m.of_kind("relation") if s.model == b.source}
    for rel in b.info.relations.values():
        if rel.many and rel.target in targets:
            return rel.name
    for rel in b.info.relations.values():  # "products never ordered": via order lines
        if not rel.many:
            continue
        for target in targets:
            route = b.c.routes(rel.target).get(target)
            if route is not None and route.length == 1 and not route.to_many:
                return rel.name
    for s in m.of_kind("relation"):
        if s.model == b.source and b.info.relations[s.name].many:
            return s.name
    return None


def add_attribute(b: ReadingBuilder, m: Mention) -> None:
    """A field or relation named outside any cue: "without a city", "with no assignee",
    "customers who have orders"."""
    hit = b.best_sense(m, ("relation", "field", "model"))
    if hit is None:
        b.miss(m, "is not reachable")
        return
    s, score, route = hit
    lead = b.c.words[max(m.start - 3, 0) : m.start]
    wants_existence = m.negated or any(w in EXISTENCE_LEADS for w in lead)
    if s.kind == "relation":
        rel = b.c.model(s.model).relations[s.name]
        path = route.join(s.name)
        if rel.many and wants_existence:
            b.conditions.append(p.Exists(relation=path, negated=m.negated))
            b.credit(m, score)
            return
        if not rel.many and wants_existence:
            b.conditions.append(across(b, path, p.IsNull(field=path, negated=not m.negated)))
            b.credit(m, score)
            return
    if s.kind == "field" and wants_existence:
        f = b.c.field_info(s)
        path = route.join(s.name)
        if f is not None and f.nullable:
            b.conditions.append(across(b, path, p.IsNull(field=path, negated=not m.negated)))
            b.credit(m, score)
            return
    # A name with no cue: shown, not filtered. Listings show every field anyway.
    b.credit(m, score * 0.3)
