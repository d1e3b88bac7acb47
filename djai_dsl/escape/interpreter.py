"""The interpreter: a checked syntax tree -> a QuerySet that djai built itself.

djai walks the tree node by node and does what each node stands for with its own code: a
model name becomes that model's scoped base queryset, ``.filter(...)`` becomes a call of
``QuerySet.filter`` with arguments it has checked, ``Count("id")`` becomes
``django.db.models.Count("id")``. Only the methods and constructors in its tables exist;
there is no way from a snippet to any other object, attribute or function, because nothing
in the snippet is ever looked up on a Python object: every name is a key of djai's tables.
Python's ``eval``/``exec``/``compile`` are never called.

Every string Django would read as a field path goes through the manifest guard
(:mod:`djai_dsl.escape.paths`) against the model of the query it ends up in, before Django
sees it. Nothing touches the database here: ``count()``, ``exists()`` and ``aggregate()``
are recorded as a :class:`TerminalValue` for the runner, which runs them read-only.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import NotSupportedError
from django.db.models import F, QuerySet

from djai_dsl.errors import CodeInvalid, CodeTooLarge
from djai_dsl.escape.guard import MAX_INT, CheckedSnippet
from djai_dsl.escape.paths import FieldRef, PathResolver, ResolvedRef
from djai_dsl.escape.symbols import Arg, Constructor, ModelSymbol, Symbols
from djai_dsl.manifest.types import Manifest, ModelInfo

__all__ = [
    "ExprValue",
    "FieldTypeValue",
    "Interpreter",
    "QueryValue",
    "TerminalValue",
]

#: Errors Django raises for a query that cannot be built; they become ``code_invalid``.
DJANGO_BUILD_ERRORS = (
    FieldError,
    ValidationError,
    FieldDoesNotExist,
    TypeError,
    ValueError,
    NotSupportedError,
    NotImplementedError,
    OverflowError,
    decimal.InvalidOperation,
)

PLAIN_VALUES = (str, int, float, bool, decimal.Decimal, dt.date, dt.time, dt.timedelta)
NUMBERS = (int, float, decimal.Decimal)
TEMPORAL = (dt.date, dt.timedelta)
#: How far apart plain values computed in a snippet may get (``now - timedelta(...)``).
MAX_NUMBER = float(MAX_INT)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ExprValue:
    """A Django expression (or ``Q``) and the field paths it names, still to be resolved
    against the model of the query it is used in; ``outer`` holds ``OuterRef`` paths, which
    belong to the query one level up."""

    expression: Any
    kind: str
    refs: tuple[FieldRef, ...] = ()
    outer: tuple[FieldRef, ...] = ()


@dataclass(frozen=True)
class FieldTypeValue:
    """An output field type (``FloatField()``): only for ``output_field=`` and ``Cast``."""

    field: Any


@dataclass(frozen=True)
class ModelValue:
    symbol: ModelSymbol


@dataclass(frozen=True)
class QueryValue:
    """A QuerySet under construction, with what djai needs to know about it."""

    queryset: QuerySet[Any]
    info: ModelInfo
    annotations: tuple[str, ...] = ()  # names annotated or aliased so far
    aliases: tuple[str, ...] = ()  # of which alias(): usable in lookups, never selected
    selected: tuple[str, ...] | None = None  # values()/values_list() columns; None = rows
    column_refs: dict[str, ResolvedRef] = field(default_factory=dict)
    outer: tuple[FieldRef, ...] = ()  # OuterRef paths, for the query one level up
    window: bool = False  # has a window annotation
    start: int = 0
    stop: int | None = None
    sliced: bool = False
    single: bool = False  # first(), last() or [n]

    def sliced_queryset(self) -> QuerySet[Any]:
        """The queryset with its slice applied (for use inside another query)."""
        if not self.sliced:
            return self.queryset
        return self.queryset[self.start : self.stop]


@dataclass(frozen=True)
class TerminalValue:
    """``count()``, ``exists()`` or ``aggregate(...)``: run by the runner, read-only."""

    query: QueryValue
    method: str
    aggregates: dict[str, Any] = field(default_factory=dict)  # name -> expression
    positional: tuple[Any, ...] = ()


@dataclass
class _Collected:
    """Field paths met while coercing arguments."""

    refs: list[FieldRef] = field(default_factory=list)
    outer: list[FieldRef] = field(default_factory=list)

    def add(self, value: ExprValue) -> None:
        self.refs.extend(value.refs)
        self.outer.extend(value.outer)

    def add_query(self, value: QueryValue) -> None:
        # A queryset used inside another query: its OuterRefs point at that query.
        self.refs.extend(value.outer)


def _position(node: ast.AST) -> dict[str, int]:
    line = getattr(node, "lineno", None)
    if line is None:
        return {}
    return {"line": line, "column": getattr(node, "col_offset", 0) + 1}


def _ref(path: str, kind: str, node: ast.AST) -> FieldRef:
    position = _position(node)
    return FieldRef(path, kind, position.get("line"), position.get("column"))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- interpreter


class Interpreter:
    """Interprets one checked snippet for one manifest. ``run`` returns a
    :class:`QueryValue` (rows) or a :class:`TerminalValue`."""

    def __init__(
        self,
        manifest: Manifest,
        symbols: Symbols,
        *,
        tz: dt.tzinfo,
        max_hops: int,
        max_in_values: int,
    ) -> None:
        self.manifest = manifest
        self.symbols = symbols
        self.tz = tz
        self.max_in_values = max_in_values
        self.resolver = PathResolver(manifest, max_hops)
        self.env: dict[str, Any] = {}

    def run(self, checked: CheckedSnippet) -> QueryValue | TerminalValue:
        result: Any = None
        for statement in checked.statements:
            if isinstance(statement, ast.Assign):
                target = statement.targets[0]
                assert isinstance(target, ast.Name)
                result = self.env[target.id] = self.eval(statement.value)
            else:
                assert isinstance(statement, ast.Expr)
                result = self.eval(statement.value)
        last = checked.statements[-1]
        if isinstance(result, QueryValue):
            if result.outer:
                raise CodeInvalid(
                    "The answer uses OuterRef, which only a subquery can use.",
                    hint="use OuterRef inside Subquery(...) or Exists(...)",
                    **result.outer[0].position(),
                )
            return result
        if isinstance(result, TerminalValue):
            return result
        raise CodeInvalid(
            "The snippet must end in a query (rows, count(), exists() or aggregate(...)).",
            hint="e.g. Order.objects.filter(...).values(...)",
            **_position(last),
        )

    # -- dispatch

    def eval(self, node: ast.expr) -> Any:
        method: Callable[[Any], Any] | None = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:  # the guard lets no other node through
            raise CodeInvalid("This syntax is not available.", **_position(node))
        return method(node)

    def eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def eval_Name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.symbols.values:
            return self.symbols.values[name]
        if name in self.symbols.models:
            return ModelValue(self.symbols.models[name])
        if name in self.symbols.constructors:
            raise CodeInvalid(
                f"{name} must be called: {self.symbols.constructors[name].usage()}.",
                **_position(node),
            )
        raise CodeInvalid(f"There is nothing called {name!r} here.", **_position(node))

    def eval_List(self, node: ast.List) -> list[Any]:
        return [self.eval(element) for element in node.elts]

    def eval_Tuple(self, node: ast.Tuple) -> list[Any]:
        return [self.eval(element) for element in node.elts]

    def eval_Attribute(self, node: ast.Attribute) -> Any:
        value = self.eval(node.value)
        if isinstance(value, ModelValue) and node.attr == "objects":
            info = value.symbol.info
            return QueryValue(queryset=info.base_queryset(), info=info)
        what = "a model" if isinstance(value, ModelValue) else _describe(value)
        hint = "use Model.objects" if isinstance(value, ModelValue) else f"call it: .{node.attr}()"
        raise CodeInvalid(f".{node.attr} is not available on {what}.", hint=hint, **_position(node))

    def eval_Subscript(self, node: ast.Subscript) -> QueryValue:
        value = self.eval(node.value)
        if not isinstance(value, QueryValue):
            raise CodeInvalid(
                f"Only a query can be sliced, not {_describe(value)}.", **_position(node)
            )
        if value.sliced:
            raise CodeInvalid(
                "A query can be sliced once.", hint="write one [start:stop]", **_position(node)
            )
        index = node.slice
        if isinstance(index, ast.Slice):
            start = index.lower.value if isinstance(index.lower, ast.Constant) else 0
            stop = index.upper.value if isinstance(index.upper, ast.Constant) else None
            return replace(value, start=start, stop=stop, sliced=True)
        assert isinstance(index, ast.Constant)
        return replace(value, start=index.value, stop=index.value + 1, sliced=True, single=True)

    def eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        op = node.op
        if isinstance(operand, NUMBERS) and not isinstance(operand, bool):
            if isinstance(op, ast.USub):
                return -operand
            if isinstance(op, ast.UAdd):
                return operand
        if isinstance(operand, dt.timedelta) and isinstance(op, ast.USub):
            return -operand
        if isinstance(operand, ExprValue) and isinstance(op, (ast.USub, ast.Invert)):
            apply = operator.neg if isinstance(op, ast.USub) else operator.invert
            kind = operand.kind if isinstance(op, ast.Invert) else "expression"
            expression = self._django(node, lambda: apply(operand.expression))
            return replace(operand, expression=expression, kind=kind)
        symbol = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(op)]
        raise CodeInvalid(
            f"{symbol} cannot be applied to {_describe(operand)}.",
            hint="~ negates conditions such as ~Q(...) or ~Exists(...)",
            **_position(node),
        )

    _BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.Div: operator.truediv,
        ast.BitAnd: operator.and_,
        ast.BitOr: operator.or_,
    }

    def eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        apply = self._BINARY[type(node.op)]
        if isinstance(left, ExprValue) or isinstance(right, ExprValue):
            return self._combine(node, apply, left, right)
        if _plain_arithmetic(left, right, node.op):
            try:
                value = apply(left, right)
            except (ZeroDivisionError, OverflowError, ArithmeticError) as exc:
                raise CodeInvalid(f"The arithmetic fails: {exc}.", **_position(node)) from None
            _check_range(value, node)
            return value
        raise CodeInvalid(
            f"{_describe(left)} and {_describe(right)} cannot be combined this way.",
            hint="arithmetic works on numbers, dates with timedelta(...), and expressions; "
            "& and | combine Q(...) conditions",
            **_position(node),
        )

    def _combine(
        self, node: ast.BinOp, apply: Callable[[Any, Any], Any], left: Any, right: Any
    ) -> ExprValue:
        collected = _Collected()
        operands = []
        for side in (left, right):
            if isinstance(side, ExprValue):
                collected.add(side)
                operands.append(side.expression)
            elif isinstance(side, PLAIN_VALUES) and not isinstance(side, (str, bool)):
                operands.append(side)
            else:
                raise CodeInvalid(
                    f"An expression cannot be combined with {_describe(side)}.",
                    hint="use Value(...) for text, Concat(...) to join text, "
                    "Subquery(...) for a query",
                    **_position(node),
                )
        conditional = isinstance(node.op, (ast.BitAnd, ast.BitOr))
        expression = self._django(node, lambda: apply(*operands))
        kind = "q" if conditional else "expression"
        return ExprValue(expression, kind, tuple(collected.refs), tuple(collected.outer))

    def eval_Call(self, node: ast.Call) -> Any:
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: (self.eval(k.value), k.value) for k in node.keywords if k.arg}
        func = node.func
        if isinstance(func, ast.Name):
            constructor = self.symbols.constructors.get(func.id)
            if constructor is None:
                raise CodeInvalid(
                    f"{func.id} cannot be called.",
                    hint="constructors such as Q(...), F(...), Count(...) can be called",
                    **_position(node),
                )
            return Construction(self, constructor, node).build(args, node.args, kwargs)
        assert isinstance(func, ast.Attribute)
        target = self.eval(func.value)
        if isinstance(target, QueryValue):
            return QueryMethods(self, target, node).call(func.attr, args, node.args, kwargs)
        if isinstance(target, ExprValue) and func.attr in ("asc", "desc"):
            return self._order(target, func.attr, args, kwargs, node)
        raise CodeInvalid(
            f".{func.attr}() is not available on {_describe(target)}.",
            hint="QuerySet methods work on Model.objects...; asc()/desc() on expressions",
            **_position(node),
        )

    def _order(
        self,
        target: ExprValue,
        method: str,
        args: list[Any],
        kwargs: dict[str, Any],
        node: ast.Call,
    ) -> ExprValue:
        if args or set(kwargs) - {"nulls_first", "nulls_last"}:
            raise CodeInvalid(
                f".{method}() takes only nulls_first=True or nulls_last=True.", **_position(node)
            )
        options = {}
        for name, (value, value_node) in kwargs.items():
            if value is not True:
                raise CodeInvalid(f"{name} can only be True.", **_position(value_node))
            options[name] = True
        expression = self._django(node, lambda: getattr(target.expression, method)(**options))
        return replace(target, expression=expression, kind="order")

    # -- helpers shared by constructors and query methods

    def _django(self, node: ast.AST, build: Callable[[], Any]) -> Any:
        """Call Django; a refusal of Django's becomes ``code_invalid`` at ``node``."""
        try:
            return build()
        except DJANGO_BUILD_ERRORS as exc:
            raise CodeInvalid(
                f"Django cannot build this: {_django_message(exc)}", **_position(node)
            ) from None

    def resolve(
        self, query: QueryValue, refs: Iterable[FieldRef], extra: Iterable[str] = ()
    ) -> list[ResolvedRef]:
        known = (*query.annotations, *extra)
        return [self.resolver.resolve(query.info, known, ref) for ref in refs]

    def coerce(self, value: Any, arg: Arg, node: ast.AST, collected: _Collected) -> Any:
        """``value`` as Django should get it for an argument of kind ``arg.kind``."""
        kind = arg.kind
        if kind == "path":
            if not isinstance(value, str):
                raise self._expected(arg, "a field name in quotes", node)
            collected.refs.append(_ref(value, "field", node))
            return value
        if kind in ("expr", "window_expr"):
            return self._expression(value, arg, node, collected)
        if kind == "q":
            if isinstance(value, ExprValue) and value.kind not in (
                "when",
                "order",
                "f",
                "outer_ref",
            ):
                collected.add(value)
                return value.expression
            raise self._expected(arg, "a condition such as Q(...) or Exists(...)", node)
        if kind == "when":
            if isinstance(value, ExprValue) and value.kind == "when":
                collected.add(value)
                return value.expression
            raise self._expected(arg, "When(...)", node)
        if kind == "queryset":
            one_column = "one_column" in arg.choices
            if isinstance(value, QueryValue) and one_column and value.selected is None:
                raise self._expected(arg, "a query of one column, e.g. .values('total')", node)
            if isinstance(value, QueryValue):
                collected.add_query(value)
                return value.sliced_queryset()
            raise self._expected(arg, "a query such as Order.objects.filter(...)", node)
        if kind in ("expr_list", "order_list"):
            items = value if isinstance(value, list) else [value]
            ordered = kind == "order_list"
            return [self._list_item(item, arg, node, collected, ordered) for item in items]
        if kind == "field_type":
            if isinstance(value, FieldTypeValue):
                return value.field
            raise self._expected(arg, "a field type such as FloatField()", node)
        if kind == "choice":
            if isinstance(value, str) and value in arg.choices:
                return value
            raise self._expected(arg, "one of " + ", ".join(sorted(arg.choices)), node)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise self._expected(arg, "True or False", node)
        if kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise self._expected(arg, "a whole number", node)
        if kind == "number":
            if (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and abs(value) < 10**9
            ):
                return value
            raise self._expected(arg, "a number", node)
        if kind == "text":
            if (
                isinstance(value, (str, int))
                and not isinstance(value, bool)
                and len(str(value)) <= 64
            ):
                return str(value)
            raise self._expected(arg, "a number written as text, e.g. '19.99'", node)
        if kind == "literal":
            if value is None or isinstance(value, PLAIN_VALUES):
                return value
            raise self._expected(arg, "a plain value (text, number, date, True/False, None)", node)
        raise AssertionError(f"unknown argument kind {kind}")  # pragma: no cover

    def _expression(self, value: Any, arg: Arg, node: ast.AST, collected: _Collected) -> Any:
        if isinstance(value, str):
            collected.refs.append(_ref(value, "field", node))
            return F(value)
        if isinstance(value, ExprValue):
            if value.kind in ("when", "order"):
                raise self._expected(arg, "an expression", node)
            if arg.kind == "window_expr" and value.kind not in ("aggregate", "window_function"):
                raise self._expected(arg, "an aggregate or a window function such as Rank()", node)
            collected.add(value)
            return value.expression
        if arg.kind == "expr" and (value is None or isinstance(value, PLAIN_VALUES)):
            return value  # Django makes it a Value
        if isinstance(value, QueryValue):
            raise self._expected(arg, "an expression (wrap a query in Subquery(...))", node)
        raise self._expected(arg, "an expression, a field name or a value", node)

    def _list_item(
        self, item: Any, arg: Arg, node: ast.AST, collected: _Collected, ordered: bool
    ) -> Any:
        if ordered and isinstance(item, str):
            descending = item.startswith("-")
            name = item[1:] if descending else item
            collected.refs.append(_ref(name, "field", node))
            return F(name).desc() if descending else F(name).asc()
        if ordered and isinstance(item, ExprValue) and item.kind == "order":
            collected.add(item)
            return item.expression
        return self._expression(item, Arg(arg.name, "expr"), node, collected)

    def lookup_value(self, value: Any, node: ast.AST, collected: _Collected) -> Any:
        """The right-hand side of a lookup: a plain value (text is text here), a list of
        them, an expression, or a query (a subquery)."""
        if value is None or isinstance(value, PLAIN_VALUES):
            return value
        if isinstance(value, list):
            if len(value) > self.max_in_values:
                raise CodeTooLarge(
                    f"The list has {len(value)} values; at most {self.max_in_values} are allowed.",
                    **_position(node),
                )
            return [self.lookup_value(v, node, collected) for v in value]
        if isinstance(value, ExprValue) and value.kind not in ("when", "order"):
            collected.add(value)
            return value.expression
        if isinstance(value, QueryValue):
            collected.add_query(value)
            return value.sliced_queryset()
        raise CodeInvalid(f"{_describe(value)} cannot be compared with a field.", **_position(node))

    def as_datetime(self, value: Any) -> Any:
        """A date compared with a date-time field means the start of that day in the
        request's time zone (as in plans), not a naive midnight."""
        if isinstance(value, list):
            return [self.as_datetime(v) for v in value]
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time(), tzinfo=self.tz)
        return value

    @staticmethod
    def _expected(arg: Arg, what: str, node: ast.AST) -> CodeInvalid:
        return CodeInvalid(f"{arg.name} must be {what}.", **_position(node))


# --------------------------------------------------------------------------- constructors


class Construction:
    """One call of a constructor: arguments checked against its table, then built."""

    def __init__(self, interpreter: Interpreter, constructor: Constructor, node: ast.Call) -> None:
        self.interpreter = interpreter
        self.constructor = constructor
        self.node = node
        self.collected = _Collected()

    def build(
        self,
        args: list[Any],
        arg_nodes: list[ast.expr],
        kwargs: dict[str, tuple[Any, ast.expr]],
    ) -> Any:
        c = self.constructor
        args, arg_nodes, kwargs = self._positional_by_name(args, arg_nodes, kwargs)
        positional = self._positional(args, arg_nodes)
        keywords = self._keywords(kwargs)
        given = len(args) + sum(1 for a in c.positional[len(args) :] if a.name in keywords)
        if given < c.required:
            raise self._usage(f"{c.name} needs {c.required} arguments")
        if c.name == "Window":
            return self._window(positional, keywords)
        if c.name == "Count" and args and args[0] == "*":
            # "*" is every row, not a field
            self.collected.refs = [r for r in self.collected.refs if r.path != "*"]
            positional[0] = "*"
        value = self.interpreter._django(self.node, lambda: self._call(positional, keywords))
        if c.category == "field_type":
            return FieldTypeValue(value)
        if c.category == "value":
            _check_range(value, self.node)
            return value
        if c.category == "outer_ref":
            return ExprValue(value, c.category, (), tuple(self.collected.refs))
        return ExprValue(value, c.category, tuple(self.collected.refs), tuple(self.collected.outer))

    def _positional_by_name(
        self, args: list[Any], nodes: list[ast.expr], kwargs: dict[str, tuple[Any, ast.expr]]
    ) -> tuple[list[Any], list[ast.expr], dict[str, tuple[Any, ast.expr]]]:
        """Positional arguments given by name (``ExpressionWrapper(x, output_field=...)``)
        move into their place while no earlier one is missing; later ones stay keywords,
        named as Django names them."""
        c = self.constructor
        args, nodes, kwargs = list(args), list(nodes), dict(kwargs)
        for i, arg in enumerate(c.positional):
            if arg.name not in kwargs or arg.name in c.keyword_names:
                continue
            if i < len(args):
                raise self._usage(f"{arg.name} is given twice")
            if i == len(args):
                value, node = kwargs.pop(arg.name)
                args.append(value)
                nodes.append(node)
        return args, nodes, kwargs

    def _call(self, positional: list[Any], keywords: dict[str, Any]) -> Any:
        c = self.constructor
        if c.name == "datetime":
            return dt.datetime(*positional, tzinfo=self.interpreter.tz)  # type: ignore[misc]
        if c.name == "Decimal":
            value = decimal.Decimal(positional[0])
            if not value.is_finite():
                raise ValueError("the number must be finite")
            return value
        return c.build(*positional, **keywords)

    def _positional(self, args: list[Any], nodes: list[ast.expr]) -> list[Any]:
        c = self.constructor
        if len(args) > len(c.positional) and c.varargs is None:
            raise self._usage(f"{c.name} takes at most {len(c.positional)} positional arguments")
        out = []
        for i, (value, node) in enumerate(zip(args, nodes, strict=True)):
            arg = c.positional[i] if i < len(c.positional) else c.varargs
            assert arg is not None
            out.append(self.interpreter.coerce(value, arg, node, self.collected))
        if c.varargs is not None and len(args) - len(c.positional) < c.min_varargs:
            raise self._usage(f"{c.name} needs at least {c.min_varargs} arguments")
        return out

    def _keywords(self, kwargs: dict[str, tuple[Any, ast.expr]]) -> dict[str, Any]:
        c = self.constructor
        known = {**{a.name: a for a in c.positional}, **c.keyword_names}
        out: dict[str, Any] = {}
        for name, (value, node) in kwargs.items():
            arg = known.get(name)
            if arg is not None:
                out[name] = self.interpreter.coerce(value, arg, node, self.collected)
            elif c.lookups:
                self.collected.refs.append(_ref(name, "lookup", node))
                out[name] = self.interpreter.lookup_value(value, node, self.collected)
            else:
                raise self._usage(f"{c.name} has no argument {name}=")
        return out

    def _window(self, positional: list[Any], keywords: dict[str, Any]) -> ExprValue:
        if (positional and "expression" in keywords) or not (
            positional or "expression" in keywords
        ):
            raise self._usage("Window needs one expression")
        expression = positional[0] if positional else keywords.pop("expression")
        window = self.interpreter._django(
            self.node, lambda: self.constructor.build(expression, **keywords)
        )
        return ExprValue(window, "window", tuple(self.collected.refs), tuple(self.collected.outer))

    def _usage(self, message: str) -> CodeInvalid:
        return CodeInvalid(
            f"{message}.", hint=f"usage: {self.constructor.usage()}", **_position(self.node)
        )


# --------------------------------------------------------------------------- query methods


class QueryMethods:
    """One method call on a query: one method per allowed QuerySet method (``m_<name>``)."""

    def __init__(self, interpreter: Interpreter, query: QueryValue, node: ast.Call) -> None:
        self.interpreter = interpreter
        self.query = query
        self.node = node

    def call(
        self,
        name: str,
        args: list[Any],
        arg_nodes: list[ast.expr],
        kwargs: dict[str, tuple[Any, ast.expr]],
    ) -> Any:
        method = getattr(self, f"m_{name}", None)
        if method is None:
            raise CodeInvalid(f".{name}() is not available on a query.", **_position(self.node))
        if self.query.single:
            raise CodeInvalid(
                f".{name}() cannot follow first(), last() or [n]: that is one row already.",
                hint="end the snippet there, or filter before taking the row",
                **_position(self.node),
            )
        if self.query.sliced and name not in ("count", "exists", "aggregate"):
            raise CodeInvalid(
                f".{name}() cannot follow a slice.",
                hint="slice last: ...filter(...).order_by(...)[:10]",
                **_position(self.node),
            )
        return method(args, arg_nodes, kwargs)

    # -- helpers

    def _no_arguments(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        if args or kwargs:
            raise CodeInvalid(f".{name}() takes no arguments here.", **_position(self.node))

    def _django(self, build: Callable[[], Any]) -> Any:
        return self.interpreter._django(self.node, build)

    def _with(
        self, queryset: QuerySet[Any], collected: _Collected | None = None, **changes: Any
    ) -> QueryValue:
        outer = self.query.outer + tuple(collected.outer if collected else ())
        return replace(self.query, queryset=queryset, outer=outer, **changes)

    def _conditions(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, tuple[Any, ast.expr]]
    ) -> tuple[list[Any], dict[str, Any], _Collected]:
        interpreter = self.interpreter
        collected = _Collected()
        conditions = [
            interpreter.coerce(value, Arg("condition", "q"), node, collected)
            for value, node in zip(args, arg_nodes, strict=True)
        ]
        lookups = {}
        for name, (value, node) in kwargs.items():
            ref = _ref(name, "lookup", node)
            collected.refs.append(ref)
            lookups[name] = interpreter.lookup_value(value, node, collected)
            (resolved,) = interpreter.resolve(self.query, [ref])
            if resolved.type == "datetime":
                lookups[name] = interpreter.as_datetime(lookups[name])
        interpreter.resolve(self.query, collected.refs)
        return conditions, lookups, collected

    def _annotation(self, value: Any, name: str, node: ast.AST, collected: _Collected) -> Any:
        if isinstance(value, ExprValue) and value.kind not in ("when", "order", "q"):
            collected.add(value)
            return value.expression
        if isinstance(value, ExprValue) and value.kind == "q":
            raise CodeInvalid(
                f"{name}: a condition is not a value.",
                hint="use ExpressionWrapper(Q(...), output_field=BooleanField()) or Case(When(...))",
                **_position(node),
            )
        hint = (
            "wrap a query in Subquery(...)"
            if isinstance(value, QueryValue)
            else "wrap a value in Value(...)"
        )
        raise CodeInvalid(
            f"{name} must be an expression such as Count('id').", hint=hint, **_position(node)
        )

    def _named_expressions(
        self, kwargs: dict[str, tuple[Any, ast.expr]], collected: _Collected
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (value, node) in kwargs.items():
            inner = _Collected()
            out[name] = self._annotation(value, name, node, inner)
            self.interpreter.resolve(self.query, inner.refs, extra=out)
            collected.outer.extend(inner.outer)
        return out

    def _new_annotations(self, before: QuerySet[Any], after: QuerySet[Any]) -> tuple[str, ...]:
        return tuple(k for k in after.query.annotations if k not in before.query.annotations)

    def _has_window(self, queryset: QuerySet[Any], names: Iterable[str]) -> bool:
        annotations = queryset.query.annotations
        return self.query.window or any(
            getattr(annotations[n], "contains_over_clause", False) for n in names
        )

    # -- the methods

    def m_all(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        self._no_arguments("all", args, kwargs)
        return self.query

    def m_filter(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        conditions, lookups, collected = self._conditions(args, arg_nodes, kwargs)
        qs = self._django(lambda: self.query.queryset.filter(*conditions, **lookups))
        return self._with(qs, collected)

    def m_exclude(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        conditions, lookups, collected = self._conditions(args, arg_nodes, kwargs)
        qs = self._django(lambda: self.query.queryset.exclude(*conditions, **lookups))
        return self._with(qs, collected)

    def m_annotate(
        self,
        args: list[Any],
        arg_nodes: list[ast.expr],
        kwargs: dict[str, Any],
        alias: bool = False,
    ) -> QueryValue:
        collected = _Collected()
        positional = []
        for value, node in zip(args, arg_nodes, strict=True):
            inner = _Collected()
            positional.append(self._annotation(value, "annotation", node, inner))
            self.interpreter.resolve(self.query, inner.refs)
            collected.outer.extend(inner.outer)
        named = self._named_expressions(kwargs, collected)
        before = self.query.queryset
        method = before.alias if alias else before.annotate
        qs = self._django(lambda: method(*positional, **named))
        new = self._new_annotations(before, qs)
        selected = self.query.selected
        if selected is not None and not alias:
            selected = (*selected, *new)
        return self._with(
            qs,
            collected,
            annotations=(*self.query.annotations, *new),
            aliases=(*self.query.aliases, *new) if alias else self.query.aliases,
            selected=selected,
            window=self._has_window(qs, new),
        )

    def m_alias(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        if args:
            raise CodeInvalid(".alias() takes only named expressions.", **_position(self.node))
        return self.m_annotate(args, arg_nodes, kwargs, alias=True)

    def m_values(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any], flat: bool = False
    ) -> QueryValue:
        query = self.query
        names: list[str] = []
        refs: dict[str, ResolvedRef] = {}
        for value, node in zip(args, arg_nodes, strict=True):
            if not isinstance(value, str):
                raise CodeInvalid(
                    "values() takes field names, and expressions by name: values(n=...).",
                    **_position(node),
                )
            if value in query.aliases:
                raise CodeInvalid(
                    f"{value!r} is an alias(), which cannot be selected; use annotate().",
                    **_position(node),
                )
            (resolved,) = self.interpreter.resolve(query, [_ref(value, "field", node)])
            names.append(value)
            if resolved.annotation is None or resolved.path != resolved.annotation:
                refs[value] = resolved
        collected = _Collected()
        named = self._named_expressions(kwargs, collected)
        if not args and not kwargs:  # every field the user may see, never the hidden ones
            names = [*query.info.fields, *(a for a in query.annotations if a not in query.aliases)]
            for name in query.info.fields:
                (refs[name],) = self.interpreter.resolve(query, [FieldRef(name, "field")])
        qs = self._django(lambda: query.queryset.values(*names, **named))
        return self._with(
            qs,
            collected,
            selected=(*names, *named),
            column_refs=refs,
            annotations=(*query.annotations, *(n for n in named if n not in query.annotations)),
            window=self._has_window(qs, named),
        )

    def m_values_list(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        flat = False
        for name, (value, node) in kwargs.items():
            if name != "flat" or not isinstance(value, bool):
                raise CodeInvalid(
                    "values_list() takes field names and flat=True.", **_position(node)
                )
            flat = value
        if flat and len(args) != 1:
            raise CodeInvalid(
                "values_list(flat=True) takes exactly one field.", **_position(self.node)
            )
        return self.m_values(args, arg_nodes, {})

    def m_order_by(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        if kwargs:
            raise CodeInvalid(
                ".order_by() takes field names and expressions.", **_position(self.node)
            )
        collected = _Collected()
        items = []
        for value, node in zip(args, arg_nodes, strict=True):
            if value == "?":
                raise CodeInvalid(
                    "Random order is not available: answers must be reproducible.",
                    hint="order by a field",
                    **_position(node),
                )
            if isinstance(value, str):
                name = value[1:] if value.startswith("-") else value
                collected.refs.append(_ref(name, "field", node))
                items.append(value)
            else:
                items.append(
                    self.interpreter._list_item(
                        value, Arg("order_by", "order_list"), node, collected, True
                    )
                )
        self.interpreter.resolve(self.query, collected.refs)
        qs = self._django(lambda: self.query.queryset.order_by(*items))
        return self._with(qs, collected)

    def m_distinct(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        if args or kwargs:
            raise CodeInvalid(
                "distinct() on fields is PostgreSQL-only; use values(...).distinct().",
                **_position(self.node),
            )
        return self._with(self._django(lambda: self.query.queryset.distinct()))

    def m_reverse(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        self._no_arguments("reverse", args, kwargs)
        return self._with(self._django(lambda: self.query.queryset.reverse()))

    def m_first(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        self._no_arguments("first", args, kwargs)
        qs = self.query.queryset
        if not qs.ordered:
            self._ordering_needed("first")
            qs = qs.order_by("pk")
        return self._with(qs, start=0, stop=1, sliced=True, single=True)

    def m_last(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> QueryValue:
        self._no_arguments("last", args, kwargs)
        qs = self.query.queryset
        if qs.ordered:
            qs = self._django(lambda: qs.reverse())
        else:
            self._ordering_needed("last")
            qs = qs.order_by("-pk")
        return self._with(qs, start=0, stop=1, sliced=True, single=True)

    def _ordering_needed(self, method: str) -> None:
        if self.query.queryset.query.group_by is not None:
            raise CodeInvalid(
                f".{method}() on grouped rows needs an order_by(...) first.",
                **_position(self.node),
            )

    def m_count(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> TerminalValue:
        self._no_arguments("count", args, kwargs)
        return TerminalValue(self.query, "count")

    def m_exists(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> TerminalValue:
        self._no_arguments("exists", args, kwargs)
        return TerminalValue(self.query, "exists")

    def m_aggregate(
        self, args: list[Any], arg_nodes: list[ast.expr], kwargs: dict[str, Any]
    ) -> TerminalValue:
        collected = _Collected()
        positional = []
        for value, node in zip(args, arg_nodes, strict=True):
            inner = _Collected()
            positional.append(self._annotation(value, "aggregate", node, inner))
            self.interpreter.resolve(self.query, inner.refs)
            collected.outer.extend(inner.outer)
        named = self._named_expressions(kwargs, collected)
        if not positional and not named:
            raise CodeInvalid(
                "aggregate() needs at least one aggregate.",
                hint="aggregate(total=Sum('total'))",
                **_position(self.node),
            )
        if collected.outer:
            raise CodeInvalid("aggregate() cannot use OuterRef.", **_position(self.node))
        for expression in (*positional, *named.values()):
            if not getattr(expression, "contains_aggregate", False):
                raise CodeInvalid(
                    "aggregate() takes aggregates such as Sum('total').", **_position(self.node)
                )
        for expression in positional:
            if getattr(expression, "default_alias", None) is None:
                raise CodeInvalid(
                    "Name complex aggregates: aggregate(name=...).", **_position(self.node)
                )
        return TerminalValue(self.query, "aggregate", named, tuple(positional))


# --------------------------------------------------------------------------- small helpers


def _describe(value: Any) -> str:
    if isinstance(value, QueryValue):
        return "a query"
    if isinstance(value, TerminalValue):
        return f"the result of {value.method}()"
    if isinstance(value, ExprValue):
        return {"q": "a condition", "when": "When(...)", "order": "an ordering"}.get(
            value.kind, "an expression"
        )
    if isinstance(value, ModelValue):
        return f"the model {value.symbol.name}"
    if isinstance(value, FieldTypeValue):
        return "a field type"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True/False"
    if isinstance(value, str):
        return "text"
    if isinstance(value, NUMBERS):
        return "a number"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.timedelta):
        return "a timedelta"
    return "a value"


def _plain_arithmetic(left: Any, right: Any, op: ast.operator) -> bool:
    if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    if isinstance(left, NUMBERS) and isinstance(right, NUMBERS):
        return not (isinstance(left, decimal.Decimal) and isinstance(right, float)) and not (
            isinstance(left, float) and isinstance(right, decimal.Decimal)
        )
    if isinstance(op, (ast.Add, ast.Sub)):
        if isinstance(left, TEMPORAL) and isinstance(right, dt.timedelta):
            return True
        if (
            isinstance(op, ast.Sub)
            and isinstance(left, dt.datetime)
            and isinstance(right, dt.datetime)
        ):
            return True
        if isinstance(op, ast.Sub) and type(left) is dt.date and type(right) is dt.date:
            return True
    if isinstance(op, (ast.Mult, ast.Div)) and isinstance(left, dt.timedelta):
        return isinstance(right, (int, float))
    return False


def _check_range(value: Any, node: ast.AST) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)) and not abs(value) <= MAX_NUMBER:
        raise CodeTooLarge("The number is beyond the 64-bit range.", **_position(node))
    if isinstance(value, float) and value != value:
        raise CodeInvalid("The number is not a number.", **_position(node))
    if isinstance(value, decimal.Decimal) and (not value.is_finite() or abs(value) > MAX_NUMBER):
        raise CodeTooLarge("The number is beyond the allowed range.", **_position(node))


def _django_message(exc: BaseException) -> str:
    """Django's reason, without its list of a model's fields ("Choices are: ..."), which
    would name hidden ones."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = text.split("Choices are", 1)[0].rstrip(" .:")
    return text[:300] + "."
