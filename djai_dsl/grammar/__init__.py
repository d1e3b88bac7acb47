"""The djai DSL: the readable text form of a :class:`~djai_dsl.plan.QueryPlan`.

``parse`` reads text into a plan, ``format_plan`` prints a plan as canonical text, and
``parse(format_plan(plan)) == plan`` for every plan. The grammar is ``djai.lark`` (LALR).
"""

from djai_dsl.grammar.parser import MAX_NESTING, parse, parse_aggregate, parse_condition
from djai_dsl.grammar.printer import PlanPrinter, format_condition, format_node, format_plan

__all__ = [
    "MAX_NESTING",
    "PlanPrinter",
    "format_condition",
    "format_node",
    "format_plan",
    "parse",
    "parse_aggregate",
    "parse_condition",
]
