"""The DSL corpus: ``tests/cases/*.dsl``, one analyst question per file.

Like sqlglot's identity fixtures, every case is canonical text: it parses, prints back
identically, and the plan survives printing and reading again. Every case also validates
and compiles against the demo manifest at the fixed clock and time zone, and is snapshotted
(PRQL-style, one snapshot per case): the plan JSON, canonical text, explanation and columns
in ``snapshots/common/`` (identical on every backend), the SQL, its parameters and the first
page of rows in ``snapshots/<backend>/``.

A case file may start with ``#`` comment lines (the question in words); the rest is the
canonical DSL. Add a case by writing a file; ``--snapshot-update`` records its snapshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from djai_dsl import plan as p
from djai_dsl.compiler import compile_plan
from djai_dsl.executor import ReadOnlyExecutor, compiled_sql
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest.types import Manifest

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.dsl"))
PAGE_SIZE = 50


def case_text(path: Path) -> str:
    """The canonical DSL of a case file: the file without its leading ``#`` lines."""
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    while lines and lines[0].lstrip().startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip()


@pytest.mark.parametrize("case", CASE_FILES, ids=lambda path: path.stem)
def test_case(case: Path, manifest, tz, now, snapshot_common, snapshot_backend) -> None:
    text = case_text(case)
    plan = parse(text)

    assert format_plan(plan) == text, "the case is not canonical text"
    again = parse(format_plan(plan))
    assert again == plan
    # `==` treats 1, 1.0 and True alike; the JSON form does not.
    assert again.model_dump_json() == plan.model_dump_json()

    compiled = compile_plan(plan, manifest, tz=tz, now=now)
    assert snapshot_common == {
        "plan": plan.model_dump(mode="json"),
        "dsl": text,
        "explanation": compiled.explanation,
        "columns": [(column.name, column.type) for column in compiled.columns],
    }

    sql, params = compiled_sql(compiled)
    result = ReadOnlyExecutor().run(compiled, tz=tz, page_size=PAGE_SIZE)
    assert [c.key for c in result.columns] == [c.key for c in compiled.columns]
    assert snapshot_backend == {
        "sql": sql,
        "params": [repr(value) for value in params],
        "rows": result.rows,
        "truncated": result.truncated,
    }


# ------------------------------------------------------------------------------ coverage


def nodes(node: Any) -> Iterator[BaseModel]:
    """Every plan node under ``node`` (itself included), depth first."""
    if isinstance(node, BaseModel):
        yield node
        for name in type(node).model_fields:
            yield from nodes(getattr(node, name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from nodes(item)


CONDITION_TYPES = (
    p.Compare,
    p.Between,
    p.InList,
    p.TextMatch,
    p.IsNull,
    p.TimeWindow,
    p.SegmentRef,
    p.And,
    p.Or,
    p.Not,
    p.Exists,
)


def conditions(node: Any) -> Iterator[p.Condition]:
    """Every condition node under ``node``, exists bodies and aggregate filters included."""
    for item in nodes(node):
        if isinstance(item, CONDITION_TYPES):
            yield item


#: Every construct of DSL v1 that the corpus must show at least once.
REQUIRED_FEATURES = frozenset(
    {f"compare {op}" for op in ("=", "!=", "<", "<=", ">", ">=")}
    | {f"text {op}" for op in ("contains", "starts_with", "ends_with")}
    | {"in", "not in", "between", "is null", "is not null"}
    | {"and", "or", "not", "nested and/or", "not of and/or", "NULL-safe not on a nullable field"}
    | {"exists", "not exists", "exists with where", "exists without where", "nested exists"}
    | {f"anchor {a}" for a in ("last", "this", "previous", "next")}
    | {f"window unit {u}" for u in ("hour", "day", "week", "month", "quarter", "year")}
    | {f"period {k}" for k in ("year", "quarter", "month", "day")}
    | {f"bucket {u}" for u in ("hour", "day", "week", "month", "quarter", "year")}
    | {f"aggregate {f}" for f in ("count", "sum", "avg", "min", "max")}
    | {"count()", "count distinct", "aggregate filter", "min/max of a date"}
    | {f"formula {op}" for op in ("+", "-", "*", "/")}
    | {"formula parentheses", "formula number"}
    | {"having", "having and", "having or"}
    | {"segment", "measure", "segment in aggregate filter"}
    | {"select", "select alias", "sort by a hidden field", "group alias"}
    | {"group by relation path", "group by two hops", "to-many aggregate", "to-many where"}
    | {"to-many aggregate two hops", "to-many aggregate with filter", "global aggregate"}
    | {"sort asc", "sort desc", "limit", "offset", "bare date", "bare date-time"}
    | {"date field", "shop", "chinook"}
)


def plan_features(plan: p.QueryPlan, manifest: Manifest) -> set[str]:
    """The constructs one plan uses (see REQUIRED_FEATURES)."""
    found: set[str] = {plan.source.split(".", 1)[0]}
    source = manifest.model(plan.source)
    found |= bare_values(plan)

    for cond in conditions([plan.where, plan.having, plan.aggregates]):
        found |= condition_features(cond)
    found |= where_features(plan.where, source, manifest)

    if plan.having is not None:
        found.add("having")
        for cond in conditions(plan.having):
            if isinstance(cond, p.And):
                found.add("having and")
            if isinstance(cond, p.Or):
                found.add("having or")

    if plan.select:
        found.add("select")
        if any(item.name for item in plan.select):
            found.add("select alias")
    for key in plan.group_by:
        if key.name:
            found.add("group alias")
        if key.bucket:
            found.add(f"bucket {key.bucket}")
        hops = manifest.resolve(source, key.field).hops
        if hops:
            found.add("group by relation path")
        if len(hops) >= 2:
            found.add("group by two hops")
        if manifest.resolve(source, key.field).type == "date":
            found.add("date field")

    if plan.aggregates and not plan.group_by:
        found.add("global aggregate")
    for item in plan.aggregates:
        if isinstance(item, p.MeasureRef):
            found.add("measure")
        elif isinstance(item, p.Formula):
            for node in nodes(item.expr):
                if isinstance(node, p.BinaryOp):
                    found.add(f"formula {node.op}")
                    if needs_parens(node):
                        found.add("formula parentheses")
                elif isinstance(node, p.Number):
                    found.add("formula number")
        else:
            found |= aggregate_features(item, source, manifest)

    outputs = plan.output_names()
    for key in plan.sort:
        found.add("sort desc" if key.descending else "sort asc")
        if key.key not in outputs:
            found.add("sort by a hidden field")
    if plan.limit is not None:
        found.add("limit")
    if plan.offset is not None:
        found.add("offset")
    return found


def where_features(cond: p.Condition | None, model, manifest: Manifest) -> set[str]:  # type: ignore[no-untyped-def]
    """Features that depend on the fields a where clause reaches (paths inside an exists
    body start from the related model)."""
    found: set[str] = set()
    if cond is None:
        return found
    if isinstance(cond, (p.And, p.Or)):
        for child in cond.conditions:
            found |= where_features(child, model, manifest)
        return found
    if isinstance(cond, p.Not):
        inner = cond.condition
        if isinstance(inner, p.Compare):
            field = manifest.resolve(model, inner.field).field
            if field is not None and field.nullable:
                found.add("NULL-safe not on a nullable field")
        return found | where_features(inner, model, manifest)
    if isinstance(cond, p.Exists):
        target = manifest.resolve(model, cond.relation).target
        return where_features(cond.condition, target, manifest)
    field = getattr(cond, "field", None)
    if field:
        resolved = manifest.resolve(model, field)
        if resolved.to_many:
            found.add("to-many where")
        if resolved.type == "date":
            found.add("date field")
    return found


def needs_parens(node: p.BinaryOp) -> bool:
    """True when printing ``node`` needs parentheses around an operand."""
    precedence = {"+": 1, "-": 1, "*": 2, "/": 2}
    left, right = node.left, node.right
    if isinstance(left, p.BinaryOp) and precedence[left.op] < precedence[node.op]:
        return True
    return isinstance(right, p.BinaryOp) and precedence[right.op] <= precedence[node.op]


def aggregate_features(item: p.Aggregate, source, manifest: Manifest) -> set[str]:  # type: ignore[no-untyped-def]
    found = {f"aggregate {item.func}"}
    if item.func == "count" and item.field is None:
        found.add("count()")
    if item.distinct:
        found.add("count distinct")
    if item.filter is not None:
        found.add("aggregate filter")
        if any(isinstance(c, p.SegmentRef) for c in conditions(item.filter)):
            found.add("segment in aggregate filter")
    if item.field is not None:
        resolved = manifest.resolve(source, item.field)
        if resolved.to_many:
            found.add("to-many aggregate")
            if sum(hop.many for hop in resolved.hops) >= 2:
                found.add("to-many aggregate two hops")
            if item.filter is not None:
                found.add("to-many aggregate with filter")
        if item.func in ("min", "max") and resolved.type in ("date", "datetime"):
            found.add("min/max of a date")
    return found


def condition_features(cond: p.Condition) -> set[str]:
    found: set[str] = set()
    if isinstance(cond, p.Compare):
        found.add(f"compare {cond.op}")
    elif isinstance(cond, p.TextMatch):
        found.add(f"text {cond.op}")
    elif isinstance(cond, p.InList):
        found.add("not in" if cond.negated else "in")
    elif isinstance(cond, p.Between):
        found.add("between")
    elif isinstance(cond, p.IsNull):
        found.add("is not null" if cond.negated else "is null")
    elif isinstance(cond, (p.And, p.Or)):
        found.add(cond.kind)
        if any(isinstance(c, (p.And, p.Or)) for c in cond.conditions):
            found.add("nested and/or")
    elif isinstance(cond, p.Not):
        found.add("not")
        if isinstance(cond.condition, (p.And, p.Or)):
            found.add("not of and/or")
    elif isinstance(cond, p.SegmentRef):
        found.add("segment")
    elif isinstance(cond, p.Exists):
        found.add("not exists" if cond.negated else "exists")
        found.add("exists with where" if cond.condition is not None else "exists without where")
        if any(isinstance(c, p.Exists) for c in conditions(cond.condition)):
            found.add("nested exists")
    elif isinstance(cond, p.TimeWindow):
        window = cond.window
        if isinstance(window, p.RelativeWindow):
            found |= {f"anchor {window.anchor}", f"window unit {window.unit}"}
        else:
            kinds = {1: "year", 2: "month", 3: "day"}
            parts = window.period.split("-")
            found.add("period quarter" if "Q" in window.period else f"period {kinds[len(parts)]}")
    return found


def bare_values(plan: p.QueryPlan) -> set[str]:
    """Whether the canonical text shows a bare date or date-time value."""
    found = set()
    for cond in conditions([plan.where, plan.aggregates]):
        values = [getattr(cond, n, None) for n in ("value", "low", "high")]
        values += list(getattr(cond, "values", []) or [])
        for value in values:
            if isinstance(value, str) and len(value) == 10 and value[4] == "-":
                found.add("bare date")
            elif isinstance(value, str) and len(value) > 10 and value[10:11] == "T":
                found.add("bare date-time")
    return found


def test_the_corpus_is_big_enough() -> None:
    assert len(CASE_FILES) >= 60
    stems = [path.stem for path in CASE_FILES]
    assert all(stem.startswith(("shop_", "chinook_")) for stem in stems), stems
    assert sum(stem.startswith("chinook_") for stem in stems) >= 20


def test_every_plan_node_kind_appears() -> None:
    node_types = {
        obj
        for obj in vars(p).values()
        if isinstance(obj, type) and issubclass(obj, p._Node) and obj is not p._Node
    }
    seen = {type(node) for path in CASE_FILES for node in nodes(parse(case_text(path)))}
    missing = sorted(t.__name__ for t in node_types - seen)
    assert not missing, f"no case uses {missing}"


def test_every_construct_appears(manifest) -> None:
    found: set[str] = set()
    for path in CASE_FILES:
        found |= plan_features(parse(case_text(path)), manifest)
    missing = sorted(REQUIRED_FEATURES - found)
    assert not missing, f"no case uses {missing}"


def test_case_names_are_unique_questions() -> None:
    """Each file starts with the question it answers, and no two cases are the same plan."""
    texts = {}
    for path in CASE_FILES:
        assert path.read_text(encoding="utf-8").startswith("# "), path.name
        texts.setdefault(case_text(path), []).append(path.stem)
    duplicates = [stems for stems in texts.values() if len(stems) > 1]
    assert not duplicates
