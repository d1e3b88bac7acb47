"""Conditions -> ``Q`` objects, one method per condition kind.

Field names come only from the manifest (``ResolvedPath.orm_path``); values are passed to
Django lookups, so they always travel as query parameters. A condition on a to-many path
(`orders.status = "paid"` from customers) means "has at least one related row where ...":
it compiles to an ``Exists`` subquery, so the outer query never joins to-many relations and
rows are never duplicated.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet

from djai_dsl import plan as p
from djai_dsl.compiler.windows import ResolvedWindow, resolve_window
from djai_dsl.errors import PlanInvalid
from djai_dsl.manifest.types import TEXT_TYPES, Manifest, ModelInfo, RelationInfo, ResolvedPath

_OPS = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_TEXT_OPS = {"contains": "icontains", "starts_with": "istartswith", "ends_with": "iendswith"}


@dataclass
class CompileContext:
    manifest: Manifest
    tz: ZoneInfo
    now: dt.datetime
    # Every window resolved while compiling, for the explanation: (field path, window).
    windows: list[tuple[str, p.Window, ResolvedWindow]]

    def resolve(self, model: ModelInfo, path: str) -> ResolvedPath:
        return self.manifest.resolve(model, path)

    def window(self, path: str, window: p.Window, as_dates: bool) -> ResolvedWindow:
        try:
            resolved = resolve_window(window, now=self.now, tz=self.tz, as_dates=as_dates)
            for bound in (resolved.start, resolved.end):
                if isinstance(bound, dt.datetime):
                    bound.astimezone(dt.timezone.utc)  # what the driver will do
        except (ValueError, OverflowError):
            raise PlanInvalid(f"the time window on {path} is out of the calendar's range") from None
        self.windows.append((path, window, resolved))
        return resolved


def reverse_lookup(hops: tuple[Any, ...]) -> str:
    """The ORM path from the model at the end of ``hops`` back to where they started."""
    return "__".join(h.reverse_name for h in reversed(hops))


def related_rows(manifest: Manifest, head: tuple[RelationInfo, ...]) -> QuerySet[Any]:
    """The rows at the end of ``head`` that belong to the outer row (correlated on its pk),
    for a subquery. The row scope of the target model applies, and so does the scope of
    every model ``head`` passes through: a row reached only through an out-of-scope row
    (an item of another tenant's order) is out of scope too. One ``filter()`` call, so a
    multi-valued hop is the same join for the correlation and for its scope."""
    lookups: dict[str, Any] = {reverse_lookup(head): OuterRef("pk")}
    for i, hop in enumerate(head[:-1]):
        middle = manifest.models[hop.target]
        if middle.scope is not None:
            back_to_middle = reverse_lookup(head[i + 1 :])
            lookups[f"{back_to_middle}__in"] = middle.base_queryset().values("pk")
    return manifest.models[head[-1].target].base_queryset().filter(**lookups)


def split_to_many(resolved: ResolvedPath) -> tuple[tuple[Any, ...], str]:
    """Split at the last to-many hop: (hops up to and including it, the remaining ORM path)."""
    k = resolved.last_many_index
    head = resolved.hops[: k + 1]
    rest = [h.name for h in resolved.hops[k + 1 :]]
    if resolved.field is not None:
        rest.append(resolved.field.name)
    return head, "__".join(rest)


class ConditionCompiler:
    """Compiles a condition tree relative to one model into a ``Q``."""

    def __init__(self, ctx: CompileContext) -> None:
        self.ctx = ctx

    def compile(self, cond: p.Condition, model: ModelInfo) -> Q:
        method: Callable[[Any, ModelInfo], Q] = getattr(self, f"c_{cond.kind}")
        return method(cond, model)

    # --------------------------------------------------------------- boolean structure

    def c_and(self, cond: p.And, model: ModelInfo) -> Q:
        q = Q()
        for child in cond.conditions:
            q &= self.compile(child, model)
        return q

    def c_or(self, cond: p.Or, model: ModelInfo) -> Q:
        q = self.compile(cond.conditions[0], model)
        for child in cond.conditions[1:]:
            q |= self.compile(child, model)
        return q

    def c_not(self, cond: p.Not, model: ModelInfo) -> Q:
        # Django's negation is NULL-safe: ~Q(f=v) also matches rows where f is NULL.
        return ~self.compile(cond.condition, model)

    def c_segment(self, cond: p.SegmentRef, model: ModelInfo) -> Q:
        return self.compile(model.segments[cond.name].condition, model)

    def c_exists(self, cond: p.Exists, model: ModelInfo) -> Q:
        resolved = self.ctx.resolve(model, cond.relation)
        sub = related_rows(self.ctx.manifest, resolved.hops)
        if cond.condition is not None:
            sub = sub.filter(self.compile(cond.condition, resolved.target))
        exists = Exists(sub.values("pk"))
        return Q(~exists if cond.negated else exists)

    # --------------------------------------------------------------- leaf conditions

    def leaf(self, model: ModelInfo, path: str, build: Callable[[ResolvedPath, str], Q]) -> Q:
        """Build a leaf condition; on a to-many path, wrap it in EXISTS over the related rows."""
        resolved = self.ctx.resolve(model, path)
        if not resolved.to_many:
            return build(resolved, resolved.orm_path)
        head = resolved.hops[: resolved.last_many_index + 1]
        inner_path = ".".join(path.split(".")[len(head) :])
        if not inner_path:
            raise PlanInvalid(f"{path!r} is a to-many relation: use exists({path}) instead")
        inner_model = self.ctx.manifest.models[head[-1].target]
        inner = self.ctx.resolve(inner_model, inner_path)  # to-one hops only from here
        sub = related_rows(self.ctx.manifest, head).filter(build(inner, inner.orm_path))
        return Q(Exists(sub.values("pk")))

    def c_compare(self, cond: p.Compare, model: ModelInfo) -> Q:
        def build(r: ResolvedPath, orm: str) -> Q:
            if r.type == "datetime" and _is_date_only(cond.value):
                return self._datetime_vs_day(orm, cond.op, str(cond.value))
            value = self.coerce(r, cond.value)
            if cond.op in ("=", "!="):
                q = Q(**{f"{orm}__{self._equality_lookup(r)}": value})
                return ~q if cond.op == "!=" else q
            return Q(**{f"{orm}__{_OPS[cond.op]}": value})

        return self.leaf(model, cond.field, build)

    def c_between(self, cond: p.Between, model: ModelInfo) -> Q:
        def build(r: ResolvedPath, orm: str) -> Q:
            if r.type == "datetime" and _is_date_only(cond.low) and _is_date_only(cond.high):
                low = self._midnight(str(cond.low))
                high = self._midnight(str(cond.high)) + dt.timedelta(days=1)
                return Q(**{f"{orm}__gte": low, f"{orm}__lt": high})
            return Q(**{f"{orm}__range": (self.coerce(r, cond.low), self.coerce(r, cond.high))})

        return self.leaf(model, cond.field, build)

    def c_in(self, cond: p.InList, model: ModelInfo) -> Q:
        def build(r: ResolvedPath, orm: str) -> Q:
            if self._equality_lookup(r) == "iexact":
                q = Q()
                for v in cond.values:
                    q |= Q(**{f"{orm}__iexact": self.coerce(r, v)})
            else:
                q = Q(**{f"{orm}__in": [self.coerce(r, v) for v in cond.values]})
            return ~q if cond.negated else q

        return self.leaf(model, cond.field, build)

    def c_text(self, cond: p.TextMatch, model: ModelInfo) -> Q:
        return self.leaf(
            model, cond.field, lambda r, orm: Q(**{f"{orm}__{_TEXT_OPS[cond.op]}": cond.value})
        )

    def c_is_null(self, cond: p.IsNull, model: ModelInfo) -> Q:
        resolved = self.ctx.resolve(model, cond.field)
        if resolved.to_many and resolved.field is None:
            # `orders is null` reads as "has no orders".
            exists = p.Exists(relation=cond.field, negated=not cond.negated)
            return self.c_exists(exists, model)
        return self.leaf(
            model, cond.field, lambda r, orm: Q(**{f"{orm}__isnull": not cond.negated})
        )

    def c_time_window(self, cond: p.TimeWindow, model: ModelInfo) -> Q:
        def build(r: ResolvedPath, orm: str) -> Q:
            window = self.ctx.window(cond.field, cond.window, as_dates=r.type == "date")
            return Q(**{f"{orm}__gte": window.start, f"{orm}__lt": window.end})

        return self.leaf(model, cond.field, build)

    # --------------------------------------------------------------- values

    @staticmethod
    def _equality_lookup(r: ResolvedPath) -> str:
        # Free text compares case-insensitively on every backend (MariaDB's default collation
        # already does; PostgreSQL and SQLite would not). Choice values compare exactly.
        if r.type in TEXT_TYPES and r.field is not None and not r.field.choices:
            return "iexact"
        return "exact"

    def _midnight(self, value: str) -> dt.datetime:
        day = dt.date.fromisoformat(value)
        return _storable(dt.datetime(day.year, day.month, day.day, tzinfo=self.ctx.tz))

    def _datetime_vs_day(self, orm: str, op: str, value: str) -> Q:
        """A date given for a date-time field means that whole day in the client's zone."""
        start = self._midnight(value)
        end = start + dt.timedelta(days=1)
        day = Q(**{f"{orm}__gte": start, f"{orm}__lt": end})
        return {
            "=": day,
            "!=": ~day,
            "<": Q(**{f"{orm}__lt": start}),
            "<=": Q(**{f"{orm}__lt": end}),
            ">": Q(**{f"{orm}__gte": end}),
            ">=": Q(**{f"{orm}__gte": start}),
        }[op]

    def coerce(self, r: ResolvedPath, value: Any) -> Any:
        """Turn a plan literal into the Python value Django expects for the field."""
        t = r.type
        if t == "date":
            return dt.date.fromisoformat(str(value))
        if t == "datetime":
            text = str(value)
            if _is_date_only(text):
                return self._midnight(text)
            moment = dt.datetime.fromisoformat(text)
            return _storable(moment if moment.tzinfo else moment.replace(tzinfo=self.ctx.tz))
        if t == "time":
            return dt.time.fromisoformat(str(value))
        if t == "duration":
            try:
                return dt.timedelta(seconds=float(value))
            except OverflowError:
                raise PlanInvalid(f"{value!r} seconds is longer than a duration can be") from None
        if t == "uuid":
            return uuid.UUID(str(value))
        return value


def _storable(moment: dt.datetime) -> dt.datetime:
    """``moment`` unchanged, or PlanInvalid when it has no UTC equivalent within years
    1-9999 (0001-01-01 00:30 in Berlin): the driver converts it to UTC and would fail with
    an OverflowError while the query runs."""
    try:
        moment.astimezone(dt.timezone.utc)
    except OverflowError:
        raise PlanInvalid(
            f"{moment.isoformat()} is outside the range of dates the database can store"
        ) from None
    return moment


def _is_date_only(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"
