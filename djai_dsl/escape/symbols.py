"""The names a snippet can use: the seed's "approved symbols in execution globals".

Nothing else exists in the snippet language. There are three kinds of names:

- the user's models, by class name (``Order``, ``Customer``), from the user's manifest only:
  a model the user may not view has no name. A class name two apps share is spelt
  ``<app_label>_<ClassName>`` for both (``shop_Order``);
- constructors: Django's expression classes (``Q``, ``F``, ``Count``, ``Case``/``When``,
  ``Window``, ``Subquery``/``OuterRef``/``Exists``, ``Extract*``/``Trunc*``...), output field
  types for ``output_field=``, and value constructors (``date``, ``datetime``, ``timedelta``,
  ``Decimal``). Each has a fixed argument table (:class:`Constructor`): what each argument
  may be, and which keywords exist;
- values: ``now`` (the request's aware "now") and ``today`` (its date in the request's time
  zone).

The interpreter calls a constructor's ``build`` itself, with arguments it has checked
against the table; a snippet never gets hold of a class or a function as a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import models as m
from django.db.models import functions as fn

from djai_dsl.manifest.types import Manifest, ModelInfo

__all__ = [
    "CONSTRUCTORS",
    "EXTRACT_KINDS",
    "LOOKUPS",
    "TRANSFORMS",
    "TRUNC_KINDS",
    "Arg",
    "Constructor",
    "ModelSymbol",
    "Symbols",
    "symbols_for",
]

#: Lookups a filter may end in. Not ``regex``/``iregex`` (SQLite runs them in Python, where
#: a pathological pattern holds the interpreter past the statement timeout), nor ``search``
#: and other backend-specific ones.
LOOKUPS = frozenset(
    {
        "exact",
        "iexact",
        "contains",
        "icontains",
        "in",
        "gt",
        "gte",
        "lt",
        "lte",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "range",
        "isnull",
    }
)

#: Transforms a path may go through (``created_at__year``, ``created_at__date__gte``).
TRANSFORMS = frozenset(
    {
        "date",
        "time",
        "year",
        "iso_year",
        "quarter",
        "month",
        "week",
        "day",
        "week_day",
        "iso_week_day",
        "hour",
        "minute",
        "second",
    }
)

#: Result types of the transforms above, for the column types of ``values()``.
TRANSFORM_TYPES = {"date": "date", "time": "time"}

EXTRACT_KINDS = frozenset(TRANSFORMS - {"date", "time"})
TRUNC_KINDS = frozenset({"year", "quarter", "month", "week", "day", "hour", "minute", "second"})


@dataclass(frozen=True)
class Arg:
    """What one argument may be.

    ``kind``: ``path`` (a field path string), ``expr`` (an expression; a string is a field
    path, as Django reads it; numbers, dates, booleans and None are values), ``q`` (a
    condition: ``Q``, ``Exists`` or a boolean expression), ``literal`` (a plain value, text
    included), ``int``, ``bool``, ``number``, ``text``, ``choice`` (a string from
    ``choices``), ``field_type`` (``FloatField()``...), ``queryset``, ``when``,
    ``window_expr``, ``expr_list`` and ``order_list`` (one or a list; in an order list a
    leading ``-`` means descending)."""

    name: str
    kind: str
    choices: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Constructor:
    name: str
    build: Callable[..., Any]
    category: str  # expression, aggregate, window, function, query, value, field_type, f, ...
    positional: tuple[Arg, ...] = ()
    required: int = 0  # how many of ``positional`` must be given
    varargs: Arg | None = None  # further positional arguments, all of this kind
    min_varargs: int = 0
    keywords: tuple[Arg, ...] = ()
    lookups: bool = False  # accepts field lookups as keywords (Q, When)
    homes: tuple[str, ...] = ("django.db.models",)  # modules a compatible import may name

    @property
    def keyword_names(self) -> dict[str, Arg]:
        return {a.name: a for a in self.keywords}

    def usage(self) -> str:
        """A one-line signature for hints and the prompt."""
        parts = [a.name for a in self.positional]
        if self.varargs is not None:
            parts.append(f"*{self.varargs.name}")
        parts += [f"{a.name}=" for a in self.keywords]
        if self.lookups:
            parts.append("**lookups")
        return f"{self.name}({', '.join(parts)})"


EXPR = Arg("expression", "expr")
FILTER = Arg("filter", "q")
DEFAULT = Arg("default", "expr")
OUTPUT = Arg("output_field", "field_type")
FUNCTIONS = ("django.db.models.functions",)


def _aggregate(name: str, cls: Any, *extra: Arg) -> Constructor:
    return Constructor(
        name, cls, "aggregate", (EXPR,), 1, keywords=(FILTER, DEFAULT, OUTPUT, *extra)
    )


def _function(name: str, cls: Any, homes: tuple[str, ...] = FUNCTIONS) -> Constructor:
    return Constructor(name, cls, "function", (EXPR,), 1, keywords=(OUTPUT,), homes=homes)


def _window_function(name: str, cls: Any, *positional: Arg, required: int = 0) -> Constructor:
    return Constructor(name, cls, "window_function", positional, required, homes=FUNCTIONS)


def _field_type(name: str, cls: Any, *keywords: Arg) -> Constructor:
    return Constructor(name, cls, "field_type", keywords=keywords)


def _date(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


_CONSTRUCTOR_LIST: list[Constructor] = [
    # references and conditions
    Constructor("F", m.F, "f", (Arg("name", "path"),), 1),
    Constructor("OuterRef", m.OuterRef, "outer_ref", (Arg("name", "path"),), 1),
    Constructor("Q", m.Q, "q", varargs=Arg("condition", "q"), lookups=True),
    Constructor("Value", m.Value, "expression", (Arg("value", "literal"),), 1, keywords=(OUTPUT,)),
    Constructor(
        "Case",
        m.Case,
        "expression",
        varargs=Arg("when", "when"),
        min_varargs=1,
        keywords=(DEFAULT, OUTPUT),
    ),
    Constructor(
        "When",
        m.When,
        "when",
        (Arg("condition", "q"),),
        0,
        keywords=(Arg("then", "expr"),),
        lookups=True,
    ),
    Constructor("ExpressionWrapper", m.ExpressionWrapper, "expression", (EXPR, OUTPUT), 2),
    # One column, named: a subquery of whole rows would select every column of its table,
    # hidden ones included (the database refuses that, but it is never even sent).
    Constructor(
        "Subquery",
        m.Subquery,
        "subquery",
        (Arg("queryset", "queryset", frozenset({"one_column"})),),
        1,
        keywords=(OUTPUT,),
    ),
    Constructor("Exists", m.Exists, "exists", (Arg("queryset", "queryset"),), 1),
    # aggregates
    Constructor(
        "Count",
        m.Count,
        "aggregate",
        (EXPR,),
        1,
        keywords=(Arg("distinct", "bool"), FILTER, OUTPUT),
    ),
    _aggregate("Sum", m.Sum, Arg("distinct", "bool")),
    _aggregate("Avg", m.Avg, Arg("distinct", "bool")),
    _aggregate("Min", m.Min),
    _aggregate("Max", m.Max),
    _aggregate("StdDev", m.StdDev, Arg("sample", "bool")),
    _aggregate("Variance", m.Variance, Arg("sample", "bool")),
    # functions
    Constructor(
        "Coalesce",
        fn.Coalesce,
        "function",
        varargs=EXPR,
        min_varargs=2,
        keywords=(OUTPUT,),
        homes=FUNCTIONS,
    ),
    Constructor("Cast", fn.Cast, "function", (EXPR, OUTPUT), 2, homes=FUNCTIONS),
    Constructor(
        "Concat",
        fn.Concat,
        "function",
        varargs=EXPR,
        min_varargs=2,
        keywords=(OUTPUT,),
        homes=FUNCTIONS,
    ),
    Constructor(
        "NullIf",
        fn.NullIf,
        "function",
        (Arg("expression1", "expr"), Arg("expression2", "expr")),
        2,
        homes=FUNCTIONS,
    ),
    Constructor("Greatest", fn.Greatest, "function", varargs=EXPR, min_varargs=2, homes=FUNCTIONS),
    Constructor("Least", fn.Least, "function", varargs=EXPR, min_varargs=2, homes=FUNCTIONS),
    _function("Lower", fn.Lower),
    _function("Upper", fn.Upper),
    _function("Length", fn.Length),
    _function("Abs", fn.Abs),
    Constructor(
        "Round",
        fn.Round,
        "function",
        (EXPR, Arg("precision", "int")),
        1,
        keywords=(OUTPUT,),
        homes=FUNCTIONS,
    ),
    Constructor(
        "Extract",
        fn.Extract,
        "function",
        (EXPR, Arg("lookup_name", "choice", EXTRACT_KINDS)),
        2,
        homes=FUNCTIONS,
    ),
    *[
        _function(name, getattr(fn, name))
        for name in (
            "ExtractYear",
            "ExtractIsoYear",
            "ExtractQuarter",
            "ExtractMonth",
            "ExtractWeek",
            "ExtractDay",
            "ExtractWeekDay",
            "ExtractIsoWeekDay",
            "ExtractHour",
            "ExtractMinute",
            "ExtractSecond",
        )
    ],
    Constructor(
        "Trunc",
        fn.Trunc,
        "function",
        (EXPR, Arg("kind", "choice", TRUNC_KINDS)),
        2,
        keywords=(OUTPUT,),
        homes=FUNCTIONS,
    ),
    *[
        _function(name, getattr(fn, name))
        for name in (
            "TruncYear",
            "TruncQuarter",
            "TruncMonth",
            "TruncWeek",
            "TruncDay",
            "TruncDate",
            "TruncHour",
            "TruncMinute",
            "TruncSecond",
            "TruncTime",
        )
    ],
    # windows
    Constructor(
        "Window",
        m.Window,
        "window",
        (Arg("expression", "window_expr"),),
        0,
        keywords=(
            Arg("expression", "window_expr"),
            Arg("partition_by", "expr_list"),
            Arg("order_by", "order_list"),
        ),
    ),
    _window_function("Rank", fn.Rank),
    _window_function("DenseRank", fn.DenseRank),
    _window_function("RowNumber", fn.RowNumber),
    _window_function("PercentRank", fn.PercentRank),
    _window_function("CumeDist", fn.CumeDist),
    _window_function("Ntile", fn.Ntile, Arg("num_buckets", "int"), required=1),
    _window_function("Lag", fn.Lag, EXPR, Arg("offset", "int"), Arg("default", "expr"), required=1),
    _window_function(
        "Lead", fn.Lead, EXPR, Arg("offset", "int"), Arg("default", "expr"), required=1
    ),
    _window_function("FirstValue", fn.FirstValue, EXPR, required=1),
    _window_function("LastValue", fn.LastValue, EXPR, required=1),
    _window_function("NthValue", fn.NthValue, EXPR, Arg("nth", "int"), required=2),
    # output field types
    _field_type("FloatField", m.FloatField),
    _field_type("IntegerField", m.IntegerField),
    _field_type("BigIntegerField", m.BigIntegerField),
    _field_type(
        "DecimalField", m.DecimalField, Arg("max_digits", "int"), Arg("decimal_places", "int")
    ),
    _field_type("CharField", m.CharField),
    _field_type("TextField", m.TextField),
    _field_type("BooleanField", m.BooleanField),
    _field_type("DateField", m.DateField),
    _field_type("DateTimeField", m.DateTimeField),
    _field_type("DurationField", m.DurationField),
    # plain values
    Constructor(
        "date",
        _date,
        "value",
        (Arg("year", "int"), Arg("month", "int"), Arg("day", "int")),
        3,
        homes=("datetime",),
    ),
    Constructor(
        "datetime",
        dt.datetime,  # made aware in the request's time zone by the interpreter
        "value",
        tuple(Arg(n, "int") for n in ("year", "month", "day", "hour", "minute", "second")),
        3,
        homes=("datetime",),
    ),
    Constructor(
        "timedelta",
        dt.timedelta,
        "value",
        keywords=tuple(Arg(n, "number") for n in ("weeks", "days", "hours", "minutes", "seconds")),
        homes=("datetime",),
    ),
    Constructor("Decimal", Decimal, "value", (Arg("value", "text"),), 1, homes=("decimal",)),
]

CONSTRUCTORS: dict[str, Constructor] = {c.name: c for c in _CONSTRUCTOR_LIST}

#: Where a compatible import may take a constructor from, besides its ``homes``: the module
#: that defines it (``django.db.models.aggregates`` for ``Count``).
for _c in _CONSTRUCTOR_LIST:
    _module = getattr(_c.build, "__module__", "")
    if _module and _module.startswith("django.") and _module not in _c.homes:
        CONSTRUCTORS[_c.name] = replace(_c, homes=(*_c.homes, _module))


@dataclass(frozen=True)
class ModelSymbol:
    name: str
    info: ModelInfo

    @property
    def homes(self) -> tuple[str, ...]:
        module = self.info.model.__module__
        return tuple(dict.fromkeys((module, f"{self.info.app_label}.models")))


@dataclass
class Symbols:
    """Every name a snippet of this user can use."""

    models: dict[str, ModelSymbol] = field(default_factory=dict)
    constructors: dict[str, Constructor] = field(default_factory=lambda: dict(CONSTRUCTORS))
    values: dict[str, Any] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {*self.models, *self.constructors, *self.values}

    def homes(self, name: str) -> tuple[str, ...]:
        if name in self.models:
            return self.models[name].homes
        if name in self.constructors:
            return self.constructors[name].homes
        return ()

    def model_names(self) -> dict[str, str]:
        """model label -> the name a snippet uses for it."""
        return {s.info.label: name for name, s in self.models.items()}


def symbols_for(manifest: Manifest, *, now: dt.datetime, tz: dt.tzinfo) -> Symbols:
    """The symbols for one request: this manifest's models, the constructors, and
    ``now``/``today`` for this request."""
    by_class: dict[str, list[ModelInfo]] = {}
    for info in manifest.models.values():
        by_class.setdefault(info.model.__name__, []).append(info)
    models: dict[str, ModelSymbol] = {}
    for class_name, infos in sorted(by_class.items()):
        if len(infos) == 1 and class_name not in CONSTRUCTORS:
            models[class_name] = ModelSymbol(class_name, infos[0])
            continue
        for info in infos:
            name = f"{info.app_label}_{class_name}"
            models[name] = ModelSymbol(name, info)
    local_now = now.astimezone(tz)
    return Symbols(models=models, values={"now": local_now, "today": local_now.date()})
