"""Which models could answer the question: the candidate sources of a reading.

The counted model, the metric's model, a model named as the subject, the owner of a
filter's value, and so on; then models below those that reach every group through
to-one relations ("revenue by product category" is answered from order lines). "How
many tracks were sold" adds the line models that record quantities sold.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.manifest.types import ModelInfo
from djai_dsl.planners.offline.naming import safe_name
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.text import stems

SALES_VERBS = frozenset(
    [
        "sold",
        "sell",
        "sells",
        "selling",
        "bought",
        "buy",
        "buys",
        "purchased",
        "purchase",
        "purchases",
        "ordered",
    ]
)
#: Words of a field or measure that holds quantities ("sal" is the stem of "sales").
UNIT_STEMS = frozenset({"unit", "quantity", "qty", "sal"})


def units_aggregate(info: ModelInfo) -> p.AggregateItem | None:
    """How a line model says "how many were sold": a measure or an integer field about
    units or quantity (by its words), or None when it has neither."""
    for name in info.measures:
        if set(stems(name)) & UNIT_STEMS:
            return p.MeasureRef(name=safe_name(name), measure=name)
    for f in info.fields.values():
        words = set(stems(f.name)) | set(stems(f.verbose_name))
        for syn in f.synonyms:
            words |= set(stems(syn))
        if f.type == "integer" and not f.primary_key and words & UNIT_STEMS:
            return p.Aggregate(name=safe_name(f.name), func="sum", field=f.name)
    return None


def source_candidates(c: Composer) -> list[str]:
    """Candidate source models, most directly named first."""
    r = c.roles
    out: list[str] = []

    def add(labels: list[str]) -> None:
        for label in labels:
            if label not in out and label in c.manifest.models:
                out.append(label)

    for m, _ in r.counted:
        add([s.model for s in m.of_kind("model")])
        add([s.model for s in m.of_kind("field", "measure")])
        add([c.relation_target(s) for s in m.of_kind("relation")])
    for _, metric in r.having:
        if metric.mention is not None:
            add([s.model for s in metric.mention.of_kind("model", "field", "measure")])
    for metric in r.metrics:
        if metric.mention is not None:
            add([s.model for s in metric.mention.of_kind("measure", "field", "model")])
    if r.sort_metric is not None:
        add([s.model for s in r.sort_metric.of_kind("measure", "field")])
    for m in r.subjects:
        add([s.model for s in m.of_kind("model")])
    if r.entity is not None:
        add([s.model for s in r.entity.of_kind("model")])
        add([s.model for s in r.entity.of_kind("field")])
    for m in r.groups:
        add([s.model for s in m.senses if s.kind in ("field", "relation")])
    for m in r.filters:
        add([s.model for s in m.senses])
    for m in c.mentions:
        if m.role in ("time_field", "text_field", "compare_field"):
            add([s.model for s in m.senses])
    # "How many tracks were sold": counted from the lines that sell them.
    if sales_verb(c) and r.counted:
        for m, _ in r.counted:
            for s in m.of_kind("model"):
                add(_lines_of(c, s.model))
    # Re-rooting: a model below the metric's model that reaches every group by to-one
    # hops ("revenue by product category" is answered from order lines).
    if r.groups or r.entity:
        for label in list(out):
            add(_children_reaching_groups(c, label))
    return out


def sales_verb(c: Composer) -> bool:
    """The question is about quantities sold ("sold", "bought", "ordered")."""
    return any(w in SALES_VERBS for w in c.words)


def _lines_of(c: Composer, label: str) -> list[str]:
    """Models with a direct to-one relation to ``label`` that record quantities (order
    lines, invoice lines): where "sold" and "ordered" are counted."""
    out = []
    for other, info in c.manifest.models.items():
        if other == label:
            continue
        points_here = any(r.target == label and not r.many for r in info.relations.values())
        if points_here and units_aggregate(info) is not None:
            out.append(other)
    return out


def _children_reaching_groups(c: Composer, label: str) -> list[str]:
    """Models up to two to-one hops below ``label`` from which every group is reachable."""
    out = []
    group_mentions = [*c.roles.groups, *([c.roles.entity] if c.roles.entity else [])]
    for other in c.manifest.models:
        if other == label:
            continue
        routes = c.routes(other)
        to_parent = routes.get(label)
        if to_parent is None or to_parent.to_many or to_parent.length > 2:
            continue
        if all(c.resolve_group_paths(g, other) for g in group_mentions):
            out.append(other)
    return out
