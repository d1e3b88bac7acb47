"""Filters: values, segments and yes/no fields named in the question.

Each filter mention takes the sense that fits the source best: a value (favoured when
its field is named next to it, "priority urgent", or its model right before it,
"customers in Spain"), a segment, or a yes/no field. Values of one field are gathered
into one condition ("in France or Spain": ``in``); negated ones exclude.
"""

from __future__ import annotations

from typing import Any

from djai_dsl import plan as p
from djai_dsl.planners.offline.lexicon import Sense
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.paths import Route
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.conditions import across, first_path, prefixed
from djai_dsl.planners.offline.readings.existence import add_attribute
from djai_dsl.planners.offline.text import STOPWORDS, stems


def add_filters(b: ReadingBuilder) -> None:
    """Conditions for the filters (and the attributes, see :mod:`.existence`)."""
    values_by_field: dict[tuple[str, bool], list[tuple[Any, Mention]]] = {}
    for m in b.r.filters:
        if m.role == "attribute":
            add_attribute(b, m)
            continue
        found = _filter_condition(b, m, values_by_field)
        if found is not None:
            b.conditions.append(found)
    for (path, negated), items in values_by_field.items():
        values = list(dict.fromkeys(v for v, _ in items))
        cond: p.Condition
        if len(values) == 1:
            cond = p.Compare(field=path, op="!=" if negated else "=", value=values[0])
        else:
            cond = p.InList(field=path, values=values, negated=negated)
        b.conditions.append(across(b, path, cond))


def _filter_condition(
    b: ReadingBuilder,
    m: Mention,
    values_by_field: dict[tuple[str, bool], list[tuple[Any, Mention]]],
) -> p.Condition | None:
    """The condition for ``m``; a value is added to ``values_by_field`` instead."""
    adjacent_fields = _adjacent_field_names(b, m)
    best: tuple[float, Sense, Route] | None = None
    for s in m.senses:
        if s.kind not in ("value", "segment", "field"):
            continue
        score, route = b.c.sense_reach(s, b.source)
        if route is None or score <= 0:
            continue
        if s.kind == "field" and b.c.field_type(s) != "boolean":
            continue
        if (
            s.kind == "value"
            and s.name in adjacent_fields
            and s.model in (b.source, *_route_models(b))
        ):
            score += 0.5  # "urgent priority", "shipped to Japan"
        if s.kind in ("value", "segment") and s.model in _models_named_before(b, m):
            score += 0.3  # "customers in Spain": the customer's country
        if s.kind == "segment" and route.length == 0:
            score += 0.1
        if s.kind == "segment" and adjacent_fields and s.model == b.source:
            score -= 0.2
        if best is None or score > best[0]:
            best = (score, s, route)
    if best is None:
        b.miss(m, f"is not a value of {b.info.verbose_name_plural}")
        return None
    score, s, route = best
    b.credit(m, score)
    if s.kind == "value":
        path = route.join(s.name)
        values_by_field.setdefault((path, m.negated), []).append((s.value, m))
        return None
    if s.kind == "field":
        path = route.join(s.name)
        return across(b, path, p.Compare(field=path, op="=", value=not m.negated))
    segment = b.c.model(s.model).segments[s.name]
    if route.length == 0:
        cond: p.Condition = p.SegmentRef(name=s.name)
    else:
        cond = prefixed(segment.condition, route.path)
        cond = across(b, first_path(cond) or route.path, cond)
    return p.Not(condition=cond) if m.negated else cond


def _route_models(b: ReadingBuilder) -> set[str]:
    return set(b.c.routes(b.source))


def _models_named_before(b: ReadingBuilder, m: Mention) -> set[str]:
    """Models named just before ``m`` ("customers in Spain")."""
    out: set[str] = set()
    for other in b.c.mentions:
        if (
            other is not m
            and 0 <= m.start - other.end <= 3
            and other.role in ("subject", "counted", "entity", "hint")
        ):
            out |= {s.model for s in other.of_kind("model")}
    return out


def _adjacent_field_names(b: ReadingBuilder, m: Mention) -> set[str]:
    """Fields named right next to a value: "priority urgent", "shipped to Japan"."""
    names: set[str] = set()
    lo, hi = max(m.start - 3, 0), min(m.end + 2, len(b.c.tokens))
    nearby_stems = {t.stem for t in b.c.tokens[lo:hi]}
    for s in m.of_kind("value"):
        f = b.c.field_info(s)
        if f is None:
            continue
        words = set(stems(f.name)) | set(stems(f.verbose_name))
        for syn in f.synonyms:
            words |= set(stems(syn))
        words -= STOPWORDS | {"at"}
        if words & nearby_stems - set(stems(str(s.value))):
            names.add(s.name)
    return names
