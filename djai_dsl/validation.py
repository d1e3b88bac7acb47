"""Check a plan against a manifest: every name exists and the user may see it, types fit,
and the plan is within the complexity limits.

Runs whatever produced the plan (an LLM, the offline planner, an analyst's DSL). Messages
name the place in the plan and suggest the closest valid names; they never mention a name
the manifest does not contain (hidden fields stay invisible even in error messages).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from djai_dsl import plan as p
from djai_dsl.conf import get_config
from djai_dsl.errors import ErrorDetail, LimitExceeded, PlanInvalid, PlanTooComplex
from djai_dsl.manifest.types import (
    NUMERIC_TYPES,
    ORDERABLE_TYPES,
    TEMPORAL_TYPES,
    TEXT_TYPES,
    Manifest,
    ModelInfo,
    PathError,
    ResolvedPath,
    closest,
    field_type,
)


@dataclass
class Problem:
    where: str
    message: str
    suggestions: list[str] = field(default_factory=list)
    kind: str = "invalid"  # "invalid" | "too_complex" | "limit"

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.suggestions:
            text += " (did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?)"
        return text

    def as_detail(self) -> ErrorDetail:
        hint = ""
        if self.suggestions:
            hint = "did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        return ErrorDetail(self.message, path=self.where, hint=hint, suggestions=self.suggestions)


def validate_plan(plan: p.QueryPlan, manifest: Manifest) -> p.QueryPlan:
    """Return the plan with its source normalised to the canonical label, or raise
    :class:`PlanInvalid` (or a subclass) listing every problem found."""
    problems = plan_problems(plan, manifest)
    if problems:
        details = [pr.as_detail() for pr in problems]
        kinds = {pr.kind for pr in problems}
        first = problems[0].render()
        if kinds == {"limit"}:
            raise LimitExceeded(first, details=details)
        if kinds == {"too_complex"}:
            raise PlanTooComplex(first, details=details)
        raise PlanInvalid(first, details=details)
    source = manifest.model(plan.source)
    if source.label != plan.source:
        plan = plan.model_copy(update={"source": source.label})
    return plan


def plan_problems(plan: p.QueryPlan, manifest: Manifest) -> list[Problem]:
    return _PlanChecker(plan, manifest).check()


def validation_context(manifest: Manifest) -> dict[str, Any]:
    """Pydantic validation context that checks every :class:`~djai_dsl.plan.QueryPlan`
    validated with it against ``manifest`` (``QueryPlan.model_validate(data,
    context=validation_context(m))``), so that instructor re-asks with the problems."""

    def check(plan: p.QueryPlan) -> list[str]:
        return [problem.render() for problem in plan_problems(plan, manifest)]

    return {"manifest": manifest, p.PLAN_CHECKER: check}


# ---------------------------------------------------------------------------- helpers


def iter_conditions(cond: p.Condition | None) -> Iterator[p.Condition]:
    """Every condition node in a tree, depth first (not descending into exists bodies)."""
    if cond is None:
        return
    yield cond
    if isinstance(cond, (p.And, p.Or)):
        for child in cond.conditions:
            yield from iter_conditions(child)
    elif isinstance(cond, p.Not):
        yield from iter_conditions(cond.condition)


def condition_depth(cond: p.Condition | None) -> int:
    if cond is None:
        return 0
    if isinstance(cond, (p.And, p.Or)):
        return 1 + max(condition_depth(c) for c in cond.conditions)
    if isinstance(cond, p.Not):
        return 1 + condition_depth(cond.condition)
    if isinstance(cond, p.Exists):
        return 1 + condition_depth(cond.condition)
    return 1


def condition_count(cond: p.Condition | None) -> int:
    if cond is None:
        return 0
    if isinstance(cond, (p.And, p.Or)):
        return 1 + sum(condition_count(c) for c in cond.conditions)
    if isinstance(cond, p.Not):
        return 1 + condition_count(cond.condition)
    if isinstance(cond, p.Exists):
        return 1 + condition_count(cond.condition)
    return 1


def parse_iso_datetime(value: str) -> dt.datetime | dt.date | None:
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


#: Integers every backend can take as a parameter (a signed 64-bit column). Larger ones make
#: the driver raise before the query runs (SQLite: OverflowError), which is not a plan error.
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1

#: The largest ``offset``: with a page fetched after it, it still fits a signed 64-bit LIMIT.
MAX_OFFSET = 2**62

#: Bounds on one formula with the formulas it names inlined (the compiler inlines them, so
#: `f2 = f1 + f1, f3 = f2 + f2, ...` doubles the expression at each step): the depth keeps
#: SQLite under its expression-depth limit, the size keeps compilation fast.
MAX_FORMULA_DEPTH = 50
MAX_FORMULA_TERMS = 200


def _pk_type(resolved: ResolvedPath) -> str | None:
    """The manifest type of the primary key of the model a relation path ends on."""
    return field_type(resolved.target.model._meta.pk)


def _value_problem(resolved: ResolvedPath, value: Any) -> str | None:
    """Why ``value`` does not fit the field, or None."""
    ftype = resolved.type
    if ftype is None:  # a relation: compared by primary key
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            return "a relation is compared by its id: give a number or text id"
        pk_type = _pk_type(resolved)
        if pk_type == "integer" and not isinstance(value, int):
            return f"a relation is compared by its id, a whole number here, not {value!r}"
        if isinstance(value, int) and not MIN_INTEGER <= value <= MAX_INTEGER:
            return "this id is too large"
        return None
    if ftype in NUMERIC_TYPES - {"duration"}:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"this field holds numbers, not {type(value).__name__} {value!r}"
        if ftype == "integer" and isinstance(value, float) and not value.is_integer():
            return f"this field holds whole numbers, not {value!r}"
        if ftype == "integer" and not MIN_INTEGER <= value <= MAX_INTEGER:
            return f"{value!r} is too large for this field"
    elif ftype == "duration":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "durations are compared in seconds: give a number"
        if abs(value) >= dt.timedelta.max.total_seconds():
            return f"{value!r} seconds is longer than a duration can be"
    elif ftype == "boolean":
        if not isinstance(value, bool):
            return f"this field is true/false, not {value!r}"
    elif ftype == "date":
        if not isinstance(value, str) or not isinstance(parse_iso_datetime(value), dt.date):
            return f"this field holds dates: give an ISO date like 2024-03-01, not {value!r}"
        if isinstance(parse_iso_datetime(value), dt.datetime):
            return "this field holds dates without a time: give 2024-03-01"
    elif ftype == "datetime":
        if not isinstance(value, str) or parse_iso_datetime(value) is None:
            return f"this field holds dates and times: give 2024-03-01 or 2024-03-01T09:30, not {value!r}"
    elif ftype == "time":
        try:
            dt.time.fromisoformat(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"this field holds times of day: give 09:30, not {value!r}"
    elif ftype == "uuid":
        try:
            uuid.UUID(str(value))
        except ValueError:
            return f"{value!r} is not a UUID"
    elif ftype in TEXT_TYPES:
        if not isinstance(value, str):
            return f'this field holds text: put the value in quotes, "{value}"'
    elif ftype == "json":
        return "JSON fields can only be tested with `is null`"
    return None


def _choice_problem(resolved: ResolvedPath, value: Any) -> tuple[str, list[str]] | None:
    f = resolved.field
    if f is None or not f.choices:
        return None
    values = [c[0] for c in f.choices]
    if value in values:
        return None
    # A label given instead of the stored value is the usual mistake ("Paid" for "paid").
    for stored, label in f.choices:
        if isinstance(value, str) and value.strip().lower() == str(label).strip().lower():
            return (f"{value!r} is the label; the stored value is {stored!r}", [str(stored)])
    suggestions = closest(str(value), [str(v) for v in values])
    listed = ", ".join(repr(v) for v in values[:20])
    return (f"{value!r} is not one of the values of {f.name}: {listed}", suggestions)


class _PlanChecker:
    def __init__(self, plan: p.QueryPlan, manifest: Manifest) -> None:
        self.plan = plan
        self.manifest = manifest
        self.cfg = get_config()
        self.problems: list[Problem] = []

    def add(
        self, where: str, message: str, suggestions: list[str] | None = None, kind: str = "invalid"
    ) -> None:
        self.problems.append(Problem(where, message, suggestions or [], kind))

    # ------------------------------------------------------------------ entry point

    def check(self) -> list[Problem]:
        plan = self.plan
        try:
            source = self.manifest.model(plan.source)
        except PathError as exc:
            self.add("from", exc.message, exc.suggestions)
            return self.problems
        self.check_complexity()
        self.check_text()
        self.check_condition(plan.where, source, "where")
        self.check_in_values()
        self.check_select(source)
        self.check_group_by(source)
        agg_names = self.check_aggregates(source)
        self.check_having(agg_names)
        self.check_names()
        self.check_sort(source)
        if plan.limit is not None and plan.limit > self.cfg["MAX_LIMIT"]:
            self.add(
                "limit",
                f"limit {plan.limit} is above the maximum of {self.cfg['MAX_LIMIT']}",
                kind="limit",
            )
        if plan.offset is not None and plan.offset > MAX_OFFSET:
            self.add(
                "offset", f"offset {plan.offset} is above the maximum of {MAX_OFFSET}", kind="limit"
            )
        return self.problems

    def check_text(self) -> None:
        """Text that cannot be encoded (lone surrogates from JSON or ``\\ud800`` escapes in
        the DSL) would fail in the database driver instead of here."""
        for where, text in _strings(self.plan.model_dump(mode="python")):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                self.add(where, "text values must be valid Unicode (no lone surrogates)")
                return

    def check_in_values(self) -> None:
        """Each list is bounded by MAX_IN_VALUES, and so is their sum over the plan: case-
        insensitive lists compile to one OR per value, and SQLite refuses expressions more
        than 1,000 levels deep (two lists of 500 already)."""
        total = sum(
            len(cond.values) for cond in _all_conditions(self.plan) if isinstance(cond, p.InList)
        )
        limit = self.cfg["MAX_IN_VALUES"]
        if total > limit and not any(pr.kind == "too_complex" for pr in self.problems):
            self.add(
                "where",
                f"{total} values in lists in all; the limit is {limit}",
                kind="too_complex",
            )

    def check_complexity(self) -> None:
        plan, cfg = self.plan, self.cfg
        conds = [plan.where, plan.having] + [
            a.filter for a in plan.aggregates if isinstance(a, p.Aggregate)
        ]
        depth = max(condition_depth(c) for c in conds)
        if depth > cfg["MAX_CONDITION_DEPTH"]:
            self.add(
                "where",
                f"conditions are nested {depth} deep; the limit is {cfg['MAX_CONDITION_DEPTH']}",
                kind="too_complex",
            )
        count = sum(condition_count(c) for c in conds)
        if count > cfg["MAX_CONDITIONS"]:
            self.add(
                "where",
                f"{count} conditions; the limit is {cfg['MAX_CONDITIONS']}",
                kind="too_complex",
            )
        if len(plan.aggregates) > cfg["MAX_AGGREGATES"]:
            self.add(
                "aggregate",
                f"{len(plan.aggregates)} aggregates; the limit is {cfg['MAX_AGGREGATES']}",
                kind="too_complex",
            )
        if len(plan.group_by) > cfg["MAX_GROUP_KEYS"]:
            self.add(
                "group by",
                f"{len(plan.group_by)} group keys; the limit is {cfg['MAX_GROUP_KEYS']}",
                kind="too_complex",
            )
        if len(plan.select) > cfg["MAX_SELECT"]:
            self.add(
                "select",
                f"{len(plan.select)} columns; the limit is {cfg['MAX_SELECT']}",
                kind="too_complex",
            )

    # ------------------------------------------------------------------ paths

    def resolve(self, model: ModelInfo, path: str, where: str) -> ResolvedPath | None:
        try:
            resolved = self.manifest.resolve(model, path)
        except PathError as exc:
            self.add(where, exc.message, exc.suggestions)
            return None
        if len(resolved.hops) > self.cfg["MAX_RELATION_HOPS"]:
            self.add(
                where,
                f"{path!r} crosses {len(resolved.hops)} relations; the limit is {self.cfg['MAX_RELATION_HOPS']}",
                kind="too_complex",
            )
            return None
        return resolved

    # ------------------------------------------------------------------ conditions

    def check_condition(self, cond: p.Condition | None, model: ModelInfo, where: str) -> None:
        if cond is None:
            return
        method = getattr(self, f"cond_{cond.kind}")
        method(cond, model, where)

    def cond_and(self, cond: p.And, model: ModelInfo, where: str) -> None:
        for i, child in enumerate(cond.conditions):
            self.check_condition(child, model, f"{where}.and[{i}]")

    cond_or = cond_and

    def cond_not(self, cond: p.Not, model: ModelInfo, where: str) -> None:
        self.check_condition(cond.condition, model, f"{where}.not")

    def cond_compare(self, cond: p.Compare, model: ModelInfo, where: str) -> None:
        r = self.resolve(model, cond.field, f"{where} ({cond.field})")
        if r is None:
            return
        if cond.op not in ("=", "!=") and r.type not in ORDERABLE_TYPES:
            self.add(f"{where} ({cond.field})", f"{cond.op} needs a number, date or text field")
            return
        self.check_value(
            r, cond.value, f"{where} ({cond.field})", check_choices=cond.op in ("=", "!=")
        )

    def cond_between(self, cond: p.Between, model: ModelInfo, where: str) -> None:
        r = self.resolve(model, cond.field, f"{where} ({cond.field})")
        if r is None:
            return
        if r.type not in ORDERABLE_TYPES:
            self.add(f"{where} ({cond.field})", "between needs a number, date or text field")
            return
        self.check_value(r, cond.low, f"{where} ({cond.field})", check_choices=False)
        self.check_value(r, cond.high, f"{where} ({cond.field})", check_choices=False)

    def cond_in(self, cond: p.InList, model: ModelInfo, where: str) -> None:
        r = self.resolve(model, cond.field, f"{where} ({cond.field})")
        if r is None:
            return
        if len(cond.values) > self.cfg["MAX_IN_VALUES"]:
            self.add(
                where,
                f"{len(cond.values)} values in a list; the limit is {self.cfg['MAX_IN_VALUES']}",
                kind="too_complex",
            )
            return
        for v in cond.values:
            self.check_value(r, v, f"{where} ({cond.field})", check_choices=True)

    def cond_text(self, cond: p.TextMatch, model: ModelInfo, where: str) -> None:
        r = self.resolve(model, cond.field, f"{where} ({cond.field})")
        if r is None:
            return
        if r.type not in TEXT_TYPES:
            self.add(f"{where} ({cond.field})", f"{cond.op.replace('_', ' ')} needs a text field")

    def cond_is_null(self, cond: p.IsNull, model: ModelInfo, where: str) -> None:
        self.resolve(model, cond.field, f"{where} ({cond.field})")

    def cond_time_window(self, cond: p.TimeWindow, model: ModelInfo, where: str) -> None:
        r = self.resolve(model, cond.field, f"{where} ({cond.field})")
        if r is None:
            return
        if r.type not in TEMPORAL_TYPES:
            self.add(f"{where} ({cond.field})", "a time window needs a date or date-time field")
        elif (
            r.type == "date"
            and isinstance(cond.window, p.RelativeWindow)
            and cond.window.unit == "hour"
        ):
            self.add(
                f"{where} ({cond.field})", "hours need a date-time field; this one holds dates"
            )

    def cond_segment(self, cond: p.SegmentRef, model: ModelInfo, where: str) -> None:
        if cond.name not in model.segments:
            names = list(model.segments)
            hint = (
                f"; {model.label} has: {', '.join(names)}" if names else f"; {model.label} has none"
            )
            self.add(where, f"there is no segment {cond.name!r}{hint}", closest(cond.name, names))
            return
        # A segment may use fields or models this user cannot see: then it is unavailable to
        # them, and the message must not say which name is missing.
        if self._hidden_dependencies(
            self.check_condition, model.segments[cond.name].condition, model, where
        ):
            self.add(where, f"the segment {cond.name!r} uses data you do not have access to")

    def cond_exists(self, cond: p.Exists, model: ModelInfo, where: str) -> None:
        r = self.resolve(model, cond.relation, f"{where} ({cond.relation})")
        if r is None:
            return
        if r.field is not None:
            self.add(
                f"{where} ({cond.relation})",
                "exists(...) needs a relation, not a field; use `is not null` for fields",
            )
            return
        self.check_condition(cond.condition, r.target, f"{where}.exists")

    def _hidden_dependencies(self, check: Any, *args: Any) -> bool:
        """Run a check of a registry definition; True when it found problems (which are
        dropped: they would name fields the user may not see)."""
        before = len(self.problems)
        check(*args)
        found = len(self.problems) > before
        del self.problems[before:]
        return found

    def check_value(self, r: ResolvedPath, value: Any, where: str, *, check_choices: bool) -> None:
        problem = _value_problem(r, value)
        if problem:
            self.add(where, problem)
            return
        if check_choices:
            choice = _choice_problem(r, value)
            if choice:
                self.add(where, choice[0], choice[1])

    # ------------------------------------------------------------------ outputs

    def check_select(self, source: ModelInfo) -> None:
        for i, item in enumerate(self.plan.select):
            r = self.resolve(source, item.field, f"select[{i}] ({item.field})")
            if r is not None and r.to_many:
                self.add(
                    f"select[{i}] ({item.field})",
                    "a row listing cannot show a to-many relation; aggregate it, or start from the related model",
                )

    def check_group_by(self, source: ModelInfo) -> None:
        for i, key in enumerate(self.plan.group_by):
            where = f"group by[{i}] ({key.field})"
            r = self.resolve(source, key.field, where)
            if r is None:
                continue
            if r.to_many:
                self.add(
                    where,
                    "cannot group by a to-many relation; start from the related model instead",
                )
            elif key.bucket is not None:
                if r.type not in TEMPORAL_TYPES:
                    self.add(where, f"`by {key.bucket}` needs a date or date-time field")
                elif r.type == "date" and key.bucket == "hour":
                    self.add(where, "hours need a date-time field; this one holds dates")
            elif r.type == "json":
                self.add(where, "cannot group by a JSON field")

    def check_aggregates(self, source: ModelInfo) -> list[str]:
        defined: list[str] = []
        # formula name -> (depth, terms) with the formulas it uses inlined
        formula_sizes: dict[str, tuple[int, int]] = {}
        for i, item in enumerate(self.plan.aggregates):
            where = f"aggregate[{i}] ({item.name})"
            if isinstance(item, p.Aggregate):
                self.check_aggregate(item, source, where)
            elif isinstance(item, p.MeasureRef):
                if item.measure not in source.measures:
                    names = list(source.measures)
                    listed = (
                        f"; {source.label} has: {', '.join(names)}"
                        if names
                        else f"; {source.label} has none"
                    )
                    self.add(
                        where,
                        f"there is no measure {item.measure!r}{listed}",
                        closest(item.measure, names),
                    )
                elif self._hidden_dependencies(
                    self.check_aggregate, source.measures[item.measure].aggregate, source, where
                ):
                    self.add(
                        where, f"the measure {item.measure!r} uses data you do not have access to"
                    )
            else:
                for ref in _refs(item.expr):
                    if ref not in defined:
                        self.add(
                            where,
                            f"{ref!r} is not an aggregate defined before {item.name!r}",
                            closest(ref, defined),
                        )
                depth, terms = _formula_size(item.expr, formula_sizes)
                formula_sizes[item.name] = (depth, terms)
                if depth > MAX_FORMULA_DEPTH or terms > MAX_FORMULA_TERMS:
                    self.add(
                        where,
                        f"the formula is too large ({terms} terms, {depth} deep, with the "
                        f"formulas it uses written out); the limits are {MAX_FORMULA_TERMS} "
                        f"terms and {MAX_FORMULA_DEPTH} levels",
                        kind="too_complex",
                    )
            defined.append(item.name)
        return defined

    def check_aggregate(self, agg: p.Aggregate, source: ModelInfo, where: str) -> None:
        self.check_condition(agg.filter, source, f"{where}.filter")
        if agg.field is None:
            return
        r = self.resolve(source, agg.field, where)
        if r is None:
            return
        if agg.func in ("sum", "avg") and r.type not in NUMERIC_TYPES:
            self.add(
                where,
                f"{agg.func}() needs a number field; {agg.field!r} is {r.type or 'a relation'}",
            )
        elif agg.func in ("min", "max") and r.type not in ORDERABLE_TYPES:
            self.add(where, f"{agg.func}() needs a number, date or text field")
        if agg.distinct and r.to_many:
            self.add(
                where,
                "count(distinct ...) across a to-many relation is not supported; start from the related model and count distinct there",
            )
        if r.type == "json":
            self.add(where, "cannot aggregate a JSON field")

    def check_having(self, agg_names: list[str]) -> None:
        if self.plan.having is not None and not self.plan.group_by:
            self.add(
                "having", "having filters groups: add a group by, or put the condition in where"
            )
        for cond in iter_conditions(self.plan.having):
            if isinstance(cond, (p.And, p.Or, p.Not)):
                continue
            if not isinstance(cond, (p.Compare, p.Between, p.InList, p.IsNull)):
                self.add("having", f"having takes comparisons of aggregate values, not {cond.kind}")
                continue
            if cond.field not in agg_names:
                self.add(
                    "having",
                    f"{cond.field!r} is not an aggregate of this query",
                    closest(cond.field, agg_names),
                )
                continue
            values = (
                [cond.value]
                if isinstance(cond, p.Compare)
                else [cond.low, cond.high]
                if isinstance(cond, p.Between)
                else cond.values
                if isinstance(cond, p.InList)
                else []
            )
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.add(
                        "having",
                        f"aggregates are numbers: compare {cond.field} with a number, not {v!r}",
                    )

    def check_names(self) -> None:
        names = self.plan.output_names()
        seen: set[str] = set()
        for name in names:
            if name in seen:
                self.add(
                    "", f"two output columns are named {name!r}: give one an alias (`name = ...`)"
                )
            seen.add(name)

    def check_sort(self, source: ModelInfo) -> None:
        outputs = self.plan.output_names()
        listing = not (self.plan.group_by or self.plan.aggregates)
        for i, key in enumerate(self.plan.sort):
            if key.key in outputs:
                continue
            where = f"sort[{i}] ({key.key})"
            if listing:
                r = self.resolve(source, key.key, where)
                if r is not None and r.to_many:
                    self.add(where, "cannot sort rows by a to-many relation")
                elif r is not None and r.type == "json":
                    self.add(where, "cannot sort by a JSON field")
            else:
                self.add(
                    where,
                    f"sort by one of the output columns: {', '.join(outputs)}",
                    closest(key.key, outputs),
                )


def _formula_size(expr: p.Expr, formulas: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(depth, number of leaves) of ``expr`` once the formulas it names are inlined, as the
    compiler does; a reference to an aggregate is one leaf."""
    if isinstance(expr, p.AggregateRef):
        return formulas.get(expr.name, (1, 1))
    if isinstance(expr, p.Number):
        return 1, 1
    left_depth, left_terms = _formula_size(expr.left, formulas)
    right_depth, right_terms = _formula_size(expr.right, formulas)
    return 1 + max(left_depth, right_depth), left_terms + right_terms


def _all_conditions(plan: p.QueryPlan) -> Iterator[p.Condition]:
    """Every condition node of a plan: where, having, aggregate filters and exists bodies."""
    roots = [plan.where, plan.having] + [
        a.filter for a in plan.aggregates if isinstance(a, p.Aggregate)
    ]
    stack = [c for c in roots if c is not None]
    while stack:
        cond = stack.pop()
        yield cond
        if isinstance(cond, (p.And, p.Or)):
            stack.extend(cond.conditions)
        elif isinstance(cond, (p.Not, p.Exists)) and cond.condition is not None:
            stack.append(cond.condition)


def _strings(data: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(place, text) for every string in a plan dumped to Python data."""
    if isinstance(data, str):
        yield where, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, f"{where}[{i}]")


def _refs(expr: p.Expr) -> Iterator[str]:
    if isinstance(expr, p.AggregateRef):
        yield expr.name
    elif isinstance(expr, p.BinaryOp):
        yield from _refs(expr.left)
        yield from _refs(expr.right)
