"""DSL text -> QueryPlan.

The grammar lives in ``djai.lark`` (LALR, contextual lexer) and is compiled once per process.
There are two ways through it, with the same rule methods (:class:`PlanRules`):

* the fast path (:mod:`djai_dsl.grammar.driver`) runs lark's parse table and lexers in one
  loop and builds the plan models during the reductions, without a parse tree or positions.
  It counts the nesting nodes as it goes and gives up (``Declined``) on anything that is
  not a plain success;
* the reference path, taken whenever the fast path did not return a plan, is where every
  error is reported. It cannot reach an unbounded recursion:

  1. lark parses into a tree (its LALR parser is iterative, whatever the nesting);
  2. the tree's nesting depth is checked iteratively (:data:`MAX_NESTING`);
  3. :class:`PlanBuilder`, a lark Transformer, turns the tree into plan models.

A plan the fast path returns is the one the reference path would return: it succeeds only
when lark parses the text, there are at most :data:`MAX_NESTING` nesting nodes (so the depth
check passes) and every rule method returns. Errors always come from the reference path,
so they keep their positions and their order (a syntax error anywhere wins over a model
error before it). The fast path is about four times faster on typical queries.

Every failure becomes a :class:`~djai_dsl.errors.DjaiError`: syntax errors carry line,
column, the expected tokens in words and a "did you mean" hint; shape errors found by the
plan models (a keyword used as a name, ``this 2 months``) become
:class:`~djai_dsl.errors.PlanInvalid` pointing at the text they came from. Whether names
exist in the manifest is not checked here: that is :mod:`djai_dsl.validation`'s job.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from pydantic import BaseModel, ValidationError

from djai_dsl.errors import (
    DjaiError,
    DslSyntaxError,
    ErrorDetail,
    InputTooLarge,
    PlanInvalid,
    PlanTooComplex,
)
from djai_dsl.grammar.driver import LalrDriver
from djai_dsl.plan import (
    Aggregate,
    AggregateRef,
    And,
    Between,
    BinaryOp,
    CalendarPeriod,
    Compare,
    Condition,
    Exists,
    Formula,
    GroupKey,
    InList,
    IsNull,
    MeasureRef,
    Not,
    Number,
    Or,
    QueryPlan,
    RelativeWindow,
    SegmentRef,
    SelectItem,
    SortKey,
    TextMatch,
    TimeWindow,
)

if TYPE_CHECKING:
    from lark.tree import Meta


class NameHints(Protocol):
    """What the parser is given to suggest a name in a syntax error; a
    :class:`~djai_dsl.manifest.types.Manifest` is one. The parser resolves no names itself
    (that is validation's job), so this is all it needs to know of the manifest."""

    def hint_names(self, source: str | None = None) -> list[str]:
        """Names to suggest, best first: the fields and relations of ``source`` (a model
        name as written after ``from``, or None), then model labels and names."""
        ...


#: How deeply conditions and formulas may nest (parentheses, not, and/or, exists,
#: arithmetic). Far above what a question needs; it keeps every later recursive step
#: (transformer, printer, compiler) well inside Python's stack.
MAX_NESTING = 50

#: Numbers longer than this are refused before Python converts them.
MAX_NUMBER_DIGITS = 100

#: Keywords that can start the same thing as a field path (a condition; the argument of
#: count()), so a field with one of these names is written in backticks: `segment`.
#: tests/test_grammar.py checks this set against the grammar's parse table.
KEYWORD_PATHS = frozenset({"not", "exists", "segment", "distinct"})

_NESTING_RULES = frozenset(
    {"or_cond", "and_cond", "negation", "paren", "exists", "not_exists", "binop", "agg_filter"}
)
_INTEGER_RE = re.compile(r"-?\d+")

# --------------------------------------------------------------------------- the parser


@cache
def lark_parser() -> Lark:
    """The compiled grammar, built on first use and shared (lark's LALR parser is
    reentrant: each parse has its own state)."""
    return Lark.open(
        "djai.lark",
        rel_to=__file__,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        start=["start", "condition_only", "aggregate_only"],
    )


def terminal_regex(name: str) -> re.Pattern[str]:
    """A terminal's pattern from the grammar, so the printer decides with the very regex
    the lexer uses (e.g. which text values may be printed as bare dates)."""
    return re.compile(lark_parser().get_terminal(name).pattern.to_regexp())


# --------------------------------------------------------------------------- the transformer


class _Clause(NamedTuple):
    key: str
    value: Any
    meta: Meta


class _AggregateCall(NamedTuple):
    func: str
    field: str | None
    distinct: bool
    filter: Condition | None
    meta: Meta


class _Argument(NamedTuple):
    field: str
    distinct: bool


class _Filter(NamedTuple):
    condition: Condition


def _position(meta: Meta | None) -> tuple[int | None, int | None]:
    if meta is None or getattr(meta, "empty", True):
        return None, None
    return meta.line, meta.column


def _where(line: int | None, column: int | None) -> str:
    return f"line {line}, column {column}" if line is not None else ""


def _plan_invalid(
    exc: ValidationError, meta: Meta | None, clause_metas: dict[str, Meta] | None = None
) -> PlanInvalid:
    """Pydantic's errors, reworded and placed in the text: each detail says where (the
    clause an error is about when known, else the node that failed)."""
    details = []
    positions = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        clause_meta = (clause_metas or {}).get(str(loc[0])) if loc else None
        line, column = _position(clause_meta or meta)
        message = str(error["msg"]).removeprefix("Value error, ")
        if loc:
            message = f"{'.'.join(str(part) for part in loc)}: {message}"
        details.append(ErrorDetail(message=message, path=_where(line, column)))
        positions.append((line, column))
    line, column = positions[0]
    return PlanInvalid(details[0].message, details=details, line=line, column=column)


def _build(model: type[BaseModel], meta: Meta, /, **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValidationError as exc:
        raise _plan_invalid(exc, meta) from None


def _number(token: Token) -> int | float:
    text = str(token)
    if len(text) > MAX_NUMBER_DIGITS:
        raise PlanInvalid(
            f"the number {text[:20]}... is too long",
            line=token.line,
            column=token.column,
            hint=f"numbers may have at most {MAX_NUMBER_DIGITS} characters",
        )
    return int(text) if _INTEGER_RE.fullmatch(text) else float(text)


def _string_value(token: Token) -> str:
    """A STRING token's value. Without a backslash the grammar leaves nothing for JSON to
    decode (no quote, no control character), so the quotes are simply dropped."""
    text = str(token)
    return text[1:-1] if "\\" not in text else json.loads(text)


def _unit(token: Token) -> str:
    return str(token).lower().removesuffix("s")


class PlanRules:
    """Builds plan models bottom-up, one method per grammar rule, called with the rule's
    meta and children. Model constructors validate as they go, so an error points at the
    smallest piece of text that is wrong. On the fast path ``meta`` is None: an error there
    sends the text down the reference path, which reports it with the meta."""

    # ----------------------------------------------------------------------- plan
    def start(self, meta: Meta, clauses: list[_Clause]) -> QueryPlan:
        fields = {clause.key: clause.value for clause in clauses}
        metas = {clause.key: clause.meta for clause in clauses}
        try:
            return QueryPlan(**fields)
        except ValidationError as exc:
            raise _plan_invalid(exc, meta, metas) from None

    def from_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("source", children[0], meta)

    def where_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("where", children[0], meta)

    def select_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("select", list(children), meta)

    def group_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("group_by", list(children), meta)

    def aggregate_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("aggregates", list(children), meta)

    def having_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("having", children[0], meta)

    def sort_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("sort", list(children), meta)

    def limit_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("limit", _number(children[0]), meta)

    def offset_clause(self, meta: Meta, children: list[Any]) -> _Clause:
        return _Clause("offset", _number(children[0]), meta)

    # ----------------------------------------------------------------------- outputs
    def select_item(self, meta: Meta, children: list[Any]) -> SelectItem:
        return _build(SelectItem, meta, field=children[0])

    def named_select_item(self, meta: Meta, children: list[Any]) -> SelectItem:
        name, _eq, field = children
        return _build(SelectItem, meta, name=str(name), field=field)

    def group_key(self, meta: Meta, children: list[Any]) -> GroupKey:
        field, *bucket = children
        return _build(GroupKey, meta, field=field, bucket=bucket[0] if bucket else None)

    def named_group_key(self, meta: Meta, children: list[Any]) -> GroupKey:
        name, _eq, field, *bucket = children
        bucket_unit = bucket[0] if bucket else None
        return _build(GroupKey, meta, name=str(name), field=field, bucket=bucket_unit)

    def bucket(self, meta: Meta, children: list[Any]) -> str:
        return _unit(children[0])

    def sort_key(self, meta: Meta, children: list[Any]) -> SortKey:
        key, *direction = children
        descending = bool(direction) and str(direction[0]).lower() == "desc"
        return _build(SortKey, meta, key=key, descending=descending)

    # ----------------------------------------------------------------------- aggregates
    def aggregate(self, meta: Meta, children: list[Any]) -> Aggregate:
        name, _eq, call = children
        return self._aggregate(str(name), call)

    @staticmethod
    def _aggregate(name: str, call: _AggregateCall) -> Aggregate:
        return _build(
            Aggregate,
            call.meta,
            name=name,
            func=call.func,
            field=call.field,
            distinct=call.distinct,
            filter=call.filter,
        )

    def measure(self, meta: Meta, children: list[Any]) -> MeasureRef:
        name, _eq, measure = children
        return _build(MeasureRef, meta, name=str(name), measure=str(measure))

    def formula(self, meta: Meta, children: list[Any]) -> Formula:
        name, _eq, expr = children
        return _build(Formula, meta, name=str(name), expr=expr)

    def aggregate_call(self, meta: Meta, children: list[Any]) -> _AggregateCall:
        func, *rest = children
        argument = next((c for c in rest if isinstance(c, _Argument)), None)
        condition = next((c.condition for c in rest if isinstance(c, _Filter)), None)
        return _AggregateCall(
            func=str(func).lower(),
            field=argument.field if argument else None,
            distinct=bool(argument and argument.distinct),
            filter=condition,
            meta=meta,
        )

    def agg_arg(self, meta: Meta, children: list[Any]) -> _Argument:
        return _Argument(field=children[-1], distinct=len(children) == 2)

    def agg_filter(self, meta: Meta, children: list[Any]) -> _Filter:
        return _Filter(children[0])

    def aggregate_only(self, meta: Meta, children: list[Any]) -> tuple[str | None, Any]:
        return None, children[0]

    def named_aggregate_only(self, meta: Meta, children: list[Any]) -> tuple[str | None, Any]:
        name, _eq, call = children
        return str(name), call

    def binop(self, meta: Meta, children: list[Any]) -> BinaryOp:
        left, op, right = children
        return _build(BinaryOp, meta, op=str(op), left=left, right=right)

    def ref(self, meta: Meta, children: list[Any]) -> AggregateRef:
        return _build(AggregateRef, meta, name=str(children[0]))

    def number(self, meta: Meta, children: list[Any]) -> Number:
        return _build(Number, meta, value=_number(children[0]))

    def paren(self, meta: Meta, children: list[Any]) -> Any:
        # Parentheses are a tree node only so that they count towards MAX_NESTING; the
        # plan keeps the grouping through its own structure.
        return children[0]

    # ----------------------------------------------------------------------- conditions
    def condition_only(self, meta: Meta, children: list[Any]) -> Condition:
        return children[0]

    def or_cond(self, meta: Meta, children: list[Any]) -> Or:
        return _build(Or, meta, conditions=list(children))

    def and_cond(self, meta: Meta, children: list[Any]) -> And:
        return _build(And, meta, conditions=list(children))

    def negation(self, meta: Meta, children: list[Any]) -> Not:
        return _build(Not, meta, condition=children[0])

    def compare(self, meta: Meta, children: list[Any]) -> Compare:
        field, op, value = children
        return _build(Compare, meta, field=field, op=op, value=value)

    def compare_op(self, meta: Meta, children: list[Any]) -> str:
        return str(children[0])

    def between(self, meta: Meta, children: list[Any]) -> Between:
        field, low, high = children
        return _build(Between, meta, field=field, low=low, high=high)

    def in_list(self, meta: Meta, children: list[Any]) -> InList:
        field, values = children
        return _build(InList, meta, field=field, values=values)

    def not_in_list(self, meta: Meta, children: list[Any]) -> InList:
        field, values = children
        return _build(InList, meta, field=field, values=values, negated=True)

    def _text(self, meta: Meta, children: list[Any], op: str) -> TextMatch:
        field, value = children
        return _build(TextMatch, meta, field=field, op=op, value=value)

    def contains(self, meta: Meta, children: list[Any]) -> TextMatch:
        return self._text(meta, children, "contains")

    def starts_with(self, meta: Meta, children: list[Any]) -> TextMatch:
        return self._text(meta, children, "starts_with")

    def ends_with(self, meta: Meta, children: list[Any]) -> TextMatch:
        return self._text(meta, children, "ends_with")

    def is_null(self, meta: Meta, children: list[Any]) -> IsNull:
        return _build(IsNull, meta, field=children[0])

    def is_not_null(self, meta: Meta, children: list[Any]) -> IsNull:
        return _build(IsNull, meta, field=children[0], negated=True)

    def time_window(self, meta: Meta, children: list[Any]) -> TimeWindow:
        field, window = children
        return _build(TimeWindow, meta, field=field, window=window)

    def relative(self, meta: Meta, children: list[Any]) -> RelativeWindow:
        anchor, *count, unit = children
        fields: dict[str, Any] = {"anchor": str(anchor).lower(), "unit": _unit(unit)}
        if count:
            fields["count"] = _number(count[0])
        return _build(RelativeWindow, meta, **fields)

    def calendar(self, meta: Meta, children: list[Any]) -> CalendarPeriod:
        return _build(CalendarPeriod, meta, period=str(children[0]).upper())

    def segment(self, meta: Meta, children: list[Any]) -> SegmentRef:
        return _build(SegmentRef, meta, name=str(children[0]))

    def exists(self, meta: Meta, children: list[Any]) -> Exists:
        return self._exists(meta, children, negated=False)

    def not_exists(self, meta: Meta, children: list[Any]) -> Exists:
        return self._exists(meta, children, negated=True)

    def _exists(self, meta: Meta, children: list[Any], negated: bool) -> Exists:
        relation, *condition = children
        return _build(
            Exists,
            meta,
            relation=relation,
            condition=condition[0] if condition else None,
            negated=negated,
        )

    # ----------------------------------------------------------------------- values
    def value_list(self, meta: Meta, children: list[Any]) -> list[Any]:
        return list(children)

    def value(self, meta: Meta, children: list[Any]) -> Any:
        token = children[0]
        kind = token.type
        if kind == "STRING":
            return _string_value(token)
        if kind == "NUMBER":
            return _number(token)
        if kind in ("TRUE", "FALSE"):
            return kind == "TRUE"
        return str(token)  # DATE, DATETIME: ISO text, typed by the compiler

    def text_value(self, meta: Meta, children: list[Any]) -> str:
        token = children[0]
        return _string_value(token) if token.type == "STRING" else str(token)

    def path(self, meta: Meta, children: list[Any]) -> str:
        return str(children[0]).strip("`")


def _tree_transformer(rules: type) -> type[Transformer]:
    """A lark Transformer with ``rules``' methods, given each tree node's meta. lark's
    ``v_args`` only wraps methods defined on the class itself, so they are copied in."""
    namespace = {
        name: member
        for name, member in vars(rules).items()
        if name not in ("__dict__", "__weakref__", "__qualname__")
    }
    namespace["__doc__"] = "The reference path's Transformer: PlanRules over a lark tree."
    return v_args(meta=True)(type("PlanBuilder", (Transformer,), namespace))


PlanBuilder = _tree_transformer(PlanRules)


@cache
def _fast_parser() -> LalrDriver:
    """The fast path over the same compiled grammar, declining past MAX_NESTING nesting
    nodes (no path has more nesting than there are nesting nodes)."""
    return LalrDriver(lark_parser(), PlanRules(), counted=_NESTING_RULES, limit=MAX_NESTING)


# --------------------------------------------------------------------------- entry points


def parse(text: str, *, manifest: NameHints | None = None) -> QueryPlan:
    """Read a whole plan. ``manifest`` only improves the hints of syntax errors (close
    model and field names); checking names against it is :mod:`djai_dsl.validation`'s."""
    return _parse(text, "start", manifest)


def parse_condition(text: str, *, manifest: NameHints | None = None) -> Condition:
    """Read one condition, e.g. a registry segment: ``status in ("paid", "shipped")``."""
    return _parse(text, "condition_only", manifest)


def parse_aggregate(
    text: str, *, name: str | None = None, manifest: NameHints | None = None
) -> Aggregate:
    """Read one aggregate, e.g. a registry measure: ``sum(total) filter (where paid)``.

    The text may name it (``revenue = sum(total)``); otherwise it is called ``name``, or
    ``value`` when no name is given (the registry renames it to the measure's name).
    """

    def finish(result: tuple[str | None, _AggregateCall]) -> Aggregate:
        given, call = result
        return PlanRules._aggregate(given or name or "value", call)

    return _parse(text, "aggregate_only", manifest, finish)


def _parse(
    text: str, start: str, manifest: NameHints | None, finish: Callable[[Any], Any] | None = None
) -> Any:
    """The fast path if it returns, else the reference path. ``finish`` is the last build
    step, run on each path's result: a failure in it on the fast path (where there are no
    positions) also sends the text down the reference path."""
    _check_input(text)
    fast = _fast_parser()  # outside the suppress: a driver that cannot be built must show
    with suppress(Exception):  # Declined, or an error the reference path will report
        result = fast.parse(text, start)
        return finish(result) if finish is not None else result
    result = _parse_with_tree(text, start, manifest)
    return finish(result) if finish is not None else result


def _parse_with_tree(text: str, start: str, manifest: NameHints | None) -> Any:
    """The reference path: a full lark parse with positions, the nesting check, then the
    Transformer. Every error is reported from here."""
    try:
        tree = lark_parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, manifest) from None
    except LarkError as exc:  # pragma: no cover - lark's other errors are grammar bugs
        raise DslSyntaxError(f"the query text could not be read: {exc}") from None
    _check_nesting(tree)
    try:
        return PlanBuilder().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, DjaiError):
            raise exc.orig_exc from None
        raise PlanInvalid(f"the query could not be built: {exc.orig_exc}") from None


def _max_length() -> int:
    from django.conf import settings

    from djai_dsl.conf import DEFAULTS, get_config

    # Scripts and benchmarks may parse without Django settings: use the default bound.
    config = get_config() if settings.configured else DEFAULTS
    return int(config["MAX_DSL_LENGTH"])


def _check_input(text: str) -> None:
    """Refuse what lark should never see: non-text, oversized input, NUL characters."""
    if not isinstance(text, str):
        raise DslSyntaxError(f"the query must be text, not {type(text).__name__}")
    limit = _max_length()
    if len(text) > limit:
        raise InputTooLarge(
            f"the query text is {len(text)} characters long; the limit is {limit}",
            hint="shorten the query, or split it into several questions",
        )
    nul = text.find("\x00")
    if nul >= 0:
        line, column = _line_column(text, nul)
        raise DslSyntaxError("the query text contains a NUL character", line=line, column=column)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _check_nesting(tree: Tree) -> None:
    """Walk the tree with an explicit stack and refuse deep nesting before any recursive
    step runs."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _NESTING_RULES:
            depth += 1
            if depth > MAX_NESTING:
                line, column = _position(node.meta)
                raise PlanTooComplex(
                    f"the query nests more than {MAX_NESTING} levels deep",
                    line=line,
                    column=column,
                    hint="remove parentheses or split the condition into simpler parts",
                )
        stack.extend((child, depth) for child in node.children if isinstance(child, Tree))


# --------------------------------------------------------------------------- syntax errors


@dataclass(frozen=True)
class _TerminalInfo:
    human: str  # how an error message names it
    words: tuple[str, ...] = ()  # keyword spellings, for "did you mean"


def _kw(*words: str) -> _TerminalInfo:
    return _TerminalInfo(" or ".join(f"'{w}'" for w in words), words)


_CLAUSE_ORDER = "from, where, select, group by, aggregate, having, sort, limit, offset"

#: Human names of the grammar's terminals, in the order an error lists them.
TERMINALS: dict[str, _TerminalInfo] = {
    "PATH": _TerminalInfo("a field name"),
    "QPATH": _TerminalInfo("a field name"),
    "EQ": _TerminalInfo("'='"),
    "NE": _TerminalInfo("'!='"),
    "LT": _TerminalInfo("'<'"),
    "LE": _TerminalInfo("'<='"),
    "GT": _TerminalInfo("'>'"),
    "GE": _TerminalInfo("'>='"),
    "_AND": _kw("and"),
    "_OR": _kw("or"),
    "_NOT": _kw("not"),
    "_NOT_EXISTS": _kw("not exists"),
    "_EXISTS": _kw("exists"),
    "_SEGMENT": _kw("segment"),
    "_IN": _kw("in"),
    "_IS": _kw("is"),
    "_NULL": _kw("null"),
    "_BETWEEN": _kw("between"),
    "_CONTAINS": _kw("contains"),
    "_STARTS": _kw("starts with"),
    "_ENDS": _kw("ends with"),
    "_WITH": _kw("with"),
    "_BY": _kw("by"),
    "STRING": _TerminalInfo('a text value in double quotes ("...")'),
    "NUMBER": _TerminalInfo("a number"),
    "INT": _TerminalInfo("a whole number"),
    "DATE": _TerminalInfo("a date (2024-03-01)"),
    "DATETIME": _TerminalInfo("a date and time (2024-03-01T09:30:00)"),
    "TRUE": _kw("true"),
    "FALSE": _kw("false"),
    "ANCHOR": _kw("last", "this", "previous", "next"),
    "PERIOD": _TerminalInfo("a period (2024, 2024-Q1, 2024-03, 2024-03-05)"),
    "UNIT": _TerminalInfo(
        "a time unit (hour, day, week, month, quarter, year)",
        ("hour", "day", "week", "month", "quarter", "year"),
    ),
    "AGG_FUNC": _TerminalInfo(
        "an aggregate function (count, sum, avg, min, max)",
        ("count", "sum", "avg", "min", "max"),
    ),
    "_MEASURE": _kw("measure"),
    "DISTINCT": _kw("distinct"),
    "_FILTER": _kw("filter"),
    "DIRECTION": _kw("asc", "desc"),
    "PLUS": _TerminalInfo("'+'"),
    "MINUS": _TerminalInfo("'-'"),
    "STAR": _TerminalInfo("'*'"),
    "SLASH": _TerminalInfo("'/'"),
    "_LPAR": _TerminalInfo("'('"),
    "_RPAR": _TerminalInfo("')'"),
    "_COMMA": _TerminalInfo("','"),
    "_FROM": _kw("from"),
    "_WHERE": _kw("where"),
    "_SELECT": _kw("select"),
    "_GROUP": _kw("group by"),
    "_AGGREGATE": _kw("aggregate"),
    "_HAVING": _kw("having"),
    "_SORT": _kw("sort"),
    "_LIMIT": _kw("limit"),
    "_OFFSET": _kw("offset"),
    "$END": _TerminalInfo("the end of the query"),
}

_COMPARISONS = frozenset({"EQ", "NE", "LT", "LE", "GT", "GE"})
_CLAUSE_TERMINALS = frozenset(
    {"_FROM", "_WHERE", "_SELECT", "_GROUP", "_AGGREGATE", "_HAVING", "_SORT", "_LIMIT", "_OFFSET"}
)


def _expected_names(terminals: set[str]) -> list[str]:
    """Terminal names in words, in a stable order; six comparison operators become one
    entry. Unknown names (there should be none) are shown as they are."""
    names: list[str] = []
    order = list(TERMINALS)
    pending = set(terminals)
    if pending >= _COMPARISONS:
        pending -= _COMPARISONS
        names.append("a comparison (=, !=, <, <=, >, >=)")
    for terminal in sorted(pending, key=lambda t: order.index(t) if t in order else len(order)):
        human = TERMINALS[terminal].human if terminal in TERMINALS else terminal
        if human not in names:
            names.append(human)
    return names


def _syntax_error(exc: UnexpectedInput, text: str, manifest: NameHints | None) -> DslSyntaxError:
    line, column = exc.line, exc.column
    offset = exc.pos_in_stream if exc.pos_in_stream is not None else len(text)
    if isinstance(exc, UnexpectedToken):
        expected = set(exc.accepts or exc.expected)
        token: Token | None = exc.token
        if token is not None and token.type == "$END":
            offset = len(text)
            line, column = _line_column(text, offset)
            found = "end of the query"
            token = None
        else:
            found = _quote(str(token))
    elif isinstance(exc, UnexpectedCharacters):
        expected = set(exc.allowed or ())
        token = None
        found = _quote(text[offset : offset + 1])
    else:  # UnexpectedEOF: lark's LALR reports the end as a $END token, but be safe
        expected = set(getattr(exc, "expected", ()) or ())
        token = None
        offset = len(text)
        line, column = _line_column(text, offset)
        found = "end of the query"
    expected_names = _expected_names(expected)
    message = f"unexpected {found}"
    if expected_names:
        message += "; expected " + _or_list(expected_names)
    hint = _hint(exc, token, expected, text, offset, manifest)
    if not isinstance(line, int):
        line, column = None, None
    return DslSyntaxError(message, line=line, column=column, expected=expected_names, hint=hint)


def _quote(fragment: str, limit: int = 40) -> str:
    return repr(fragment if len(fragment) <= limit else fragment[:limit] + "...")


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


_LAST_WORD_RE = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\s*$")
_FUNCTION_WORDS = ("count", "sum", "avg", "min", "max", "measure", "exists")


def _hint(
    exc: UnexpectedInput,
    token: Token | None,
    expected: set[str],
    text: str,
    offset: int,
    manifest: NameHints | None,
) -> str:
    """One helpful sentence: a keyword or a name the writer probably meant, or how to
    write what they tried."""
    if token is not None and token.type in _CLAUSE_TERMINALS:
        return f"clauses go one per line in this order: {_CLAUSE_ORDER}"
    if token is not None and token.type in ("PATH", "QPATH"):
        word = str(token).strip("`")
        keyword = _closest_keyword(word, expected)
        if keyword:
            return f"did you mean '{keyword}'?"
        name = _closest_name(word, text, manifest) if manifest is not None else ""
        return f"did you mean '{name}'?" if name else ""
    if isinstance(exc, UnexpectedCharacters):
        char = text[offset : offset + 1]
        if char == "'":
            return 'write text values in double quotes, e.g. "paid"'
        if char == '"':
            return 'a text value must end with " on the same line; write \\" for a quote inside'
    previous = _LAST_WORD_RE.search(text[:offset])
    if previous is None:
        return ""
    word = previous.group(1)
    if word.lower() in KEYWORD_PATHS:
        return f"'{word}' is a keyword; to use a field with that name, write `{word}`"
    if token is not None and token.type == "_LPAR":
        function = difflib.get_close_matches(word.lower(), _FUNCTION_WORDS, n=1, cutoff=0.6)
        if function:
            return f"did you mean '{function[0]}'?"
    return ""


def _closest_keyword(word: str, expected: set[str]) -> str:
    spellings: dict[str, str] = {}
    for terminal in expected:
        for spelling in TERMINALS.get(terminal, _TerminalInfo("")).words:
            spellings.setdefault(spelling.split()[0], spelling)
    match = difflib.get_close_matches(word.lower(), list(spellings), n=1, cutoff=0.6)
    return spellings[match[0]] if match else ""


_SOURCE_RE = re.compile(r"^\s*from\s+`?([A-Za-z][A-Za-z0-9_.]*)", re.IGNORECASE | re.MULTILINE)


def _closest_name(word: str, text: str, manifest: NameHints) -> str:
    """A model or field name close to ``word``: fields of the query's source model first,
    then model labels and names."""
    source = _SOURCE_RE.search(text)
    candidates = manifest.hint_names(source.group(1) if source else None)
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return match[0] if match else ""
