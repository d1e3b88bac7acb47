"""Hypothesis strategies for valid query plans, node by node.

Every strategy here produces values the plan models accept, so tests elsewhere (printer,
compiler, validation, serialisation) can draw from them. They deliberately reach the
corners of the text form: paths that are keywords (printed in backticks), text that looks
like a date (printed bare), floats in exponent form, nested and/or, `not exists`.

The plans are shape-valid only: names are random, so they will not resolve against a
manifest. Use ``query_plans(source=...)`` with your own name strategies for that.
"""

from __future__ import annotations

from hypothesis import strategies as st

from djai_dsl.plan import (
    RESERVED_WORDS,
    Aggregate,
    AggregateRef,
    And,
    Between,
    BinaryOp,
    CalendarPeriod,
    Compare,
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

TIME_UNITS = ("hour", "day", "week", "month", "quarter", "year")

# ------------------------------------------------------------------------------ names

identifiers = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: "__" not in s
)
"""Any identifier, keywords included (valid as a path segment)."""

names = identifiers.filter(lambda s: s.lower() not in RESERVED_WORDS)
"""Names for aliases, aggregates, segments and measures: identifiers that are not keywords."""

keywords = st.sampled_from(sorted(RESERVED_WORDS)).flatmap(
    lambda w: st.sampled_from([w, w.upper(), w.capitalize()])
)

paths = st.one_of(
    st.lists(identifiers, min_size=1, max_size=3).map(".".join),
    keywords,  # a field called `segment` or `Count` must still print and read back
)
"""Dotted field paths, occasionally a keyword."""

model_labels = st.one_of(
    st.tuples(identifiers, identifiers).map(".".join),
    identifiers,
)

# ------------------------------------------------------------------------------ values

iso_dates = st.dates().map(lambda d: d.isoformat())
iso_datetimes = st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat())
texts = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=30
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    iso_dates,
    iso_datetimes,
    st.sampled_from(["true", "null", "2024", "1.5", 'a"b\\c', "é ☃", "# not a comment"]),
)
non_empty_texts = st.one_of(texts.filter(bool), iso_dates)

# ------------------------------------------------------------------------------ conditions

relative_windows = st.one_of(
    st.builds(
        RelativeWindow,
        anchor=st.sampled_from(["last", "previous", "next"]),
        count=st.integers(min_value=1, max_value=10000),
        unit=st.sampled_from(TIME_UNITS),
    ),
    st.builds(RelativeWindow, anchor=st.just("this"), unit=st.sampled_from(TIME_UNITS)),
)
calendar_periods = st.builds(
    CalendarPeriod,
    period=st.one_of(
        st.integers(1, 9999).map(lambda y: f"{y:04d}"),
        st.tuples(st.integers(1, 9999), st.integers(1, 4)).map(lambda t: f"{t[0]:04d}-Q{t[1]}"),
        st.tuples(st.integers(1, 9999), st.integers(1, 12)).map(lambda t: f"{t[0]:04d}-{t[1]:02d}"),
        st.dates().map(lambda d: d.isoformat()),
    ),
)
windows = st.one_of(relative_windows, calendar_periods)

compares = st.builds(
    Compare, field=paths, op=st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), value=scalars
)
betweens = st.builds(Between, field=paths, low=scalars, high=scalars)
in_lists = st.builds(
    InList, field=paths, values=st.lists(scalars, min_size=1, max_size=4), negated=st.booleans()
)
text_matches = st.builds(
    TextMatch,
    field=paths,
    op=st.sampled_from(["contains", "starts_with", "ends_with"]),
    value=non_empty_texts,
)
is_nulls = st.builds(IsNull, field=paths, negated=st.booleans())
time_windows = st.builds(TimeWindow, field=paths, window=windows)
segment_refs = st.builds(SegmentRef, name=names)
bare_exists = st.builds(Exists, relation=paths, negated=st.booleans())

leaf_conditions = st.one_of(
    compares,
    betweens,
    in_lists,
    text_matches,
    is_nulls,
    time_windows,
    segment_refs,
    bare_exists,
    # Not(Exists) must print as `not (exists(...))`, never as `not exists(...)`
    st.builds(Not, condition=bare_exists),
)


def _compound(children: st.SearchStrategy) -> st.SearchStrategy:
    many = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        st.builds(And, conditions=many),
        st.builds(Or, conditions=many),
        st.builds(Not, condition=children),
        st.builds(Exists, relation=paths, condition=children, negated=st.booleans()),
    )


conditions = st.recursive(leaf_conditions, _compound, max_leaves=8)
"""Any condition, nested a few levels: and/or/not/exists over every leaf kind."""

# ------------------------------------------------------------------------------ aggregates


def _aggregate(name: str, func: str, field: str | None, distinct: bool, filter) -> Aggregate:
    if func != "count" and field is None:
        field = "total"
    if func != "count" or field is None:
        distinct = False
    return Aggregate(name=name, func=func, field=field, distinct=distinct, filter=filter)


aggregates = st.builds(
    _aggregate,
    name=names,
    func=st.sampled_from(["count", "sum", "avg", "min", "max"]),
    field=st.none() | paths,
    distinct=st.booleans(),
    filter=st.none() | conditions,
)
"""`name = func(field)` in every allowed shape, with or without a filter."""

numbers = st.builds(
    Number,
    value=st.one_of(
        st.integers(min_value=0, max_value=10**12),
        st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    ),
)
expressions = st.recursive(
    st.one_of(st.builds(AggregateRef, name=names), numbers),
    lambda children: st.builds(
        BinaryOp, op=st.sampled_from(["+", "-", "*", "/"]), left=children, right=children
    ),
    max_leaves=6,
)
formulas = st.builds(Formula, name=names, expr=expressions)
measure_refs = st.builds(MeasureRef, name=names, measure=names)
aggregate_items = st.one_of(aggregates, formulas, measure_refs)

# ------------------------------------------------------------------------------ plans

select_items = st.builds(SelectItem, name=st.none() | names, field=paths)
group_keys = st.builds(
    GroupKey, name=st.none() | names, field=paths, bucket=st.none() | st.sampled_from(TIME_UNITS)
)
sort_keys = st.builds(SortKey, key=paths, descending=st.booleans())
limits = st.none() | st.integers(min_value=1, max_value=10**6)


@st.composite
def query_plans(draw: st.DrawFn, source: st.SearchStrategy[str] = model_labels) -> QueryPlan:
    """A whole plan: a bare filter, a row listing, or a grouped aggregation."""
    shape = draw(st.sampled_from(["filter", "listing", "aggregation"]))
    fields: dict = {
        "source": draw(source),
        "where": draw(st.none() | conditions),
        "sort": draw(st.lists(sort_keys, max_size=3)),
        "limit": draw(limits),
        "offset": draw(limits),
    }
    if shape == "listing":
        fields["select"] = draw(st.lists(select_items, min_size=1, max_size=4))
    elif shape == "aggregation":
        fields["group_by"] = draw(st.lists(group_keys, max_size=3))
        fields["aggregates"] = draw(st.lists(aggregate_items, min_size=1, max_size=4))
        fields["having"] = draw(st.none() | conditions)
    return QueryPlan(**fields)
