"""The query plan: the one contract between planners (LLM, offline, a human editing DSL) and
the compiler.

Every model is ``extra="forbid"`` and every union is discriminated on a ``kind`` literal, so
that a JSON object either is a plan or is rejected with a precise error. The field
descriptions are written for the LLM that fills these models: they are the prompt.

This module checks only the *shape* of a plan and imports nothing of djai but errors: it is
the bottom of the stack that planners, the DSL and the compiler share. Whether a plan's names
exist, and whether the user may see them, is checked against a manifest by
:func:`djai_dsl.validation.validate_plan`. To run that check inside ``model_validate`` (so
instructor can re-ask the model with the errors), pass the context that
:func:`djai_dsl.validation.validation_context` builds: it carries the checker as a callable,
so this module never imports the layers above it.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

IDENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
PATH_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
MODEL_LABEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")
PERIOD_RE = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2})(?:-(\d{2}))?)?$")

#: Key of the validation context entry that checks a whole plan against a manifest: a
#: callable ``QueryPlan -> list[str]`` (the problems, rendered), built by
#: :func:`djai_dsl.validation.validation_context`.
PLAN_CHECKER = "djai_plan_checker"

#: Words of the DSL that cannot be used as names (aliases, segment names) because the
#: grammar would read them as keywords.
RESERVED_WORDS = frozenset(
    [
        "from",
        "where",
        "select",
        "group",
        "by",
        "aggregate",
        "having",
        "sort",
        "limit",
        "offset",
        "and",
        "or",
        "not",
        "in",
        "is",
        "null",
        "between",
        "contains",
        "starts",
        "ends",
        "with",
        "exists",
        "true",
        "false",
        "asc",
        "desc",
        "last",
        "this",
        "previous",
        "next",
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "distinct",
        "filter",
        "segment",
        "measure",
    ]
)


CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]
TextOp = Literal["contains", "starts_with", "ends_with"]
TimeUnit = Literal["hour", "day", "week", "month", "quarter", "year"]
AggregateFunc = Literal["count", "sum", "avg", "min", "max"]

MAX_STRING_LENGTH = 1000


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_path(value: str) -> str:
    if not PATH_RE.fullmatch(value) or "__" in value:
        raise ValueError(
            f"{value!r} is not a field path: use field names joined by dots, "
            "e.g. 'total' or 'customer.country'"
        )
    return value


def _check_name(value: str) -> str:
    if not IDENT_RE.fullmatch(value) or "__" in value:
        raise ValueError(
            f"{value!r} is not a valid name: start with a letter, then letters, digits or '_'"
        )
    if value.lower() in RESERVED_WORDS:
        raise ValueError(f"{value!r} is a DSL keyword and cannot be used as a name")
    return value


def _check_scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise ValueError(f"text values are limited to {MAX_STRING_LENGTH} characters")
        if "\x00" in value:
            raise ValueError("text values cannot contain NUL characters")
    return value


Scalar = Annotated[bool | int | float | str, AfterValidator(_check_scalar)]
"""A literal value. Dates and datetimes are ISO 8601 strings ("2024-03-01",
"2024-03-01T09:30:00"); the compiler converts them using the field's type."""

Name = Annotated[str, AfterValidator(_check_name), Field(max_length=64)]

FieldPath = Annotated[
    str,
    AfterValidator(_check_path),
    Field(
        description=(
            "A field of the source model, or of a related model reached by relation names "
            "joined with dots, e.g. 'total' or 'customer.country'. Only names listed in the "
            "schema are allowed."
        ),
        max_length=200,
    ),
]

# --------------------------------------------------------------------------- conditions


class Compare(_Node):
    """`field op value`. `!=` is NULL-safe: rows where the field is null also match."""

    kind: Literal["compare"] = "compare"
    field: FieldPath
    op: CompareOp = Field(description="Comparison operator.")
    value: Scalar = Field(
        description="The value to compare with: a number, true/false, or text. Dates are "
        "ISO strings like '2024-03-01'. Use an exact choice value for fields with choices."
    )


class Between(_Node):
    """`field between low and high`, both ends included."""

    kind: Literal["between"] = "between"
    field: FieldPath
    low: Scalar = Field(description="Lower bound, included.")
    high: Scalar = Field(description="Upper bound, included.")


class InList(_Node):
    """`field in (v1, v2, ...)`, or `not in` when negated (NULL-safe: nulls match `not in`)."""

    kind: Literal["in"] = "in"
    field: FieldPath
    values: list[Scalar] = Field(min_length=1, description="The accepted values.")
    negated: bool = Field(default=False, description="True for `not in`.")


class TextMatch(_Node):
    """Case-insensitive text search: contains / starts with / ends with."""

    kind: Literal["text"] = "text"
    field: FieldPath
    op: TextOp = Field(description="contains, starts_with or ends_with (case-insensitive).")
    value: Annotated[str, AfterValidator(_check_scalar)] = Field(
        min_length=1, description="The text to look for."
    )


class IsNull(_Node):
    """`field is null` / `field is not null` (empty / has a value)."""

    kind: Literal["is_null"] = "is_null"
    field: FieldPath
    negated: bool = Field(default=False, description="True for `is not null`.")


class RelativeWindow(_Node):
    """A window relative to now, in the client's time zone.

    - `last N units`: the current unit so far plus the N-1 whole units before it
      (today counts: `last 7 days` is today and the 6 days before).
    - `this unit`: the whole current unit (`this month` is the 1st to the last day).
    - `previous N units`: the N whole units before the current one (today does not count:
      `previous month` is last calendar month).
    - `next N units`: the N whole units after the current one.
    """

    kind: Literal["relative"] = "relative"
    anchor: Literal["last", "this", "previous", "next"] = Field(
        description="last = up to and including now; previous = whole units before the "
        "current one; this = the current unit; next = whole units after the current one."
    )
    count: int = Field(default=1, ge=1, le=10000, description="How many units (1 for `this`).")
    unit: TimeUnit

    @model_validator(mode="after")
    def _this_is_one(self) -> RelativeWindow:
        if self.anchor == "this" and self.count != 1:
            raise ValueError("`this` takes no count: use `this month`, not `this 2 months`")
        return self


class CalendarPeriod(_Node):
    """A calendar period: a year '2024', a quarter '2024-Q1', a month '2024-03' or a day
    '2024-03-05', in the client's time zone."""

    kind: Literal["calendar"] = "calendar"
    period: str = Field(description="'2024', '2024-Q1', '2024-03' or '2024-03-05'.")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        import datetime as dt

        m = PERIOD_RE.fullmatch(value)
        if not m:
            raise ValueError(f"{value!r} is not a period: use 2024, 2024-Q1, 2024-03 or 2024-03-05")
        year, middle, day = m.groups()
        if middle and middle.startswith("Q") and day:
            raise ValueError("a quarter has no day")
        if middle and not middle.startswith("Q"):
            if not 1 <= int(middle) <= 12:
                raise ValueError(f"{value!r}: month must be 01..12")
            if day:
                try:
                    dt.date(int(year), int(middle), int(day))
                except ValueError as exc:
                    raise ValueError(f"{value!r} is not a date: {exc}") from None
        if int(year) < 1:
            raise ValueError("year must be 0001 or later")
        return value


Window = Annotated[RelativeWindow | CalendarPeriod, Field(discriminator="kind")]


class TimeWindow(_Node):
    """`field in <window>`: the field's date/time falls inside a relative window or a
    calendar period."""

    kind: Literal["time_window"] = "time_window"
    field: FieldPath
    window: Window


class SegmentRef(_Node):
    """A named condition defined by the developers (listed under `segments` in the schema)."""

    kind: Literal["segment"] = "segment"
    name: Name = Field(description="Segment name from the schema.")


class And(_Node):
    """All of the conditions hold."""

    kind: Literal["and"] = "and"
    conditions: list[Condition] = Field(min_length=2)


class Or(_Node):
    """At least one of the conditions holds."""

    kind: Literal["or"] = "or"
    conditions: list[Condition] = Field(min_length=2)


class Not(_Node):
    """The condition does not hold (NULL-safe: rows where it is unknown are included)."""

    kind: Literal["not"] = "not"
    condition: Condition


class Exists(_Node):
    """There is at least one related row (optionally matching a condition whose field
    paths start from the related model), or none when negated: `not exists(orders)`."""

    kind: Literal["exists"] = "exists"
    relation: FieldPath = Field(
        description="A relation path from the source model, e.g. 'orders' or 'orders.items'."
    )
    condition: Condition | None = Field(
        default=None, description="Condition on the related rows, paths relative to them."
    )
    negated: bool = Field(default=False, description="True for `not exists`.")


Condition = Annotated[
    Compare
    | Between
    | InList
    | TextMatch
    | IsNull
    | TimeWindow
    | SegmentRef
    | And
    | Or
    | Not
    | Exists,
    Field(discriminator="kind"),
]

# --------------------------------------------------------------------------- outputs


class SelectItem(_Node):
    """One column of a row listing (queries without aggregates)."""

    name: Name | None = Field(default=None, description="Optional column name.")
    field: FieldPath


class GroupKey(_Node):
    """One grouping key: a field, or a date/time field truncated to a bucket."""

    name: Name | None = Field(default=None, description="Optional column name.")
    field: FieldPath
    bucket: TimeUnit | None = Field(
        default=None,
        description="Truncate a date/time field to this unit (weeks start on Monday, ISO).",
    )


class Aggregate(_Node):
    """`name = func(field)`, e.g. `revenue = sum(total)`, `orders = count()`,
    `buyers = count(distinct customer)`, with an optional filter on the counted rows."""

    kind: Literal["aggregate"] = "aggregate"
    name: Name = Field(description="Column name for the result, e.g. 'revenue'.")
    func: AggregateFunc
    field: FieldPath | None = Field(
        default=None, description="Field to aggregate; omit for count() of rows."
    )
    distinct: bool = Field(default=False, description="Count distinct values (count only).")
    filter: Condition | None = Field(
        default=None, description="Only rows matching this condition are aggregated."
    )

    @model_validator(mode="after")
    def _shape(self) -> Aggregate:
        if self.func != "count" and self.field is None:
            raise ValueError(f"{self.func}() needs a field, e.g. {self.func}(total)")
        if self.distinct and (self.func != "count" or self.field is None):
            raise ValueError("distinct is only for count(distinct field)")
        return self


class AggregateRef(_Node):
    """A reference to an aggregate or formula defined earlier in the same plan."""

    kind: Literal["ref"] = "ref"
    name: Name


class Number(_Node):
    kind: Literal["number"] = "number"
    value: Annotated[int | float, AfterValidator(_check_scalar)] = Field(ge=0)


class BinaryOp(_Node):
    kind: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


Expr = Annotated[AggregateRef | Number | BinaryOp, Field(discriminator="kind")]


class Formula(_Node):
    """Arithmetic over aggregates defined before it: `aov = revenue / orders`.
    Division by zero gives null."""

    kind: Literal["formula"] = "formula"
    name: Name
    expr: Expr


class MeasureRef(_Node):
    """A named aggregate defined by the developers (listed under `measures` in the schema):
    `revenue = measure(net_revenue)`."""

    kind: Literal["measure"] = "measure"
    name: Name
    measure: Name


AggregateItem = Annotated[Aggregate | Formula | MeasureRef, Field(discriminator="kind")]


class SortKey(_Node):
    """Sort by an output column name (an aggregate, a group key) or, for row listings, a
    field path."""

    key: FieldPath
    descending: bool = False


# --------------------------------------------------------------------------- the plan


class QueryPlan(_Node):
    """A read-only question over one source model.

    Either list rows (`select`), or group and aggregate (`group_by` + `aggregates`);
    `having` filters groups by aggregate values. Output columns are the select items, or
    the group keys followed by the aggregates, in order.
    """

    source: str = Field(
        description="The model to start from, as 'app_label.model', e.g. 'shop.order'."
    )
    where: Condition | None = Field(default=None, description="Which rows to include.")
    select: list[SelectItem] = Field(
        default_factory=list, description="Columns for a row listing (no aggregates)."
    )
    group_by: list[GroupKey] = Field(default_factory=list, description="Grouping keys.")
    aggregates: list[AggregateItem] = Field(
        default_factory=list, description="Aggregates, measures and formulas, in order."
    )
    having: Condition | None = Field(
        default=None,
        description="Condition on aggregate values; field names are aggregate names.",
    )
    sort: list[SortKey] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1, description="At most this many rows.")
    offset: int | None = Field(default=None, ge=1, description="Skip this many rows first.")

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not MODEL_LABEL_RE.fullmatch(v) or "__" in v:
            raise ValueError(f"{v!r} is not a model name: use 'app_label.model'")
        return v

    @model_validator(mode="after")
    def _shape(self, info: ValidationInfo) -> QueryPlan:
        if self.select and (self.group_by or self.aggregates):
            raise ValueError("use either select (row listing) or group by/aggregate, not both")
        if self.having is not None and not self.aggregates:
            raise ValueError("having needs aggregates to filter on")
        context = (info.context or {}) if info is not None else {}
        checker = context.get(PLAN_CHECKER)
        if checker is None and context.get("manifest") is not None:
            # A manifest alone would be silently ignored: refuse instead of skipping the check.
            raise TypeError(
                "pass djai_dsl.validation.validation_context(manifest) as the context "
                "to check a plan against a manifest"
            )
        if checker is not None:
            problems = checker(self)
            if problems:
                raise ValueError("; ".join(problems))
        return self

    def output_names(self) -> list[str]:
        """Column names of the result, in order (before manifest checks)."""
        if self.select:
            return [s.name or s.field for s in self.select]
        return [group_key_name(g) for g in self.group_by] + [a.name for a in self.aggregates]


def group_key_name(key: GroupKey) -> str:
    """A group key's output name: its alias, its path, or `<last segment>_<unit>`."""
    if key.name:
        return key.name
    if key.bucket:
        return f"{key.field.rsplit('.', 1)[-1]}_{key.bucket}"
    return key.field


for _model in (And, Or, Not, Exists, Aggregate, BinaryOp, Formula, QueryPlan):
    _model.model_rebuild()

__all__ = [
    "PLAN_CHECKER",
    "RESERVED_WORDS",
    "Aggregate",
    "AggregateFunc",
    "AggregateItem",
    "AggregateRef",
    "And",
    "Between",
    "BinaryOp",
    "CalendarPeriod",
    "Compare",
    "CompareOp",
    "Condition",
    "Exists",
    "Expr",
    "Formula",
    "GroupKey",
    "InList",
    "IsNull",
    "MeasureRef",
    "Not",
    "Number",
    "Or",
    "QueryPlan",
    "RelativeWindow",
    "Scalar",
    "SegmentRef",
    "SelectItem",
    "SortKey",
    "TextMatch",
    "TextOp",
    "TimeUnit",
    "TimeWindow",
    "Window",
    "group_key_name",
]
