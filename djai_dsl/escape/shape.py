"""An interpreted snippet -> what the executor runs: a ``CompiledQuery`` (rows, paged like a
plan's) or a :class:`TerminalQuery` (``count()``, ``exists()``, ``aggregate()``: one row).

Rows are always ``values()`` dicts: a query of model rows shows the fields of the user's
manifest (never a hidden one) and its annotations. Pages are keyset-paginated as for plans,
so the order must be total and spelt as keys of the row: the snippet's own ``order_by``
(or the model's default ordering, when every name in it is visible) becomes order keys,
completed by the primary key (one row per object), the group keys (``values().annotate()``)
or every column (``distinct()``). NULLs sort as the smallest value, as in plans. An order
djai cannot express as keys (an ordering expression, window functions) keeps the
snippet's order and gives one page, with ``truncated`` telling when rows were left out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldError
from django.db.models import F, QuerySet
from django.db.models.expressions import Col, OrderBy
from django.utils import timezone

from djai_dsl.compiler.types import Column, CompiledQuery, OrderKey
from djai_dsl.errors import CodeInvalid, CodeUnknownField
from djai_dsl.escape.interpreter import DJANGO_BUILD_ERRORS, QueryValue, TerminalValue
from djai_dsl.escape.paths import FieldRef, PathResolver, ResolvedRef
from djai_dsl.manifest.builder import field_type

__all__ = ["CompiledSnippet", "TerminalQuery", "shape"]

EXPLANATION = (
    "Answered by an ORM snippet over {plural}: djai checked it against what you may see "
    "and ran it read-only."
)


@dataclass
class TerminalQuery:
    """A one-row answer computed by a QuerySet method that returns a value."""

    queryset: QuerySet[Any]
    method: str  # count, exists, aggregate
    columns: list[Column]
    aggregates: dict[str, Any] = field(default_factory=dict)
    positional: tuple[Any, ...] = ()


@dataclass
class CompiledSnippet:
    """A checked and interpreted snippet, ready to run. Exactly one of ``compiled`` and
    ``terminal`` is set."""

    source: str
    model_label: str
    explanation: str
    fingerprint: str
    compiled: CompiledQuery | None = None
    terminal: TerminalQuery | None = None

    @property
    def columns(self) -> list[Column]:
        if self.compiled is not None:
            return self.compiled.columns
        assert self.terminal is not None
        return self.terminal.columns


def fingerprint(tree_dump: str, tz: Any, now: dt.datetime) -> str:
    payload = f"escape|{tree_dump}|{getattr(tz, 'key', str(tz))}|{now.isoformat()}"
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def shape(
    value: QueryValue | TerminalValue,
    resolver: PathResolver,
    *,
    source: str,
    fingerprint: str,
    tz: Any,
    alias: str,
) -> CompiledSnippet:
    query = value.query if isinstance(value, TerminalValue) else value
    info = query.info
    snippet = CompiledSnippet(
        source=source,
        model_label=info.label,
        explanation=EXPLANATION.format(plural=info.verbose_name_plural),
        fingerprint=fingerprint,
    )
    if isinstance(value, TerminalValue):
        snippet.terminal = _terminal(value, tz, alias)
    else:
        snippet.compiled = _rows(value, resolver, snippet, tz, alias)
    return snippet


# --------------------------------------------------------------------------- rows


def _rows(
    query: QueryValue, resolver: PathResolver, snippet: CompiledSnippet, tz: Any, alias: str
) -> CompiledQuery:
    qs = query.queryset
    if query.selected is None:  # model rows: the visible fields and the annotations
        names = [*query.info.fields, *(a for a in query.annotations if a not in query.aliases)]
        refs = {
            n: resolver.resolve(query.info, (), FieldRef(n, "field")) for n in query.info.fields
        }
        qs = _django(lambda: qs.values(*names))
        query = QueryValue(
            queryset=qs,
            info=query.info,
            annotations=query.annotations,
            aliases=query.aliases,
            selected=tuple(names),
            column_refs=refs,
            window=query.window,
            start=query.start,
            stop=query.stop,
            sliced=query.sliced,
            single=query.single,
        )
    columns = [_column(name, query, qs) for name in query.selected or ()]
    qs, order_keys = _ordered(query, qs, resolver, [c.key for c in columns])
    limit, offset = None, None
    if query.sliced:
        offset = query.start
        limit = None if query.stop is None else max(query.stop - query.start, 0)
    compiled = CompiledQuery(
        queryset=qs,
        columns=columns,
        order_keys=order_keys,
        limit=limit,
        offset=offset,
        explanation=snippet.explanation,
        fingerprint=snippet.fingerprint,
        model_label=query.info.label,
    )
    _compiles(qs, tz, alias)
    return compiled


def _column(name: str, query: QueryValue, qs: QuerySet[Any]) -> Column:
    resolved: ResolvedRef | None = query.column_refs.get(name)
    if resolved is not None:
        return Column(name, name, resolved.type or "string", resolved.label, resolved.scale)
    expression = qs.query.annotations.get(name)
    try:
        output = expression.output_field if expression is not None else None
    except FieldError as exc:
        raise CodeInvalid(
            f"The type of {name!r} is not clear: {' '.join(str(exc).split())}",
            hint="wrap it: ExpressionWrapper(..., output_field=FloatField())",
        ) from None
    ftype = field_type(output) if output is not None else None
    scale = getattr(output, "decimal_places", None) if ftype == "decimal" else None
    return Column(name, name, ftype or "string", name, scale)


def _ordered(
    query: QueryValue, qs: QuerySet[Any], resolver: PathResolver, keys: list[str]
) -> tuple[QuerySet[Any], list[OrderKey]]:
    """The queryset ordered by keys of its rows, and the keys; no keys when the order
    cannot be made total this way (one page then)."""
    if query.window:
        return qs, []
    wanted = _wanted_order(query, qs, resolver)
    if wanted is None:
        return qs, []
    grouping = qs.query.group_by
    per_object = grouping is None or grouping is True or _groups_by_pk(qs)
    order: list[OrderKey] = []
    hidden: dict[str, F] = {}  # key -> F(name): order keys the rows do not show

    def key_for(name: str, preferred: str) -> str:
        if name in keys:
            return name
        for key, expression in hidden.items():
            if expression.name == name:
                return key
        key = _free(preferred, [*keys, *hidden])
        hidden[key] = F(name)
        return key

    for i, (name, descending) in enumerate(wanted):
        key = key_for(name, "k_pk" if name == "pk" else f"k_s{i}")
        if key not in {o.key for o in order}:
            order.append(OrderKey(key, descending))
    used = {o.key for o in order}
    if qs.query.distinct:
        ties = list(keys)
    elif per_object:
        ties = [key_for("pk", "k_pk")]
    else:
        aggregates = {
            name
            for name, expr in qs.query.annotations.items()
            if getattr(expr, "contains_aggregate", False)
        }
        ties = [k for k in keys if k not in aggregates]
    order += [OrderKey(k, False) for k in ties if k not in used]
    if hidden:
        qs = _django(lambda: qs.annotate(**hidden))
    if not qs.query.standard_ordering:  # reverse() is already in the keys' directions
        qs = qs.reverse()
    ordering = [
        F(o.key).desc(nulls_last=True) if o.descending else F(o.key).asc(nulls_first=True)
        for o in order
    ]
    return _django(lambda: qs.order_by(*ordering)), order


def _wanted_order(
    query: QueryValue, qs: QuerySet[Any], resolver: PathResolver
) -> list[tuple[str, bool]] | None:
    sql_query = qs.query
    items: list[Any] = list(sql_query.order_by)
    # The model's default ordering, as Django would use it; not for distinct rows, where
    # Django's extra order columns would make duplicates distinct (a known trap).
    if (
        not items
        and sql_query.default_ordering
        and sql_query.group_by is None
        and not sql_query.distinct
    ):
        items = list(query.info.model._meta.ordering or [])
        if not all(_visible(item, query, resolver) for item in items):
            items = []
    wanted = []
    for item in items:
        if isinstance(item, str):
            descending = item.startswith("-")
            name = item.lstrip("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            if item.nulls_first or item.nulls_last:
                return None  # an explicit NULL placement that keyset pages cannot keep
            name, descending = item.expression.name, item.descending
        elif isinstance(item, F):
            name, descending = item.name, False
        else:
            return None
        if not sql_query.standard_ordering:  # reverse()
            descending = not descending
        wanted.append((name, descending))
    return wanted


def _visible(item: Any, query: QueryValue, resolver: PathResolver) -> bool:
    if not isinstance(item, str) or item == "?":
        return False
    try:
        resolver.resolve(query.info, query.annotations, FieldRef(item.lstrip("-"), "field"))
    except (CodeInvalid, CodeUnknownField):
        return False
    return True


def _groups_by_pk(qs: QuerySet[Any]) -> bool:
    pk = qs.model._meta.pk
    grouping = qs.query.group_by
    return isinstance(grouping, tuple) and any(
        isinstance(c, Col) and c.target is pk and c.alias == qs.query.base_table for c in grouping
    )


def _free(name: str, taken: list[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    return candidate


# --------------------------------------------------------------------------- terminal


def _terminal(value: TerminalValue, tz: Any, alias: str) -> TerminalQuery:
    qs = value.query.sliced_queryset()
    if value.method == "count":
        columns = [Column("count", "count", "integer", "count")]
    elif value.method == "exists":
        columns = [Column("exists", "exists", "boolean", "exists")]
    else:
        named = dict(value.aggregates)
        for expression in value.positional:
            named[expression.default_alias] = expression
        probe = value.query
        if (
            not probe.sliced
            and not probe.queryset.query.distinct
            and probe.queryset.query.group_by is None
        ):
            # Build the same expressions on the query without running it, to type them
            # and to refuse what Django would refuse at run time.
            # (under neutral names: aggregate() may reuse a field's name, annotate() not).
            keys = {f"k{i}": expression for i, expression in enumerate(named.values())}
            annotated = _django(lambda: probe.queryset.annotate(**keys))
            _compiles(annotated, tz, alias)
            columns = [
                _aggregate_column(name, annotated.query.annotations[key])
                for name, key in zip(named, keys, strict=True)
            ]
        else:
            columns = [_aggregate_column(n, e) for n, e in named.items()]
        return TerminalQuery(qs, "aggregate", columns, value.aggregates, value.positional)
    return TerminalQuery(qs, value.method, columns)


def _aggregate_column(name: str, expression: Any) -> Column:
    try:
        output = expression.output_field
    except (FieldError, AttributeError):
        return Column(name, name, "float", name)
    ftype = field_type(output) or "float"
    scale = getattr(output, "decimal_places", None) if ftype == "decimal" else None
    return Column(name, name, ftype, name, scale)


# --------------------------------------------------------------------------- checks


def _django(build: Any) -> Any:
    try:
        return build()
    except DJANGO_BUILD_ERRORS as exc:
        text = " ".join(str(exc).split()).split("Choices are", 1)[0]
        raise CodeInvalid(f"Django cannot build this query: {text[:300]}") from None


def _compiles(qs: QuerySet[Any], tz: Any, alias: str) -> None:
    """Compile the SQL once without running it, in the request's time zone: what Django
    would refuse while running (a bad type, an aggregate of an aggregate) is refused here,
    as ``code_invalid``, before the read-only transaction starts."""
    try:
        with timezone.override(tz):
            qs.query.get_compiler(using=alias).as_sql()
    except EmptyResultSet:
        return
    except DJANGO_BUILD_ERRORS as exc:
        text = " ".join(str(exc).split()).split("Choices are", 1)[0]
        raise CodeInvalid(f"Django cannot build this query: {text[:300]}") from None
