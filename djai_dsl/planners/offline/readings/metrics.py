"""Metrics: what a reading computes, from what is counted and the metrics named.

Counting the source's rows, a measure, or a numeric field ("how many units" adds them
up); distinct related rows; units sold from line models ("how many tracks were sold").
Aggregates of a numeric field or measure ("average price"), the main amount for "how
much" or for a model ("average refund"), and a line's own amount for a parent's measure
("revenue by genre" from invoice lines). With groups and no metric, rows are counted.
"""

from __future__ import annotations

from typing import Any

from djai_dsl import plan as p
from djai_dsl.manifest.types import NUMERIC_TYPES
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.naming import plural_name, safe_name, words_name
from djai_dsl.planners.offline.readings.builder import METRIC_BONUS, ReadingBuilder
from djai_dsl.planners.offline.roles import Metric, sales_verb, units_aggregate


def add_metrics(b: ReadingBuilder) -> None:
    """The aggregates for what is counted and computed (a row count for a grouping)."""
    r = b.r
    counted = [(m, d) for m, d in r.counted]
    metrics = list(r.metrics)
    if not counted and not metrics and (r.groups or r.entity or r.buckets) and not _is_listing(b):
        count_rows(b)
        return
    for m, distinct in counted:
        add_counted(b, m, distinct)
    for metric in metrics:
        add_aggregate(b, metric)


def _is_listing(b: ReadingBuilder) -> bool:
    """A top-N of the source's own rows by a field ("the 5 most expensive products")."""
    r = b.r
    return (
        r.top is not None
        and r.top.dimension in ("price", "length", "amount", "time")
        and r.entity is not None
        and any(s.model == b.source for s in r.entity.of_kind("model"))
        and not r.groups
    )


def count_rows(b: ReadingBuilder) -> None:
    """Count the source's rows (once)."""
    name = plural_name(b.info)
    if any(isinstance(a, p.Aggregate) and a.func == "count" and not a.field for a in b.aggregates):
        return
    b.aggregates.append(p.Aggregate(name=name, func="count"))


def add_counted(b: ReadingBuilder, m: Mention, distinct: bool) -> None:
    """The aggregate that counts what ``m`` names, from the source."""
    hit = b.best_sense(m, ("model", "field", "relation", "measure"))
    if hit is None:
        b.miss(m, "cannot be counted from here")
        b.reading.score -= 0.5
        return
    s, score, route = hit
    if s.kind == "model" and s.model == b.source:
        count_rows(b)
        b.credit(m, score + METRIC_BONUS + 0.4)
        return
    if s.kind == "measure" and s.model == b.source:
        b.aggregates.append(p.MeasureRef(name=safe_name(s.name), measure=s.name))
        b.credit(m, score + METRIC_BONUS)
        return
    if s.kind == "field" and route.length == 0:
        f = b.info.fields[s.name]
        if f.type in NUMERIC_TYPES and not f.primary_key:
            # "how many units" adds the units up
            b.aggregates.append(p.Aggregate(name=safe_name(s.name), func="sum", field=s.name))
            b.credit(m, score + METRIC_BONUS)
            return
    target = s.model if s.kind == "model" else b.c.relation_target(s)
    to_target = b.c.routes(b.source).get(target)
    if (
        s.kind in ("model", "relation")
        and to_target is not None
        and to_target.length == 1
        and not to_target.to_many
        and sales_verb(b.c)
    ):
        units = units_aggregate(b.info)
        if units is not None:
            b.aggregates.append(units)
            b.credit(m, score + METRIC_BONUS)
            b.reading.penalize(0.85, f"counted as {units.name} of {b.info.verbose_name_plural}")
            return
    if s.kind in ("model", "relation") and (distinct or route.length > 0):
        target = s.model if s.kind == "model" else b.c.relation_target(s)
        route_to = b.c.routes(b.source).get(target)
        if route_to is not None and not route_to.to_many and route_to.length > 0:
            b.aggregates.append(
                p.Aggregate(
                    name=plural_name(b.c.model(target)),
                    func="count",
                    field=route_to.path,
                    distinct=True,
                )
            )
            b.credit(m, score)
            return
    b.miss(m, "cannot be counted from here")


def add_aggregate(b: ReadingBuilder, metric: Metric) -> None:
    """The aggregate for ``metric``, from the source."""
    m = metric.mention
    if m is None:  # "how much": the main amount
        field_name = b.profile.amount_field
        if field_name is None:
            b.reading.problems.append("no amount to add up")
            b.reading.score -= 0.5
            return
        b.aggregates.append(p.Aggregate(name=safe_name(field_name), func="sum", field=field_name))
        b.reading.penalize(0.8, f"added up {field_name}")
        return
    own = [s for s in m.senses if s.model == b.source and s.kind in ("measure", "field")]
    hit = b.best_sense(m, ("measure", "field", "model"), among=own or None)
    if hit is None:
        b.miss(m, "is not a number here")
        return
    s, score, route = hit
    parent_amount = s.kind in ("measure", "field") and s.model != b.source
    if parent_amount and not route.to_many and metric.func in ("sum", "avg"):
        amount = b.profile.amount_field
        if amount:
            # "revenue by genre" answered from invoice lines: their own amount
            b.aggregates.append(aggregate(words_name(m.text), metric.func, amount))
            b.credit(m, score * 0.7)
            b.reading.penalize(0.7, f"{m.text} taken as {amount} of each {b.info.verbose_name}")
            return
    if s.kind == "measure":
        if s.model != b.source:
            b.miss(m, "is measured on another model")
            return
        measure = b.info.measures[s.name]
        agg = measure.aggregate
        if metric.func in ("avg", "min", "max") and agg.field and agg.func == "sum":
            name = f"{metric.func}_{agg.field.rsplit('.', 1)[-1]}"
            b.aggregates.append(
                p.Aggregate(
                    name=safe_name(name), func=metric.func, field=agg.field, filter=agg.filter
                )  # type: ignore[arg-type]
            )
        else:
            b.aggregates.append(p.MeasureRef(name=safe_name(s.name), measure=s.name))
        b.credit(m, score + METRIC_BONUS)
        return
    if s.kind == "model":
        if s.model != b.source or b.profile.amount_field is None:
            b.miss(m, "has no amount here")
            return
        field_name = b.profile.amount_field
        func = metric.func if metric.func in ("sum", "avg", "min", "max") else "sum"
        name = field_name if func == "sum" else f"{func}_{field_name}"
        b.aggregates.append(aggregate(name, func, field_name))
        b.credit(m, score + METRIC_BONUS)
        b.reading.penalize(0.9, f"{m.text} measured by {field_name}")
        return
    f = b.c.field_info(s)
    if f is None or f.type not in NUMERIC_TYPES:
        b.miss(m, "is not a number")
        return
    if route.to_many:
        b.miss(m, "would be counted more than once")
        return
    if route.length > 0 and metric.func in ("sum", "avg"):
        # A parent's amount summed over children counts it once per child.
        b.miss(m, "belongs to a related model")
        return
    path = route.join(s.name)
    func = metric.func
    name = f"{func}_{s.name}" if func != "sum" else s.name
    if func == "sum" and s.strength < 1 and b.profile.amount_field and route.length == 0:
        b.reading.penalize(0.85)
    b.aggregates.append(aggregate(name, func, path))
    b.credit(m, score + METRIC_BONUS * (1.0 if route.length == 0 else 0.5))


def aggregate(name: str, func: str, field: str | None = None, **extra: Any) -> p.Aggregate:
    """An aggregate with a safe name (``func`` is checked by the plan model)."""
    data = {"name": safe_name(name), "func": func, "field": field, **extra}
    return p.Aggregate.model_validate(data)
