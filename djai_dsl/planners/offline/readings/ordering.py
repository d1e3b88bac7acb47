"""Order and limit: "top 5 customers by revenue", "the 10 most expensive products",
"sorted by total", "highest first".

A top-N over groups sorts by the first aggregate; a top-N of rows sorts by the field of
its dimension (price, length, date). A top-N whose ranking is not said ("the best
customers") marks the reading's metric undefined, for the planner to ask. Sort words
without a top-N order a grouped result.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.fields import dimension_field


def add_top_and_sort(b: ReadingBuilder) -> None:
    """Sort keys and the limit, from the top-N, the sort key and direction words."""
    top = b.r.top
    if b.r.sort_metric is not None:
        _explicit_sort(b, b.r.sort_metric)
    if top is None:
        _direction_words(b)
        return
    b.limit = top.limit
    if b.aggregates and b.group_keys:
        key = b.aggregates[0].name
        explicit = b.r.metrics or b.r.counted or b.r.sort_metric or b.r.groups
        if top.dimension == "undefined" and not explicit:
            b.reading.undefined_metric = True
        b.sort.insert(0, p.SortKey(key=key, descending=top.descending))
        return
    if b.aggregates and not b.group_keys:
        # "what is the highest total": the aggregate already says it
        if top.dimension == "undefined":
            b.reading.undefined_metric = True
        b.limit = None
        return
    # A listing sorted by a field: "10 most expensive products", "5 most recent orders".
    if top.dimension == "undefined" or top.dimension == "metric":
        b.reading.undefined_metric = True
        return
    field_name = dimension_field(b, top.dimension)
    if field_name is None:
        b.reading.undefined_metric = True
        return
    b.sort.insert(0, p.SortKey(key=field_name, descending=top.descending))
    b.limit = top.limit or 1


def _explicit_sort(b: ReadingBuilder, m: Mention) -> None:
    """A sort key named after "sorted by": an aggregate of that name, else a field."""
    descending = not any(w in ("ascending", "asc", "lowest", "smallest") for w in b.c.words)
    for agg in b.aggregates:
        if agg.name.replace("_", " ") in m.text.lower():
            b.sort.append(p.SortKey(key=agg.name, descending=descending))
            b.credit(m, 0.5)
            return
    hit = b.best_sense(m, ("field",))
    if hit is not None and hit[2].length == 0 and not b.aggregates:
        b.sort.append(p.SortKey(key=hit[0].name, descending=descending))
        b.credit(m, hit[1])


def _direction_words(b: ReadingBuilder) -> None:
    """ "ascending", "highest first", "smallest first": the order of a grouped result."""
    if b.sort or not (b.aggregates and b.group_keys):
        return
    descending = sort_direction(b.c.words)
    if descending is not None:
        b.sort.append(p.SortKey(key=b.aggregates[0].name, descending=descending))


def sort_direction(words: list[str]) -> bool | None:
    """True for descending ("descending", "highest first"), False for ascending, None when
    the words say nothing about order."""
    text = " ".join(words)
    if any(w in words for w in ("ascending", "asc")) or any(
        f"{w} first" in text for w in ("lowest", "smallest", "least", "fewest", "cheapest")
    ):
        return False
    if any(w in words for w in ("descending", "desc")) or any(
        f"{w} first" in text for w in ("highest", "largest", "biggest", "most", "top")
    ):
        return True
    return None
