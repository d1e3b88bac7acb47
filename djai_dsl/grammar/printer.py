"""QueryPlan -> canonical DSL text.

One method per plan node, found from the node's ``kind`` (or its class name for the nodes
without one), the way sqlglot's generator has one ``<node>_sql`` per expression. The output
is canonical: lowercase keywords, one clause per line in the fixed order, single spaces,
and the fewest parentheses that keep the plan's tree. ``parse(format_plan(p)) == p`` for
every valid plan; ``tests/test_grammar.py`` checks it on generated plans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel

from djai_dsl.grammar.parser import KEYWORD_PATHS, terminal_regex
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

_TEXT_OPS = {"contains": "contains", "starts_with": "starts with", "ends_with": "ends with"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_ATOM = 3


@cache
def _bare_text_patterns() -> tuple[re.Pattern[str], ...]:
    return terminal_regex("DATE"), terminal_regex("DATETIME")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class PlanPrinter:
    """Prints any plan node. ``text(node)`` dispatches to ``<kind>_text``."""

    def text(self, node: BaseModel) -> str:
        return self._method(type(node))(self, node)

    @classmethod
    @cache
    def _method(cls, node_type: type[BaseModel]) -> Callable[[PlanPrinter, Any], str]:
        kind_field = node_type.model_fields.get("kind")
        key = kind_field.default if kind_field is not None else _snake(node_type.__name__)
        return getattr(cls, f"{key}_text")

    # ----------------------------------------------------------------------- plan
    def query_plan_text(self, plan: QueryPlan) -> str:
        lines = [f"from {self.path(plan.source)}"]
        if plan.where is not None:
            lines.append(f"where {self.text(plan.where)}")
        if plan.select:
            lines.append("select " + self.items(plan.select))
        if plan.group_by:
            lines.append("group by " + self.items(plan.group_by))
        if plan.aggregates:
            lines.append("aggregate " + self.items(plan.aggregates))
        if plan.having is not None:
            lines.append(f"having {self.text(plan.having)}")
        if plan.sort:
            lines.append("sort " + self.items(plan.sort))
        if plan.limit is not None:
            lines.append(f"limit {plan.limit}")
        if plan.offset is not None:
            lines.append(f"offset {plan.offset}")
        return "\n".join(lines)

    def items(self, nodes: list[Any]) -> str:
        return ", ".join(self.text(node) for node in nodes)

    def path(self, path: str) -> str:
        """A path that the lexer could read as a keyword is quoted. Other keywords (`group`,
        `limit`...) are plain names wherever a path can stand, so they stay bare."""
        return f"`{path}`" if path.lower() in KEYWORD_PATHS else path

    def value(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return repr(value)  # shortest text that reads back as the same float
        if any(pattern.fullmatch(value) for pattern in _bare_text_patterns()):
            return value
        return json.dumps(value, ensure_ascii=False)

    # ----------------------------------------------------------------------- outputs
    def select_item_text(self, item: SelectItem) -> str:
        return self.named(item.name, self.path(item.field))

    def group_key_text(self, key: GroupKey) -> str:
        text = self.path(key.field)
        if key.bucket:
            text += f" by {key.bucket}"
        return self.named(key.name, text)

    def sort_key_text(self, key: SortKey) -> str:
        return self.path(key.key) + (" desc" if key.descending else "")

    def named(self, name: str | None, text: str) -> str:
        return f"{name} = {text}" if name else text

    # ----------------------------------------------------------------------- aggregates
    def aggregate_text(self, node: Aggregate) -> str:
        argument = ""
        if node.field is not None:
            argument = ("distinct " if node.distinct else "") + self.path(node.field)
        text = f"{node.func}({argument})"
        if node.filter is not None:
            text += f" filter (where {self.text(node.filter)})"
        return self.named(node.name, text)

    def measure_text(self, node: MeasureRef) -> str:
        return f"{node.name} = measure({node.measure})"

    def formula_text(self, node: Formula) -> str:
        return f"{node.name} = {self.text(node.expr)}"

    def ref_text(self, node: AggregateRef) -> str:
        return node.name

    def number_text(self, node: Number) -> str:
        return self.value(node.value)

    def binop_text(self, node: BinaryOp) -> str:
        """Left-associative: a left operand needs parentheses only when it binds looser,
        a right operand also when it binds the same (``a - (b - c)``)."""
        precedence = _PRECEDENCE[node.op]
        left = self.operand(node.left, precedence, right=False)
        right = self.operand(node.right, precedence, right=True)
        return f"{left} {node.op} {right}"

    def operand(self, node: Any, parent: int, *, right: bool) -> str:
        own = _PRECEDENCE[node.op] if isinstance(node, BinaryOp) else _ATOM
        text = self.text(node)
        return f"({text})" if own < parent or (right and own == parent) else text

    # ----------------------------------------------------------------------- conditions
    def and_text(self, node: And) -> str:
        # A nested And keeps its parentheses so that the tree reads back unchanged.
        return " and ".join(self.grouped(c, (And, Or)) for c in node.conditions)

    def or_text(self, node: Or) -> str:
        return " or ".join(self.grouped(c, (Or,)) for c in node.conditions)

    def not_text(self, node: Not) -> str:
        inner = node.condition
        # `not exists(x)` means Exists(negated=True); Not(Exists(x)) needs the parentheses.
        needs_parens = isinstance(inner, (And, Or)) or (
            isinstance(inner, Exists) and not inner.negated
        )
        text = self.text(inner)
        return f"not ({text})" if needs_parens else f"not {text}"

    def grouped(self, node: Condition, wrap: tuple[type, ...]) -> str:
        text = self.text(node)
        return f"({text})" if isinstance(node, wrap) else text

    def compare_text(self, node: Compare) -> str:
        return f"{self.path(node.field)} {node.op} {self.value(node.value)}"

    def between_text(self, node: Between) -> str:
        low, high = self.value(node.low), self.value(node.high)
        return f"{self.path(node.field)} between {low} and {high}"

    def in_text(self, node: InList) -> str:
        values = ", ".join(self.value(v) for v in node.values)
        op = "not in" if node.negated else "in"
        return f"{self.path(node.field)} {op} ({values})"

    def text_text(self, node: TextMatch) -> str:
        return f"{self.path(node.field)} {_TEXT_OPS[node.op]} {self.value(node.value)}"

    def is_null_text(self, node: IsNull) -> str:
        return f"{self.path(node.field)} is {'not ' if node.negated else ''}null"

    def time_window_text(self, node: TimeWindow) -> str:
        return f"{self.path(node.field)} in {self.text(node.window)}"

    def relative_text(self, node: RelativeWindow) -> str:
        if node.count == 1:
            return f"{node.anchor} {node.unit}"
        return f"{node.anchor} {node.count} {node.unit}s"

    def calendar_text(self, node: CalendarPeriod) -> str:
        return node.period

    def segment_text(self, node: SegmentRef) -> str:
        return f"segment {node.name}"

    def exists_text(self, node: Exists) -> str:
        inner = self.path(node.relation)
        if node.condition is not None:
            inner += f" where {self.text(node.condition)}"
        return f"{'not ' if node.negated else ''}exists({inner})"


_PRINTER = PlanPrinter()


def format_plan(plan: QueryPlan) -> str:
    """The canonical DSL text of a plan (no trailing newline)."""
    return _PRINTER.text(plan)


def format_condition(condition: Condition) -> str:
    """The canonical text of one condition, e.g. a segment's definition."""
    return _PRINTER.text(condition)


def format_node(node: BaseModel) -> str:
    """The canonical text of any plan node (an aggregate item, a window, a sort key...)."""
    return _PRINTER.text(node)
