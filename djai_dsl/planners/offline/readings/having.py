"""Having: conditions on a total per group ("customers with more than 5 orders").

The comparison applies to the aggregate it names, which is added when the metric rules
did not add it already (the count of orders, the sum of revenue).
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.planners.offline.naming import number
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.conditions import compare
from djai_dsl.planners.offline.readings.metrics import add_aggregate, add_counted
from djai_dsl.planners.offline.roles import Metric


def add_having(b: ReadingBuilder) -> None:
    """A having condition for each comparison of a total."""
    for comp, metric in b.r.having:
        name = _metric_name_for(b, metric)
        if name is None:
            continue
        if comp.op == "between":
            b.having.append(
                p.Between(field=name, low=number(comp.value), high=number(comp.high or comp.value))
            )
        else:
            b.having.append(compare(name, comp.op, number(comp.value)))


def _metric_name_for(b: ReadingBuilder, metric: Metric) -> str | None:
    """The aggregate a having condition is about, added when missing."""
    before = len(b.aggregates)
    if metric.func == "count" and metric.mention is not None:
        add_counted(b, metric.mention, False)
    elif metric.mention is not None and metric.mention.role != "metric":
        add_aggregate(b, metric)
    if len(b.aggregates) > before:
        return b.aggregates[-1].name
    if b.aggregates:
        return b.aggregates[0].name
    return None
