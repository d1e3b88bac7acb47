"""plan + manifest + timezone + now -> CompiledQuery.

A fold of small ``QuerySet -> QuerySet`` steps (filter, shape, having, order), like
django-filter applies one filter after another. Pure: no database I/O, no clock, no
settings of the request; identifiers come only from the manifest and values only travel as
parameters. It never calls ``raw``, ``extra``, ``RawSQL`` or a templated ``Func``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Cast, Trunc

from djai_dsl import plan as p
from djai_dsl.compiler.aggregates import AggregateCompiler, AggregateExpr, decimal_scale
from djai_dsl.compiler.conditions import CompileContext, ConditionCompiler
from djai_dsl.compiler.explain import Explainer
from djai_dsl.compiler.types import Column, CompiledQuery, OrderKey
from djai_dsl.conf import get_config
from djai_dsl.errors import PlanInvalid
from djai_dsl.manifest.types import Manifest, ModelInfo, PathError, ResolvedPath
from djai_dsl.validation import validate_plan

_HAVING_OPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}

# Aggregate values are 64-bit numbers, so a comparison with an integer beyond that range has
# one answer whatever the data (Django 5 drops such lookups itself; Django 4.2 passes them
# to the driver, where SQLite raises OverflowError). op -> holds, given the value's side.
_HAVING_BEYOND: dict[str, Callable[[int], bool]] = {
    "=": lambda side: False,
    "!=": lambda side: True,
    "<": lambda side: side > 0,
    "<=": lambda side: side > 0,
    ">": lambda side: side < 0,
    ">=": lambda side: side < 0,
}


def _never(key: str) -> Q:
    """A having condition no group meets. It names only the aggregate: a column in HAVING
    would be added to GROUP BY."""
    return Q(**{f"{key}__isnull": True}) & Q(**{f"{key}__isnull": False})


def _beyond_int64(value: Any) -> int:
    """1 above the signed 64-bit range, -1 below it, 0 inside (or not an integer)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return 1 if value > 2**63 - 1 else -1 if value < -(2**63) else 0


@dataclass
class _State:
    plan: p.QueryPlan
    ctx: CompileContext
    source: ModelInfo
    columns: list[Column] = field(default_factory=list)
    order_keys: list[OrderKey] = field(default_factory=list)
    # output name -> values() key, for sort and having
    keys: dict[str, str] = field(default_factory=dict)
    aggregates: dict[str, AggregateExpr] = field(default_factory=dict)
    default_columns: list[str] = field(default_factory=list)


def compile_plan(
    plan: p.QueryPlan, manifest: Manifest, *, tz: ZoneInfo, now: dt.datetime
) -> CompiledQuery:
    """Validate ``plan`` against ``manifest`` and compile it. ``now`` must be aware."""
    if now.tzinfo is None:
        raise ValueError("compile_plan needs an aware `now`")
    plan = validate_plan(plan, manifest)
    source = manifest.model(plan.source)
    ctx = CompileContext(manifest=manifest, tz=tz, now=now, windows=[])
    state = _State(plan=plan, ctx=ctx, source=source)
    steps: list[Callable[[QuerySet[Any], _State], QuerySet[Any]]] = [
        filter_step,
        shape_step,
        having_step,
        order_step,
    ]
    qs = source.base_queryset()
    try:
        for step in steps:
            qs = step(qs, state)
    except PathError as exc:  # a name vanished between validation and compilation
        raise PlanInvalid(exc.message) from None

    windows = {(path, w.model_dump_json()): r for path, w, r in ctx.windows}
    explanation = Explainer(manifest, source, windows).explain(plan, state.default_columns)
    return CompiledQuery(
        queryset=qs,
        columns=state.columns,
        order_keys=state.order_keys,
        limit=plan.limit,
        offset=plan.offset,
        explanation=explanation,
        fingerprint=fingerprint(plan, tz, now),
        model_label=source.label,
        plan=plan,
        windows=[
            {
                "field": path,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "description": r.describe(),
            }
            for path, _w, r in ctx.windows
        ],
    )


def fingerprint(plan: p.QueryPlan, tz: ZoneInfo, now: dt.datetime) -> str:
    payload = f"{plan.model_dump_json()}|{tz.key}|{now.isoformat()}"
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


# ------------------------------------------------------------------------- steps


def filter_step(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    if state.plan.where is None:
        return qs
    return qs.filter(ConditionCompiler(state.ctx).compile(state.plan.where, state.source))


def shape_step(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    plan = state.plan
    if plan.group_by:
        return _grouped(qs, state)
    if plan.aggregates:
        return _global_aggregate(qs, state)
    return _listing(qs, state)


def having_step(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    if state.plan.having is None:
        return qs
    return qs.filter(_having(state.plan.having, state.keys))


def order_step(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    if not state.order_keys:
        return qs.order_by()
    ordering = []
    for key in state.order_keys:
        expr = F(key.key)
        # NULLs are the smallest value everywhere (PostgreSQL would put them last when
        # ascending): the same plan sorts the same on every backend, and keyset pagination
        # can rely on it.
        ordering.append(
            expr.desc(nulls_last=True) if key.descending else expr.asc(nulls_first=True)
        )
    return qs.order_by(*ordering)


# ------------------------------------------------------------------------- shapes


def _column_type(resolved: ResolvedPath, manifest: Manifest) -> str:
    if resolved.field is not None:
        return resolved.field.type
    pk = resolved.target.fields.get(resolved.target.pk_name)
    return pk.type if pk is not None else "integer"


def _label(state: _State, path: str) -> str:
    resolved = state.ctx.resolve(state.source, path)
    words = [h.verbose_name or h.name for h in resolved.hops]
    if resolved.field is not None:
        words.append(resolved.field.verbose_name or resolved.field.name)
    return " → ".join(str(w) for w in words)


def _listing(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    plan, source = state.plan, state.source
    items = list(plan.select)
    if not items:
        names = list(source.fields)[: get_config()["MAX_SELECT"]]
        items = [p.SelectItem(field=name) for name in names]
        state.default_columns = [str(source.fields[n].verbose_name or n) for n in names]
    values: dict[str, Any] = {}
    for i, item in enumerate(items):
        resolved = state.ctx.resolve(source, item.field)
        key = f"c{i}"
        values[key] = F(resolved.orm_path)
        name = item.name or item.field
        state.columns.append(
            Column(
                name,
                key,
                _column_type(resolved, state.ctx.manifest),
                _label(state, item.field),
                decimal_scale(resolved),
            )
        )
        state.keys[name] = key
    for i, sort in enumerate(plan.sort):
        key = state.keys.get(sort.key)
        if key is None:  # a field that is not shown: sort by it through a hidden column
            key = f"k_s{i}"
            values[key] = F(state.ctx.resolve(source, sort.key).orm_path)
            state.keys[sort.key] = key
        state.order_keys.append(OrderKey(key, sort.descending))
    values["k_pk"] = F("pk")  # the tiebreaker that makes the order total
    state.order_keys.append(OrderKey("k_pk", False))
    return qs.values(**values)


def _bucket(resolved: ResolvedPath, unit: str, tz: ZoneInfo) -> tuple[Any, str]:
    from django.db.models import DateField, DateTimeField

    orm = resolved.orm_path
    if resolved.type == "date":
        return Trunc(orm, unit, output_field=DateField()), "date"
    if unit == "hour":
        return Trunc(orm, unit, output_field=DateTimeField(), tzinfo=tz), "datetime"
    if unit == "week":
        # Django's MySQL/MariaDB date truncation to a week is DATE_SUB(x, INTERVAL
        # WEEKDAY(x) DAY), which keeps the time of day of a date-time (one bucket per row).
        # Truncate as a wall-clock date-time of the zone instead, then take its date.
        week = Trunc(orm, unit, output_field=DateTimeField(), tzinfo=tz)
        return Cast(week, DateField()), "date"
    # Day and longer buckets are calendar dates in the client's zone.
    return Trunc(orm, unit, output_field=DateField(), tzinfo=tz), "date"


def _grouped(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    plan, source = state.plan, state.source
    group_values: dict[str, Any] = {}
    for i, key in enumerate(plan.group_by):
        resolved = state.ctx.resolve(source, key.field)
        alias = f"c{i}"
        if key.bucket:
            expr, ctype = _bucket(resolved, key.bucket, state.ctx.tz)
            label = f"{key.bucket} of {_label(state, key.field)}"
        else:
            expr, ctype = F(resolved.orm_path), _column_type(resolved, state.ctx.manifest)
            label = _label(state, key.field)
        group_values[alias] = expr
        name = p.group_key_name(key)
        state.columns.append(Column(name, alias, ctype, label, decimal_scale(resolved)))
        state.keys[name] = alias
    qs = qs.values(**group_values)
    aggregates = AggregateCompiler(state.ctx, source).compile_items(plan.aggregates)
    state.aggregates = aggregates
    offset = len(plan.group_by)
    annotations = {}
    for j, (name, agg) in enumerate(aggregates.items()):
        alias = f"c{offset + j}"
        annotations[alias] = agg.expression
        state.columns.append(Column(name, alias, agg.type, name, agg.scale))
        state.keys[name] = alias
    qs = qs.annotate(**annotations) if annotations else qs.distinct()
    used = set()
    for sort in plan.sort:
        state.order_keys.append(OrderKey(state.keys[sort.key], sort.descending))
        used.add(state.keys[sort.key])
    # Group keys make each row unique: they complete the order.
    for i in range(len(plan.group_by)):
        if f"c{i}" not in used:
            state.order_keys.append(OrderKey(f"c{i}", False))
    return qs


def _global_aggregate(qs: QuerySet[Any], state: _State) -> QuerySet[Any]:
    aggregates = AggregateCompiler(state.ctx, state.source).compile_items(state.plan.aggregates)
    state.aggregates = aggregates
    annotations = {}
    for j, (name, agg) in enumerate(aggregates.items()):
        alias = f"c{j}"
        annotations[alias] = agg.expression
        state.columns.append(Column(name, alias, agg.type, name, agg.scale))
        state.keys[name] = alias
    qs = qs.annotate(**annotations).values(*annotations)
    # Aggregating without GROUP BY returns exactly one row, even when no row matches
    # ("0 orders" is an answer). QuerySet.aggregate() does this but returns a dict, not a
    # queryset the executor can run read-only; with ``group_by = None`` the values() query
    # compiles to the same single-row SELECT.
    qs.query.group_by = None
    return qs


# ------------------------------------------------------------------------- having


def _having(cond: p.Condition, keys: dict[str, str]) -> Q:
    if isinstance(cond, p.And):
        q = Q()
        for c in cond.conditions:
            q &= _having(c, keys)
        return q
    if isinstance(cond, p.Or):
        q = _having(cond.conditions[0], keys)
        for c in cond.conditions[1:]:
            q |= _having(c, keys)
        return q
    if isinstance(cond, p.Not):
        return ~_having(cond.condition, keys)
    if isinstance(cond, p.Compare):
        key = keys[cond.field]
        side = _beyond_int64(cond.value)
        if side:  # true for every value (so for every group with one), or for none
            holds = _HAVING_BEYOND[cond.op](side)
            return Q(**{f"{key}__isnull": False}) if holds else _never(key)
        if cond.op == "!=":
            return ~Q(**{f"{key}__exact": cond.value})
        return Q(**{f"{key}__{_HAVING_OPS[cond.op]}": cond.value})
    if isinstance(cond, p.Between):
        if _beyond_int64(cond.low) or _beyond_int64(cond.high):
            low = p.Compare(field=cond.field, op=">=", value=cond.low)
            high = p.Compare(field=cond.field, op="<=", value=cond.high)
            return _having(low, keys) & _having(high, keys)
        return Q(**{f"{keys[cond.field]}__range": (cond.low, cond.high)})
    if isinstance(cond, p.InList):
        key = keys[cond.field]
        values = [v for v in cond.values if not _beyond_int64(v)]  # those match no value
        q = Q(**{f"{key}__in": values}) if values else _never(key)
        return ~q if cond.negated else q
    if isinstance(cond, p.IsNull):
        return Q(**{f"{keys[cond.field]}__isnull": not cond.negated})
    raise PlanInvalid(f"having does not take {cond.kind} conditions")
