"""Roles for the names no cue word claimed, once every cue has taken its name.

In order: the entity of a top-N without one; idioms and hints (see :mod:`.hints`); a
measure named on its own (a metric); values, segments and yes/no fields (filters);
models (subjects, or hints when they only say whose value is named); fields and
relations (attributes: "without a city", "customers who have orders").
"""

from __future__ import annotations

from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.hints import (
    field_hint,
    names_adjacent_value,
    qualifier,
    verb_form,
)
from djai_dsl.planners.offline.roles.metrics import bare_metric
from djai_dsl.planners.offline.roles.records import Metric
from djai_dsl.planners.offline.roles.top import entity_after


def assign_remaining(c: Composer) -> None:
    """A role for every name still without one."""
    r = c.roles
    # The entity of a top-N: "top 5 customers by revenue", "the 10 most expensive products".
    if r.top is not None and r.entity is None:
        m = entity_after(c, r.top.end)
        if m is not None and not m.role:
            r.entity = m
            m.role = "entity"
    aggregating = bool(r.groups or r.buckets or r.top or r.having or r.entity)
    for m in c.unassigned():
        if m.start > 0 and c.words[m.start - 1] == "in" and m.text.lower() in ("total", "all"):
            m.role = "hint"  # "in total": an idiom, not the field "total"
            continue
        if verb_form(c, m) or field_hint(c, m) or names_adjacent_value(c, m):
            m.role = "hint"
            continue
        if bare_metric(c, m, aggregating):
            m.role = "metric"
            func = "sum"
            if r.top is not None and not r.groups and r.top.dimension != "metric":
                # "the length of the longest track": the superlative says max
                func = "max" if r.top.descending else "min"
            r.metrics.append(Metric(func, m, start=m.start))
        elif (m.has("value", "segment") and not c.only_models(m)) or any(
            c.field_type(s) == "boolean" for s in m.of_kind("field")
        ):
            m.role = "filter"
            r.filters.append(m)
        elif m.has("model") and qualifier(c, m):
            m.role = "hint"  # "the Laptops category": whose value "Laptops" is
        elif m.has("model"):
            m.role = "subject"
            r.subjects.append(m)
        elif m.has("relation", "field"):
            m.role = "attribute"
            r.filters.append(m)
