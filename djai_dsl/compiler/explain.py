"""A plain-language sentence saying what a plan will count, one method per node.

Relative windows are explained with the dates they resolved to and whether today counts,
so that an analyst can check "last 30 days" before trusting the number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from djai_dsl import plan as p
from djai_dsl.compiler.windows import ResolvedWindow
from djai_dsl.manifest.types import Manifest, ModelInfo, PathError

_OPS = {
    "=": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_FUNCS = {
    "count": "number of",
    "sum": "sum of",
    "avg": "average of",
    "min": "lowest",
    "max": "highest",
}
_TODAY = {
    "last": "today counts",
    "this": "the whole current {unit}",
    "previous": "today does not count",
    "next": "starting after the current {unit}",
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)


class Explainer:
    def __init__(
        self,
        manifest: Manifest,
        source: ModelInfo,
        windows: dict[tuple[str, str], ResolvedWindow],
    ) -> None:
        self.manifest = manifest
        self.source = source
        # (field path, window JSON) -> resolved window
        self.windows = windows

    # --------------------------------------------------------------- names

    def path(self, model: ModelInfo, path: str) -> str:
        """`customer.country` -> `customer → country` in verbose names when known."""
        try:
            resolved = self.manifest.resolve(model, path)
        except PathError:
            return path
        words = [h.verbose_name or h.name for h in resolved.hops]
        if resolved.field is not None:
            words.append(resolved.field.verbose_name or resolved.field.name)
        return " → ".join(str(w) for w in words)

    # --------------------------------------------------------------- conditions

    def condition(self, cond: p.Condition, model: ModelInfo) -> str:
        method: Callable[[Any, ModelInfo], str] = getattr(self, f"c_{cond.kind}")
        return method(cond, model)

    def _joined(self, conds: list[p.Condition], model: ModelInfo, word: str) -> str:
        parts = []
        for c in conds:
            text = self.condition(c, model)
            parts.append(f"({text})" if isinstance(c, (p.And, p.Or)) else text)
        return f" {word} ".join(parts)

    def c_and(self, cond: p.And, model: ModelInfo) -> str:
        return self._joined(cond.conditions, model, "and")

    def c_or(self, cond: p.Or, model: ModelInfo) -> str:
        return self._joined(cond.conditions, model, "or")

    def c_not(self, cond: p.Not, model: ModelInfo) -> str:
        return f"not ({self.condition(cond.condition, model)})"

    def c_compare(self, cond: p.Compare, model: ModelInfo) -> str:
        return f"{self.path(model, cond.field)} {_OPS[cond.op]} {_value(cond.value)}"

    def c_between(self, cond: p.Between, model: ModelInfo) -> str:
        return (
            f"{self.path(model, cond.field)} is between {_value(cond.low)} "
            f"and {_value(cond.high)} (both included)"
        )

    def c_in(self, cond: p.InList, model: ModelInfo) -> str:
        values = ", ".join(_value(v) for v in cond.values)
        verb = "is not one of" if cond.negated else "is one of"
        if len(cond.values) == 1:
            verb = "is not" if cond.negated else "is"
        return f"{self.path(model, cond.field)} {verb} {values}"

    def c_text(self, cond: p.TextMatch, model: ModelInfo) -> str:
        verb = cond.op.replace("_", " ")
        return f"{self.path(model, cond.field)} {verb} {_value(cond.value)} (any case)"

    def c_is_null(self, cond: p.IsNull, model: ModelInfo) -> str:
        return f"{self.path(model, cond.field)} is {'set' if cond.negated else 'empty'}"

    def c_segment(self, cond: p.SegmentRef, model: ModelInfo) -> str:
        segment = model.segments[cond.name]
        return f"{cond.name} ({self.condition(segment.condition, model)})"

    def c_exists(self, cond: p.Exists, model: ModelInfo) -> str:
        try:
            target = self.manifest.resolve(model, cond.relation).target
        except PathError:
            return f"{'has no' if cond.negated else 'has'} {cond.relation}"
        via = f" (via {self.path(model, cond.relation)})" if "." in cond.relation else ""
        if cond.negated:
            text = f"has no {target.verbose_name_plural}{via}"
        else:
            text = f"has at least one {target.verbose_name}{via}"
        if cond.condition is not None:
            text += f" where {self.condition(cond.condition, target)}"
        return text

    def c_time_window(self, cond: p.TimeWindow, model: ModelInfo) -> str:
        window = cond.window
        resolved = self.windows.get((cond.field, window.model_dump_json()))
        name = self.path(model, cond.field)
        if isinstance(window, p.CalendarPeriod):
            text = f"{name} is in {window.period}"
            if resolved is not None:
                text += f" ({resolved.describe()})"
            return text
        unit = window.unit if window.count == 1 else f"{window.count} {window.unit}s"
        # "in this month" but "in the last 30 days" / "in the previous quarter".
        this = window.anchor == "this"
        words = f"this {window.unit}" if this else f"the {window.anchor} {unit}"
        text = f"{name} is in {words}"
        if resolved is not None:
            note = _TODAY[window.anchor].format(unit=window.unit)
            text += f" ({resolved.describe()}; {note})"
        return text

    # --------------------------------------------------------------- the plan

    def aggregate(self, item: p.AggregateItem) -> str:
        if isinstance(item, p.Formula):
            return f"{item.name} = {_expr(item.expr)}"
        if isinstance(item, p.MeasureRef):
            measure = self.source.measures.get(item.measure)
            body = self.aggregate(measure.aggregate) if measure else item.measure
            return f"{item.name} = {item.measure} ({body.split(' = ', 1)[-1]})"
        if item.field is None:
            what = f"number of {self.source.verbose_name_plural}"
        else:
            what = f"{_FUNCS[item.func]} {'distinct ' if item.distinct else ''}{self.path(self.source, item.field)}"
        if item.filter is not None:
            what += f" where {self.condition(item.filter, self.source)}"
        return f"{item.name} = {what}"

    def explain(self, plan: p.QueryPlan, default_columns: list[str]) -> str:
        src = self.source.verbose_name_plural
        if plan.aggregates and not plan.group_by:
            head = "Computes " + "; ".join(self.aggregate(a) for a in plan.aggregates)
            head += f" over {src}"
        elif plan.group_by:
            keys = ", ".join(self.group_key(g) for g in plan.group_by)
            if plan.aggregates:
                aggs = "; ".join(self.aggregate(a) for a in plan.aggregates)
                head = f"For each {keys}: {aggs}; over {src}"
            else:
                head = f"Lists the distinct {keys} of {src}"
        else:
            cols = [self.path(self.source, s.field) for s in plan.select] or default_columns
            head = f"Lists {src} ({', '.join(cols)})"
        parts = [head]
        if plan.where is not None:
            parts.append(f"where {self.condition(plan.where, self.source)}")
        text = " ".join(parts)
        if plan.having is not None:
            text += f"; keeps groups where {self.condition(plan.having, self.source)}"
        if plan.sort:
            keys = ", ".join(
                f"{k.key} ({'highest first' if k.descending else 'lowest first'})"
                for k in plan.sort
            )
            text += f"; sorted by {keys}"
        if plan.offset:
            text += f"; skipping the first {plan.offset}"
        if plan.limit:
            text += f"; at most {plan.limit} rows"
        return text + "."

    def group_key(self, key: p.GroupKey) -> str:
        name = self.path(self.source, key.field)
        return f"{key.bucket} of {name}" if key.bucket else name


def _expr(expr: p.Expr) -> str:
    if isinstance(expr, p.AggregateRef):
        return expr.name
    if isinstance(expr, p.Number):
        return str(expr.value)
    return f"({_expr(expr.left)} {expr.op} {_expr(expr.right)})"
