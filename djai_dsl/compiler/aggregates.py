"""Aggregates, measures and formulas -> ORM expressions.

Join inflation is avoided by construction: the outer query only ever joins to-one
relations, so one outer row is one source row. An aggregate over a to-many path
(`sum(orders.total)` from customers) is computed per source row by a correlated subquery
over the related model, and those per-row values are then combined (a count or a sum of
per-row counts/sums, the min of per-row minimums, ...). Two such aggregates over different
relations therefore never multiply each other's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    Expression,
    FloatField,
    Max,
    Min,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round

from djai_dsl import plan as p
from djai_dsl.compiler.conditions import (
    CompileContext,
    ConditionCompiler,
    related_rows,
    reverse_lookup,
)
from djai_dsl.errors import PlanInvalid
from djai_dsl.manifest.types import ModelInfo, ResolvedPath

_FUNCS = {"count": Count, "sum": Sum, "min": Min, "max": Max}


@dataclass
class AggregateExpr:
    expression: Any
    type: str
    scale: int | None = None


def decimal_scale(resolved: ResolvedPath | None) -> int | None:
    """The decimal places of a DecimalField at the end of ``resolved`` (else None)."""
    if resolved is None or resolved.field is None or resolved.field.type != "decimal":
        return None
    model_field = resolved.target.model._meta.get_field(resolved.field.name)
    return getattr(model_field, "decimal_places", None)


class AggregateCompiler:
    def __init__(self, ctx: CompileContext, source: ModelInfo) -> None:
        self.ctx = ctx
        self.source = source
        self.conditions = ConditionCompiler(ctx)

    def compile_items(self, items: list[p.AggregateItem]) -> dict[str, AggregateExpr]:
        """name -> expression, in plan order; formulas inline the aggregates they use."""
        out: dict[str, AggregateExpr] = {}
        for item in items:
            if isinstance(item, p.Formula):
                out[item.name] = AggregateExpr(self.formula(item.expr, out), "float")
                continue
            agg = item
            if isinstance(item, p.MeasureRef):
                agg = self.source.measures[item.measure].aggregate.model_copy(
                    update={"name": item.name}
                )
            assert isinstance(agg, p.Aggregate)
            out[item.name] = self.aggregate(agg)
        return out

    # --------------------------------------------------------------- one aggregate

    def aggregate(self, agg: p.Aggregate) -> AggregateExpr:
        resolved = self.ctx.resolve(self.source, agg.field) if agg.field else None
        if resolved is not None and resolved.to_many:
            return self.to_many(agg, resolved)
        condition = (
            self.conditions.compile(agg.filter, self.source) if agg.filter is not None else None
        )
        orm = resolved.orm_path if resolved is not None else "pk"
        if agg.func == "count":
            return AggregateExpr(Count(orm, distinct=agg.distinct, filter=condition), "integer")
        assert resolved is not None
        ftype = resolved.type or "integer"
        if agg.func == "avg":
            if ftype == "duration":
                return AggregateExpr(Avg(orm, filter=condition), "duration")
            return AggregateExpr(Avg(orm, filter=condition, output_field=FloatField()), "float")
        scale = decimal_scale(resolved)
        expression = _FUNCS[agg.func](orm, filter=condition)
        if agg.func == "sum":
            expression = _exact_sum(expression, scale)
        return AggregateExpr(expression, ftype, scale)

    def to_many(self, agg: p.Aggregate, resolved: ResolvedPath) -> AggregateExpr:
        """Per source row, aggregate the related rows in a correlated subquery; then
        combine the per-row values."""
        head = resolved.hops[: resolved.last_many_index + 1]
        inner_model = self.ctx.manifest.models[head[-1].target]
        back = reverse_lookup(head)
        rest = resolved.orm_path.split("__")[len(head) :]
        inner_orm = "__".join(rest) if rest else "pk"

        rows = related_rows(self.ctx.manifest, head)
        if agg.filter is not None:
            rerooted = reroot(agg.filter, self.source, head, self.ctx)
            rows = rows.filter(self.conditions.compile(rerooted, inner_model))

        def per_row(expression: Any) -> Subquery:
            sub = rows.order_by().values(back).annotate(v=expression).values("v")
            return Subquery(sub)

        ftype = resolved.type or "integer"
        if agg.func == "count":
            counted = per_row(Count(inner_orm))
            return AggregateExpr(
                Cast(Sum(Coalesce(counted, Value(0))), BigIntegerField()), "integer"
            )
        scale = decimal_scale(resolved)
        if agg.func == "sum":
            return AggregateExpr(_exact_sum(Sum(per_row(Sum(inner_orm))), scale), ftype, scale)
        if agg.func == "min":
            return AggregateExpr(Min(per_row(Min(inner_orm))), ftype, scale)
        if agg.func == "max":
            return AggregateExpr(Max(per_row(Max(inner_orm))), ftype, scale)
        # avg over all related rows = (sum of per-row sums) / (sum of per-row counts)
        total = Cast(Sum(per_row(Sum(inner_orm))), FloatField())
        count = Cast(Sum(per_row(Count(inner_orm))), FloatField())
        return AggregateExpr(total / NullIf(count, Value(0.0)), "float")

    # --------------------------------------------------------------- formulas

    def formula(self, expr: p.Expr, defined: dict[str, AggregateExpr]) -> Expression:
        if isinstance(expr, p.AggregateRef):
            return Cast(defined[expr.name].expression, FloatField())
        if isinstance(expr, p.Number):
            return Value(float(expr.value), output_field=FloatField())
        left = self.formula(expr.left, defined)
        right = self.formula(expr.right, defined)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        # Division by zero gives NULL on every backend instead of an error on PostgreSQL.
        return left / NullIf(right, Value(0.0))


def _exact_sum(expression: Any, scale: int | None) -> Any:
    """Round a sum of decimals to the field's scale. PostgreSQL and MariaDB sum decimals
    exactly, so this changes nothing there; SQLite sums them as floats, and two equal sums
    (43.62 and 43.619999999999997) would otherwise compare unequal and sort apart."""
    return expression if scale is None else Round(expression, scale)


def reroot(
    cond: p.Condition, source: ModelInfo, head: tuple[Any, ...], ctx: CompileContext
) -> p.Condition:
    """Rewrite a condition written from ``source`` so it reads from the model at the end of
    ``head`` (a to-many path): paths under ``head`` lose that prefix; other paths go back
    through the reverse relations. Segments are expanded first."""
    head_names = [h.name for h in head]
    back_names = [h.reverse_name for h in reversed(head)]

    def move(path: str) -> str:
        parts = path.split(".")
        if parts[: len(head_names)] == head_names:
            rest = parts[len(head_names) :]
            if not rest:
                raise PlanInvalid(
                    f"the filter names the relation {path!r} itself; name one of its fields"
                )
            return ".".join(rest)
        return ".".join(back_names + parts)

    def walk(node: p.Condition, model: ModelInfo) -> p.Condition:
        if isinstance(node, p.SegmentRef):
            return walk(model.segments[node.name].condition, model)
        if isinstance(node, (p.And, p.Or)):
            return node.model_copy(update={"conditions": [walk(c, model) for c in node.conditions]})
        if isinstance(node, p.Not):
            return node.model_copy(update={"condition": walk(node.condition, model)})
        if isinstance(node, p.Exists):
            return node.model_copy(update={"relation": move(node.relation)})
        return node.model_copy(update={"field": move(node.field)})  # type: ignore[union-attr]

    return walk(cond, source)


__all__ = ["AggregateCompiler", "AggregateExpr", "reroot"]
