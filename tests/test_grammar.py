"""The DSL: grammar, parser and printer (djai_dsl/grammar/).

Two identities hold: ``parse(format_plan(p)) == p`` for any valid plan, and
``format_plan(parse(t)) == t`` for canonical text. Every error is a DjaiError, with a
position, the expected tokens in words and a hint where one helps.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djai_dsl.errors import DjaiError, DslSyntaxError, InputTooLarge, PlanInvalid, PlanTooComplex
from djai_dsl.grammar import (
    MAX_NESTING,
    format_condition,
    format_node,
    format_plan,
    parse,
    parse_aggregate,
    parse_condition,
)
from djai_dsl.grammar.parser import KEYWORD_PATHS, TERMINALS, lark_parser
from djai_dsl.grammar.printer import PlanPrinter
from djai_dsl.manifest.types import FieldInfo, Manifest, ModelInfo, RelationInfo
from djai_dsl.plan import (
    RESERVED_WORDS,
    Aggregate,
    And,
    Between,
    BinaryOp,
    CalendarPeriod,
    Compare,
    Exists,
    GroupKey,
    InList,
    IsNull,
    Not,
    Or,
    QueryPlan,
    RelativeWindow,
    SegmentRef,
    SelectItem,
    SortKey,
    TextMatch,
    TimeWindow,
)
from tests import strategies

# ------------------------------------------------------------------------------ identities


def assert_round_trip(plan: QueryPlan) -> None:
    text = format_plan(plan)
    again = parse(text)
    assert again == plan, text
    # `==` treats 1, 1.0 and True alike; the JSON form does not.
    assert again.model_dump_json() == plan.model_dump_json(), text
    assert format_plan(again) == text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.query_plans())
def test_any_plan_prints_and_reads_back(plan: QueryPlan) -> None:
    assert_round_trip(plan)


@settings(max_examples=200, deadline=None)
@given(strategies.conditions)
def test_any_condition_prints_and_reads_back(condition) -> None:
    text = format_condition(condition)
    again = parse_condition(text)
    assert again == condition, text
    assert again.model_dump_json() == condition.model_dump_json(), text


@settings(max_examples=100, deadline=None)
@given(strategies.aggregates)
def test_any_aggregate_prints_and_reads_back(aggregate: Aggregate) -> None:
    text = format_node(aggregate)
    assert parse_aggregate(text) == aggregate, text


CANONICAL = [
    # sources and the smallest plans
    "from shop.order",
    "from order",
    "from shop.order\nlimit 5",
    "from shop.order\nlimit 20\noffset 40",
    # comparisons and values
    'from shop.order\nwhere status = "paid"',
    "from shop.order\nwhere total != 0",
    "from shop.order\nwhere total < -12.5 and total <= 1e+16 and total > 0.001 and total >= 3",
    "from shop.customer\nwhere is_active = true or is_staff = false",
    'from shop.customer\nwhere name = "Zoë \\"Z\\" O\'Brien\\n\\u0001"',
    "from shop.order\nwhere created_at >= 2024-03-01T09:30:00 and shipped_on = 2024-03-01",
    'from shop.order\nwhere note = "2024-03-01 "',
    "from shop.order\nwhere total between 10 and 20.5",
    "from shop.order\nwhere created_at between 2024-01-01 and 2024-03-31",
    'from shop.order\nwhere status in ("paid", "shipped")',
    'from shop.order\nwhere customer.country not in ("FR", "DE", 1, true)',
    # text search and nulls
    'from shop.customer\nwhere name contains "ann" and email ends with "@example.com"',
    'from shop.customer\nwhere name starts with "A"',
    "from shop.customer\nwhere email is null or phone is not null",
    # time windows and calendar periods
    "from shop.order\nwhere created_at in last 30 days",
    "from shop.order\nwhere created_at in last day",
    "from shop.order\nwhere created_at in this month or created_at in previous quarter",
    "from shop.order\nwhere created_at in previous 2 weeks or created_at in next 3 months",
    "from shop.order\nwhere created_at in next hour or created_at in last 10000 years",
    "from shop.order\nwhere created_at in 2024 or created_at in 2024-Q1",
    "from shop.order\nwhere created_at in 2024-03 or created_at in 2024-03-05",
    # boolean structure
    "from shop.order\nwhere a = 1 and b = 2 and c = 3",
    "from shop.order\nwhere a = 1 and (b = 2 and c = 3)",
    "from shop.order\nwhere (a = 1 or b = 2) and c = 3",
    "from shop.order\nwhere a = 1 or b = 2 and c = 3",
    "from shop.order\nwhere a = 1 or (b = 2 or c = 3)",
    "from shop.order\nwhere not a = 1 and not (b = 2 or c = 3)",
    "from shop.order\nwhere not not a is null",
    # segments and exists
    "from shop.order\nwhere segment paid and not segment refunded",
    "from shop.customer\nwhere exists(orders)",
    'from shop.customer\nwhere exists(orders where status = "refunded" and total > 100)',
    "from shop.customer\nwhere not exists(orders.items)",
    "from shop.customer\nwhere not (exists(orders)) or not not exists(orders)",
    # field names that are keywords
    'from shop.customer\nwhere `segment` = "retail" and `not` = 1 and `Exists` is null',
    "from shop.customer\nwhere group = 1 and limit = 2 and customer.not = 3",
    "from shop.product\nselect count, desc, `distinct`\nsort from desc, `Segment`",
    # row listings
    "from shop.order\nselect id, customer.name, total",
    "from shop.order\nselect id, buyer = customer.name\nsort total desc, id\nlimit 50",
    # grouping and aggregates
    "from shop.order\naggregate orders = count()",
    "from shop.order\ngroup by customer.country\naggregate orders = count(), revenue = sum(total)",
    "from shop.order\ngroup by customer.country, created_at by month\naggregate orders = count()",
    "from shop.order\ngroup by country = customer.country, month = created_at by month\n"
    "aggregate n = count()",
    "from shop.order\ngroup by created_at by hour, created_at by week, created_at by year\n"
    "aggregate n = count()",
    "from shop.order\naggregate buyers = count(distinct customer), top = max(total), "
    "low = min(total), mean = avg(total)",
    'from shop.order\naggregate paid = count() filter (where status = "paid"), '
    'paid_total = sum(total) filter (where status in ("paid", "shipped") or total > 0)',
    "from shop.order\naggregate revenue = sum(total), orders = count(), aov = revenue / orders",
    "from shop.order\naggregate a = sum(x), b = sum(y), f = a + b * 2, g = (a + b) * 2, "
    "h = a - (b - 1), i = a - b - 1, j = a / (b / 2.5), k = a * b / 100",
    "from shop.order\naggregate net = measure(net_revenue), n = 1, m = net",
    "from shop.order\ngroup by customer.country\naggregate orders = count()\nhaving orders > 10",
    # everything at once, in clause order
    'from shop.order\nwhere status in ("paid", "shipped") and created_at in last 30 days\n'
    "group by customer.country, created_at by month\n"
    "aggregate orders = count(), revenue = sum(total), buyers = count(distinct customer), "
    'paid = count() filter (where status = "paid"), aov = revenue / orders, '
    "net = measure(revenue)\n"
    "having orders > 10 and revenue >= 1000.5\n"
    "sort revenue desc, customer.country\n"
    "limit 5\n"
    "offset 10",
]


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_text_reads_and_prints_back(text: str) -> None:
    plan = parse(text)
    assert format_plan(plan) == text
    assert_round_trip(plan)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # keywords in any case; units singular or plural; `1` spelled out or not
        (
            "FROM shop.order WHERE Created_At IN LAST 1 DAYS AND x IN This Months",
            "from shop.order\nwhere Created_At in last day and x in this month",
        ),
        ("from x where d in last 7 day", "from x\nwhere d in last 7 days"),
        ("from x where d in previous 1 week", "from x\nwhere d in previous week"),
        ("from x where d in 2024-q3", "from x\nwhere d in 2024-Q3"),
        # comments and line breaks anywhere
        (
            "# orders by country\nfrom shop.order # the source\n\n  group by\n country "
            "# key\naggregate n = Count( )",
            "from shop.order\ngroup by country\naggregate n = count()",
        ),
        # redundant parentheses disappear; grouping that matters stays
        ("from x where ((a = 1))", "from x\nwhere a = 1"),
        ("from x where (a = 1) and ((b = 2))", "from x\nwhere a = 1 and b = 2"),
        ("from x where not (a = 1)", "from x\nwhere not a = 1"),
        ("from x where (a = 1 and b = 2) or c = 3", "from x\nwhere a = 1 and b = 2 or c = 3"),
        (
            "from x aggregate s = sum(y), f = (s) + ((2 * s))",
            "from x\naggregate s = sum(y), f = s + 2 * s",
        ),
        # `asc` is the default; `# ` inside text is text
        ("from x sort a asc, b DESC", "from x\nsort a, b desc"),
        ('from x where a = "# no comment"', 'from x\nwhere a = "# no comment"'),
        # text values: JSON escapes, printed in the shortest form
        ('from x where a = "\\u00e9\\/\\t"', 'from x\nwhere a = "é/\\t"'),
        ('from x where a = "2024-03-01"', "from x\nwhere a = 2024-03-01"),
        ("from x where a = 1.50", "from x\nwhere a = 1.5"),
        ("from x where a = 1E3", "from x\nwhere a = 1000.0"),
        ("from x where a = -0", "from x\nwhere a = 0"),
        ("from x where a = TRUE", "from x\nwhere a = true"),
        # `not exists` with space, tab or newline between the words
        ("from x where NOT\n\tEXISTS(y)", "from x\nwhere not exists(y)"),
        ("from x where exists ( y where a = 1 )", "from x\nwhere exists(y where a = 1)"),
        ("from x where `a` = 1", "from x\nwhere a = 1"),
    ],
)
def test_text_is_normalised_to_the_canonical_form(text: str, canonical: str) -> None:
    assert format_plan(parse(text)) == canonical


class BarePathPrinter(PlanPrinter):
    """Prints every path without backticks, to find which ones need them."""

    def path(self, path: str) -> str:
        return path


def plans_using_path(word: str) -> list[QueryPlan]:
    """``word`` as a path in every place a path is printed."""
    window = RelativeWindow(anchor="last", unit="day")
    return [
        QueryPlan(source=word, where=Compare(field=word, op="=", value=1)),
        QueryPlan(
            source="x",
            where=And(conditions=[IsNull(field=word), Not(condition=IsNull(field=word))]),
        ),
        QueryPlan(source="x", where=Or(conditions=[InList(field=word, values=[1]), segment])),
        QueryPlan(
            source="x",
            where=Exists(relation=word, condition=TimeWindow(field=word, window=window)),
        ),
        QueryPlan(source="x", select=[SelectItem(field=word)], sort=[SortKey(key=word)]),
        QueryPlan(
            source="x",
            group_by=[GroupKey(field=word, bucket="day"), GroupKey(field=word)],
            aggregates=[
                Aggregate(name="n", func="count", field=word, distinct=True),
                Aggregate(name="m", func="count", field=word),
                Aggregate(name="s", func="sum", field=word),
            ],
            sort=[SortKey(key=word, descending=True)],
        ),
    ]


segment = SegmentRef(name="paid")


@pytest.mark.parametrize("word", sorted(RESERVED_WORDS))
def test_exactly_the_keyword_paths_need_backticks(word: str) -> None:
    """KEYWORD_PATHS is neither too small (round trip would break) nor too big (canonical
    text would quote names like `group` or `limit` for nothing)."""
    bare = BarePathPrinter()
    for variant in (word, word.upper()):
        readable = []
        for plan in plans_using_path(variant):
            try:
                readable.append(parse(bare.text(plan)) == plan)
            except DjaiError:
                readable.append(False)
            assert parse(format_plan(plan)) == plan
        assert all(readable) is (word not in KEYWORD_PATHS)


# ------------------------------------------------------------------------------ plan shapes


def where(text: str):
    return parse(f"from shop.order where {text}").where


def test_a_chain_of_and_is_one_node_and_parentheses_keep_nesting() -> None:
    flat = where("a = 1 and b = 2 and c = 3")
    assert isinstance(flat, And) and len(flat.conditions) == 3
    nested = where("a = 1 and (b = 2 and c = 3)")
    assert isinstance(nested, And) and len(nested.conditions) == 2
    assert isinstance(nested.conditions[1], And)


def test_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    cond = where("not a = 1 and b = 2 or c = 3")
    assert isinstance(cond, Or)
    first = cond.conditions[0]
    assert isinstance(first, And)
    assert isinstance(first.conditions[0], Not)


def test_between_takes_its_own_and() -> None:
    cond = where("total between 1 and 2 and x = 3")
    assert isinstance(cond, And)
    assert cond.conditions[0] == Between(field="total", low=1, high=2)


def test_not_exists_is_a_negated_exists_and_not_of_exists_stays_a_not() -> None:
    assert where("not exists(orders)") == Exists(relation="orders", negated=True)
    assert where("not (exists(orders))") == Not(condition=Exists(relation="orders"))
    assert format_condition(Not(condition=Exists(relation="orders"))) == "not (exists(orders))"
    double = Not(condition=Exists(relation="orders", negated=True))
    assert parse_condition(format_condition(double)) == double


def test_values_keep_their_types() -> None:
    cond = where('a in ("1", 1, 1.0, true, -2, 2024-03-01, 2024-03-01T09:30:00+01:00, "x\\"y")')
    assert isinstance(cond, InList)
    values = cond.values
    assert [type(v) for v in values] == [str, int, float, bool, int, str, str, str]
    assert values[4] == -2
    assert values[5] == "2024-03-01"
    assert values[6] == "2024-03-01T09:30:00+01:00"
    assert values[7] == 'x"y'


def test_windows_and_periods() -> None:
    assert where("d in last 30 days") == TimeWindow(
        field="d", window=RelativeWindow(anchor="last", count=30, unit="day")
    )
    assert where("d in this quarter").window == RelativeWindow(anchor="this", unit="quarter")
    assert where("d in 2024-Q1").window == CalendarPeriod(period="2024-Q1")


def test_aggregates_formulas_and_group_keys() -> None:
    plan = parse(
        "from shop.order group by m = created_at by months "
        "aggregate b = count(distinct customer), s = sum(total), f = s / b - 1"
    )
    assert plan.group_by == [GroupKey(name="m", field="created_at", bucket="month")]
    assert plan.aggregates[0] == Aggregate(name="b", func="count", field="customer", distinct=True)
    formula = plan.aggregates[2].expr
    assert isinstance(formula, BinaryOp) and formula.op == "-"
    assert isinstance(formula.left, BinaryOp) and formula.left.op == "/"


def test_formula_printing_keeps_the_tree_with_the_fewest_parentheses() -> None:
    plan = parse("from x aggregate a = sum(y), f = a - (a - 1) / (a * 2) + (a + 1)")
    assert format_plan(plan).endswith("f = a - (a - 1) / (a * 2) + (a + 1)")


# ------------------------------------------------------------------------------ registry helpers


def test_parse_condition_and_format_condition() -> None:
    segment = parse_condition('status in ("paid", "shipped")')
    assert segment == InList(field="status", values=["paid", "shipped"])
    assert format_condition(segment) == 'status in ("paid", "shipped")'
    assert isinstance(parse_condition('name contains "x"'), TextMatch)


def test_parse_aggregate_for_measures() -> None:
    measure = parse_aggregate('sum(total) filter (where status = "paid")')
    assert measure == Aggregate(
        name="value",
        func="sum",
        field="total",
        filter=Compare(field="status", op="=", value="paid"),
    )
    assert parse_aggregate("count()", name="orders").name == "orders"
    assert parse_aggregate("revenue = sum(total)").name == "revenue"
    with pytest.raises(DslSyntaxError):
        parse_aggregate("revenue / orders")
    with pytest.raises(DslSyntaxError):
        parse_condition("a = 1 limit 5")


# ------------------------------------------------------------------------------ syntax errors


def syntax_error(text: str, **kwargs) -> DslSyntaxError:
    with pytest.raises(DslSyntaxError) as info:
        parse(text, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("from shop.order\nwhere x = 1\ngruop by y", "group by"),
        ("from shop.order\nagregate n = count()", "aggregate"),
        ("form shop.order", "from"),
        ("from shop.order\nslect id", "select"),
        ("from shop.order\nwhre a = 1", "where"),
        ("from shop.order\nsort total dsc", "desc"),
        ("from shop.order\nlimt 5", "limit"),
        ("from shop.order where a betwen 1 and 2", "between"),
        ('from shop.order where a contians "x"', "contains"),
        ("from shop.order where d in lst 3 days", "last"),
        ("from shop.order where d in last 3 dayz", "day"),
        ("from shop.order aggregate n = cont()", "count"),
    ],
)
def test_misspelled_keywords_get_a_did_you_mean(text: str, suggestion: str) -> None:
    error = syntax_error(text)
    assert error.hint == f"did you mean '{suggestion}'?"


def test_syntax_errors_carry_position_and_expected_tokens_in_words() -> None:
    error = syntax_error("from shop.order\ngroup customer.country")
    assert (error.line, error.column) == (2, 7)
    assert error.expected == ["'by'"]
    assert error.code == "dsl_syntax_error"
    assert error.as_dict()["line"] == 2

    error = syntax_error("from shop.order\nwhere ")
    assert (error.line, error.column) == (2, 7)
    assert "a field name" in error.expected
    assert "end of the query" in error.message

    error = syntax_error("from shop.order where total")
    assert "a comparison (=, !=, <, <=, >, >=)" in error.expected
    assert "'starts with'" in error.expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_expected_tokens_never_show_grammar_internals(text: str) -> None:
    try:
        parse(text)
    except DjaiError as error:
        for name in error.expected:
            assert not re.search(r"__ANON|^_?[A-Z_]+$|\$END", name), name


def test_every_terminal_has_a_human_name() -> None:
    ignored = set(lark_parser().ignore_tokens)
    terminals = {t.name for t in lark_parser().terminals} - ignored
    assert terminals <= set(TERMINALS)


def test_clauses_out_of_order_say_the_order() -> None:
    error = syntax_error("from shop.order\nsort total\nwhere a = 1")
    assert "from, where, select, group by" in error.hint


def test_single_quotes_and_unclosed_text_get_a_hint() -> None:
    assert "double quotes" in syntax_error("from x where a = 'paid'").hint
    error = syntax_error('from x where a = "paid')
    assert error.column == 18
    assert "must end with" in error.hint


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ('from x where segment = "retail"', "segment"),
        ("from x where exists = 1", "exists"),
        ("from x where not = 1", "not"),
        ("from x aggregate n = count(distinct)", "distinct"),
    ],
)
def test_a_keyword_used_as_a_field_suggests_backticks(text: str, word: str) -> None:
    assert f"`{word}`" in syntax_error(text).hint


def _manifest() -> Manifest:
    order = ModelInfo(
        label="shop.order",
        model=object,  # type: ignore[arg-type]  # the parser never touches the model class
        verbose_name="order",
        verbose_name_plural="orders",
        fields={
            "status": FieldInfo("status", "string"),
            "total_amount": FieldInfo("total_amount", "decimal"),
        },
        relations={"customer": RelationInfo("customer", "shop.customer", False, "orders", "fk")},
    )
    customer = ModelInfo(
        label="shop.customer",
        model=object,  # type: ignore[arg-type]
        verbose_name="customer",
        verbose_name_plural="customers",
        fields={"country": FieldInfo("country", "string")},
    )
    return Manifest(models={"shop.order": order, "shop.customer": customer})


def test_with_a_manifest_close_names_are_suggested() -> None:
    manifest = _manifest()
    error = syntax_error("from shop.order\nwhere status = 1 totl_amount > 3", manifest=manifest)
    assert error.hint == "did you mean 'total_amount'?"
    error = syntax_error("from shop.order\nselect id customr", manifest=manifest)
    assert error.hint == "did you mean 'customer'?"
    error = syntax_error("from shop.order shop.ordr", manifest=manifest)
    assert error.hint == "did you mean 'shop.order'?"
    # without a manifest there is nothing to suggest
    assert syntax_error("from shop.order\nwhere status = 1 totl_amount > 3").hint == ""


# ------------------------------------------------------------------------------ invalid plans


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("from x\naggregate from = count()", 2, "'from' is a DSL keyword"),
        ("from x\nselect count = y", 2, "'count' is a DSL keyword"),
        ("from x\nwhere d in this 2 months", 2, "`this` takes no count"),
        ("from x\nwhere d in last 0 days", 2, "count"),
        ("from x\nwhere d in 2024-13", 2, "month must be 01..12"),
        ("from x\nwhere d in 2024-Q5", 2, "not a period"),
        ("from x\nwhere d in 2023-02-29", 2, "not a date"),
        ("from x\nwhere a = 1e999", 2, "finite"),
        ('from x\nwhere a contains ""', 2, "value"),
        ('from x\nwhere a = "\\u0000"', 2, "NUL"),
        ("from x\nwhere a__b = 1", 2, "not a field path"),
        ("from x\naggregate s = sum()", 2, "sum() needs a field"),
        ("from x\naggregate s = sum(distinct y)", 2, "distinct is only for count"),
        ("from x\naggregate s = sum(y), f = s - -1", 2, "greater than or equal to 0"),
        ("from x\nwhere segment from", 2, "keyword"),
        ("from x\nlimit 0", 2, "limit"),
        ("from x\nselect a\naggregate n = count()", 1, "not both"),
        ("from x\nwhere a = 1\nhaving a > 1", 1, "having needs aggregates"),
        ("from 1x", 1, None),
    ],
)
def test_invalid_plans_raise_plan_invalid_pointing_at_the_text(
    text: str, line: int, needle: str | None
) -> None:
    try:
        parse(text)
    except PlanInvalid as error:
        assert error.line == line
        assert error.details and error.details[0].path.startswith(f"line {line}, column ")
        assert needle in str(error)
        assert error.code == "plan_invalid"
    except DslSyntaxError:
        assert needle is None
    else:
        pytest.fail("no error")


@override_settings(DJAI={"MAX_DSL_LENGTH": 40})
def test_input_length_is_bounded_before_parsing() -> None:
    parse("from shop.order\nwhere a = 1")
    with pytest.raises(InputTooLarge) as info:
        parse("from shop.order\nwhere a = 1 and b = 2 and c = 3")
    assert info.value.code == "input_too_large"
    with pytest.raises(InputTooLarge):
        parse_condition("x" * 41)


def test_nul_bytes_are_a_syntax_error() -> None:
    error = syntax_error("from x\nwhere a = 1\x00")
    assert (error.line, error.column) == (2, 12)


def test_non_text_input_is_a_syntax_error() -> None:
    with pytest.raises(DslSyntaxError):
        parse(b"from x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "from x where " + "not " * 1500 + "a = 1",
        "from x where " + "(" * (MAX_NESTING + 1) + "a = 1" + ")" * (MAX_NESTING + 1),
        "from x where " + "(" * 3000 + "a = 1" + ")" * 3000,
        "from x where " + "exists(y where " * 200 + "a = 1" + ")" * 200,
        "from x aggregate s = sum(y), f = " + "(" * 200 + "s" + ")" * 200,
        "from x aggregate s = sum(y), f = s" + " + s" * 1000,
        "from x aggregate n = count() filter (where " * 60 + "a = 1" + ")" * 60,
    ],
)
def test_deep_nesting_is_refused_without_exhausting_the_stack(text: str) -> None:
    with pytest.raises(DjaiError) as info:
        parse(text)
    assert isinstance(info.value, (PlanTooComplex, DslSyntaxError))
    if isinstance(info.value, PlanTooComplex):
        assert info.value.line == 1 and info.value.column is not None
        assert str(MAX_NESTING) in info.value.message


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_NESTING - 1
    plan = parse("from x where " + "not " * depth + "a = 1")
    assert format_plan(plan) == "from x\nwhere " + "not " * depth + "a = 1"


# ------------------------------------------------------------------------------ any input

_SOUP = """from where select group by aggregate having sort limit offset and or not in is null
    between contains starts ends with exists segment measure filter distinct count sum avg
    min max last this previous next day days month asc desc true false ( ) , = != < <= > >=
    + - * / " ' ` # \n shop.order a b.c 1 -2 3.5 1e3 2024 2024-Q1 2024-03 2024-03-01
    2024-03-01T09:30:00 "x" "" "\\u0000" __ x__y 99999999999999999999999"""
DSL_WORDS = st.sampled_from([*_SOUP.split(), " "])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_raises_only_djai_errors(text: str) -> None:
    for reader in (parse, parse_condition, parse_aggregate):
        with contextlib.suppress(DjaiError):
            reader(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(DSL_WORDS, max_size=40).map(" ".join))
def test_any_token_soup_raises_only_djai_errors(text: str) -> None:
    for reader in (parse, parse_condition, parse_aggregate):
        try:
            result = reader(text)
        except DjaiError:
            continue
        if isinstance(result, QueryPlan):
            assert_round_trip(result)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CANONICAL),
    st.data(),
)
def test_mutated_canonical_texts_raise_only_djai_errors(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 5))
    insert = data.draw(st.one_of(DSL_WORDS, st.text(max_size=3)))
    mutated = text[:position] + insert + text[position + cut :]
    try:
        plan = parse(mutated)
    except DjaiError:
        return
    assert_round_trip(plan)
