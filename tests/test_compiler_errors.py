"""Bad input never compiles and never yields a 500: every problem is a DjaiError with the
stable code clients switch on, a message that names the place, and a "did you mean" where
one helps. Hidden and secret fields stay invisible, in suggestions as much as in answers.

Bad DSL goes through ``parse`` then ``compile_plan`` (the path an analyst's edit takes);
bad plans are built as objects (the path a planner takes).
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from pydantic import ValidationError

from djai_dsl.compiler import compile_plan
from djai_dsl.conf import get_config
from djai_dsl.errors import DjaiError, DslSyntaxError
from djai_dsl.grammar import parse
from djai_dsl.plan import (
    Aggregate,
    And,
    Compare,
    Exists,
    GroupKey,
    MeasureRef,
    Not,
    QueryPlan,
    SegmentRef,
    SelectItem,
    SortKey,
)
from djai_dsl.validation import validate_plan, validation_context

pytestmark = pytest.mark.django_db


def error_of(text: str, manifest, tz, now) -> DjaiError:  # type: ignore[no-untyped-def]
    with pytest.raises(DjaiError) as info:
        compile_plan(parse(text, manifest=manifest), manifest, tz=tz, now=now)
    return info.value


def plan_error(plan: QueryPlan, manifest, tz, now) -> DjaiError:  # type: ignore[no-untyped-def]
    with pytest.raises(DjaiError) as info:
        compile_plan(plan, manifest, tz=tz, now=now)
    return info.value


def suggestions(error: DjaiError) -> list[str]:
    return [s for detail in error.details for s in detail.suggestions]


# ------------------------------------------------------------------------------ bad DSL

BAD_DSL = [
    # (id, text, code, words the message must contain, suggestions that must be offered)
    (
        "unknown_field",
        "from shop.order where totl > 5",
        "plan_invalid",
        "no field or relation 'totl'",
        ["total"],
    ),
    (
        "unknown_field_behind_a_relation",
        "from shop.order group by customer.contry aggregate n = count()",
        "plan_invalid",
        "no field or relation 'contry'",
        ["customer.country"],
    ),
    (
        "unknown_model",
        "from shop.ordr",
        "plan_invalid",
        "no model 'shop.ordr'",
        ["shop.order"],
    ),
    (
        "text_for_a_number",
        'from shop.order where total > "abc"',
        "plan_invalid",
        "holds numbers",
        [],
    ),
    (
        "number_for_a_boolean",
        "from shop.customer where is_active = 1",
        "plan_invalid",
        "true/false",
        [],
    ),
    (
        "number_for_a_datetime",
        "from shop.order where created_at > 5",
        "plan_invalid",
        "dates and times",
        [],
    ),
    (
        "number_for_text",
        "from shop.customer where name = 5",
        "plan_invalid",
        "put the value in quotes",
        [],
    ),
    (
        "not_a_choice",
        'from shop.order where status = "payed"',
        "plan_invalid",
        "'payed' is not one of the values of status",
        ["paid"],
    ),
    (
        "label_instead_of_value",
        'from shop.refund where reason = "Arrived damaged"',
        "plan_invalid",
        "is the label; the stored value is 'damaged'",
        ["damaged"],
    ),
    (
        "country_name_instead_of_code",
        'from shop.customer where country in ("DE", "Germany")',
        "plan_invalid",
        "the stored value is 'DE'",
        ["DE"],
    ),
    (
        "contains_on_a_number",
        'from shop.order where total contains "5"',
        "plan_invalid",
        "needs a text field",
        [],
    ),
    (
        "sum_of_text",
        "from shop.customer aggregate s = sum(name)",
        "plan_invalid",
        "sum() needs a number field",
        [],
    ),
    (
        "avg_of_a_date",
        "from shop.order aggregate a = avg(created_at)",
        "plan_invalid",
        "avg() needs a number field",
        [],
    ),
    (
        "bucket_on_a_number",
        "from shop.order group by total by month aggregate n = count()",
        "plan_invalid",
        "`by month` needs a date or date-time field",
        [],
    ),
    (
        "hours_of_a_date_field",
        "from chinook.employee group by hire_date by hour aggregate n = count()",
        "plan_invalid",
        "hours need a date-time field",
        [],
    ),
    (
        "hour_window_on_a_date_field",
        "from chinook.employee where hire_date in last 3 hours",
        "plan_invalid",
        "hours need a date-time field",
        [],
    ),
    (
        "window_on_a_number",
        "from shop.order where total in last 3 days",
        "plan_invalid",
        "a time window needs a date or date-time field",
        [],
    ),
    (
        "to_many_in_select",
        "from shop.customer select name, orders.total",
        "plan_invalid",
        "cannot show a to-many relation",
        [],
    ),
    (
        "to_many_in_group_by",
        "from shop.customer group by orders.status aggregate n = count()",
        "plan_invalid",
        "cannot group by a to-many relation",
        [],
    ),
    (
        "count_distinct_across_to_many",
        "from shop.customer aggregate n = count(distinct orders.status)",
        "plan_invalid",
        "count(distinct ...) across a to-many relation",
        [],
    ),
    (
        "sort_by_a_non_output_in_a_grouped_query",
        "from shop.order group by status aggregate orders = count() sort ordres desc",
        "plan_invalid",
        "sort by one of the output columns: status, orders",
        ["orders"],
    ),
    (
        "having_without_group_by",
        "from shop.order aggregate n = count() having n > 5",
        "plan_invalid",
        "having filters groups",
        [],
    ),
    (
        "having_on_a_non_aggregate",
        'from shop.order group by status aggregate n = count() having status = "paid"',
        "plan_invalid",
        "'status' is not an aggregate of this query",
        [],
    ),
    (
        "duplicate_output_names",
        "from shop.order group by status aggregate status = count()",
        "plan_invalid",
        "two output columns are named 'status'",
        [],
    ),
    (
        "duplicate_select_columns",
        "from shop.order select id, total, id",
        "plan_invalid",
        "two output columns are named 'id'",
        [],
    ),
    (
        "formula_before_its_aggregate",
        "from shop.order aggregate aov = revenue / orders, revenue = sum(total), orders = count()",
        "plan_invalid",
        "'revenue' is not an aggregate defined before 'aov'",
        [],
    ),
    (
        "unknown_segment",
        "from shop.order where segment payed",
        "plan_invalid",
        "there is no segment 'payed'",
        ["paid"],
    ),
    (
        "segment_of_another_model",
        "from shop.customer where segment unresolved",
        "plan_invalid",
        "there is no segment 'unresolved'",
        [],
    ),
    (
        "unknown_measure",
        "from shop.order aggregate r = measure(revenu)",
        "plan_invalid",
        "there is no measure 'revenu'",
        ["revenue"],
    ),
    (
        "exists_on_a_field",
        "from shop.customer where exists(city)",
        "plan_invalid",
        "exists(...) needs a relation",
        [],
    ),
    (
        "this_with_a_count",
        "from shop.order where created_at in this 2 months",
        "plan_invalid",
        "`this` takes no count",
        [],
    ),
    (
        "impossible_month",
        "from shop.order where created_at in 2024-13",
        "plan_invalid",
        "month must be 01..12",
        [],
    ),
    (
        "limit_above_the_maximum",
        "from shop.order limit 10001",
        "limit_exceeded",
        "limit 10001 is above the maximum of 10000",
        [],
    ),
    (
        "too_many_relation_hops",
        'from shop.order where customer.orders.items.product.category.name = "x"',
        "plan_too_complex",
        "crosses 5 relations; the limit is 4",
        [],
    ),
    (
        "too_many_values_in_a_list",
        "from shop.order where total in (" + ", ".join(str(i) for i in range(501)) + ")",
        "plan_too_complex",
        "501 values in a list; the limit is 500",
        [],
    ),
    (
        "conditions_nested_too_deep",
        "from shop.order where " + "not " * 9 + "total > 1",
        "plan_too_complex",
        "conditions are nested 10 deep; the limit is 8",
        [],
    ),
    (
        "too_many_conditions",
        "from shop.order where " + " and ".join(f"total > {i}" for i in range(60)),
        "plan_too_complex",
        "61 conditions; the limit is 50",
        [],
    ),
    (
        "too_many_group_keys",
        "from shop.order group by id, status, total, created_at, shipping_country, "
        "customer.country, customer.city aggregate n = count()",
        "plan_too_complex",
        "7 group keys; the limit is 6",
        [],
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "words", "offered"),
    [case[1:] for case in BAD_DSL],
    ids=[case[0] for case in BAD_DSL],
)
def test_bad_dsl_is_refused_with_its_code(text, code, words, offered, manifest, tz, now) -> None:  # type: ignore[no-untyped-def]
    error = error_of(text, manifest, tz, now)
    assert error.code == code, str(error)
    assert words in str(error)
    assert error.http_status == 422
    for name in offered:
        assert name in suggestions(error), str(error)
        assert f"did you mean '{name}'" in str(error)


def test_every_problem_of_a_plan_is_reported_at_once(manifest, tz, now) -> None:
    error = error_of(
        'from shop.order where totl > 5 and status = "payed" group by status '
        "aggregate s = sum(customer.name) sort nothing",
        manifest,
        tz,
        now,
    )
    assert error.code == "plan_invalid"
    paths = [detail.path for detail in error.details]
    assert paths == [
        "where.and[0] (totl)",
        "where.and[1] (status)",
        "aggregate[0] (s)",
        "sort[0] (nothing)",
    ]


def test_a_mix_of_limit_and_other_problems_is_plan_invalid(manifest, tz, now) -> None:
    error = error_of("from shop.order where totl > 5 limit 20000", manifest, tz, now)
    assert error.code == "plan_invalid"
    assert len(error.details) == 2


# ------------------------------------------------------------------------------ secrets

SECRETS = [
    # (text, the secret name, what the user typed that may be echoed)
    ('from shop.customer where api_token = "x"', "api_token", "api_token"),
    ('from shop.customer where api_tokn = "x"', "api_token", "api_tokn"),
    ("from shop.customer select name, api_token", "api_token", "api_token"),
    ("from shop.customer select emial", "email", "emial"),
    ('from shop.customer where email ends with "@example.com"', "email", "email"),
    ('from shop.order where customer.emails = "x"', "email", "customer.emails"),
    ('from shop.supportticket where assignee.password = "x"', "password", "assignee.password"),
    ('from shop.supportticket where assignee.pasword = "x"', "password", "assignee.pasword"),
    (
        "from shop.supportticket group by assignee.passwd aggregate n = count()",
        "password",
        "assignee.passwd",
    ),
    ("from chinook.customer select first_name, phone", "phone", "phone"),
    ("from chinook.employee select last_name, birthdate", "birth_date", "birthdate"),
]


@pytest.mark.parametrize(("text", "secret", "typed"), SECRETS, ids=[s[0] for s in SECRETS])
def test_hidden_and_secret_fields_are_unknown_and_never_suggested(
    text: str,
    secret: str,
    typed: str,
    manifest,
    tz,
    now,  # type: ignore[no-untyped-def]
) -> None:
    error = error_of(text, manifest, tz, now)
    assert error.code == "plan_invalid"
    assert "has no field or relation" in str(error)
    assert not any(secret in s for s in suggestions(error)), suggestions(error)
    # The message may echo what the user typed (the path or one of its names), and
    # nothing more about the secret.
    for text_shown in (str(error), str(error.as_dict())):
        for echo in sorted({typed, *typed.split(".")}, key=len, reverse=True):
            text_shown = text_shown.replace(echo, "")
        assert secret not in text_shown, str(error)


def test_a_secret_is_refused_inside_exists_and_aggregate_filters(manifest, tz, now) -> None:
    for text in (
        'from shop.order where exists(customer where api_token = "x")',
        'from shop.order aggregate n = count() filter (where customer.api_token = "x")',
        "from shop.supportticket aggregate n = count(distinct assignee.password)",
        "from shop.supportticket select id sort assignee.password",
    ):
        error = error_of(text, manifest, tz, now)
        assert error.code == "plan_invalid", text
        assert "has no field or relation" in str(error), text


# ------------------------------------------------------------------------------ bad plans


def test_bad_plan_objects_get_the_same_codes(manifest, tz, now) -> None:
    unknown = QueryPlan(source="shop.order", where=Compare(field="totl", op=">", value=5))
    error = plan_error(unknown, manifest, tz, now)
    assert (error.code, suggestions(error)) == ("plan_invalid", ["total"])

    wrong_type = QueryPlan(
        source="shop.order", where=Compare(field="created_at", op=">=", value=True)
    )
    assert plan_error(wrong_type, manifest, tz, now).code == "plan_invalid"

    label = QueryPlan(source="shop.payment", where=Compare(field="method", op="=", value="PayPal"))
    error = plan_error(label, manifest, tz, now)
    assert (error.code, suggestions(error)) == ("plan_invalid", ["paypal"])

    to_many_select = QueryPlan(source="shop.order", select=[SelectItem(field="items.quantity")])
    assert plan_error(to_many_select, manifest, tz, now).code == "plan_invalid"

    bad_sort = QueryPlan(
        source="shop.order",
        group_by=[GroupKey(field="status")],
        aggregates=[Aggregate(name="n", func="count")],
        sort=[SortKey(key="total")],
    )
    assert plan_error(bad_sort, manifest, tz, now).code == "plan_invalid"

    unknown_segment = QueryPlan(
        source="shop.order", where=And(conditions=[SegmentRef(name="paid"), SegmentRef(name="vip")])
    )
    assert plan_error(unknown_segment, manifest, tz, now).code == "plan_invalid"

    unknown_measure = QueryPlan(
        source="shop.order", aggregates=[MeasureRef(name="r", measure="profit")]
    )
    assert plan_error(unknown_measure, manifest, tz, now).code == "plan_invalid"

    too_big = QueryPlan(source="shop.order", limit=get_config()["MAX_LIMIT"] + 1)
    assert plan_error(too_big, manifest, tz, now).code == "limit_exceeded"

    deep = Compare(field="total", op=">", value=1)
    for _ in range(get_config()["MAX_CONDITION_DEPTH"]):
        deep = Not(condition=deep)
    assert plan_error(QueryPlan(source="shop.order", where=deep), manifest, tz, now).code == (
        "plan_too_complex"
    )

    nested_exists = Exists(
        relation="orders",
        condition=Exists(relation="refunds", condition=Compare(field="nope", op="=", value=1)),
    )
    error = plan_error(QueryPlan(source="shop.customer", where=nested_exists), manifest, tz, now)
    assert error.code == "plan_invalid"
    assert "shop.refund has no field or relation 'nope'" in str(error)


def test_validate_plan_and_the_validation_context_agree(manifest) -> None:
    """The same checks run when a planner's JSON is validated with the manifest as
    context (instructor re-asks with this message)."""
    data = {
        "source": "shop.order",
        "where": {"kind": "compare", "field": "totl", "op": ">", "value": 5},
    }
    with pytest.raises(ValidationError) as info:
        QueryPlan.model_validate(data, context=validation_context(manifest))
    assert "did you mean 'total'?" in str(info.value)
    with pytest.raises(DjaiError) as error:
        validate_plan(QueryPlan.model_validate(data), manifest)
    assert error.value.code == "plan_invalid"


def test_a_manifest_alone_in_the_context_is_refused_not_ignored(manifest) -> None:
    """plan.py does not import the checker: a bare manifest in the context would skip the
    check silently, so it raises instead."""
    with pytest.raises(TypeError, match="validation_context"):
        QueryPlan.model_validate({"source": "shop.order"}, context={"manifest": manifest})


@override_settings(DJAI={"MAX_LIMIT": 100, "MAX_CONDITIONS": 3})
def test_limits_follow_the_settings(manifest, tz, now) -> None:
    assert error_of("from shop.order limit 101", manifest, tz, now).code == "limit_exceeded"
    error = error_of(
        "from shop.order where total > 1 and total > 2 and total > 3", manifest, tz, now
    )
    assert error.code == "plan_too_complex"


# ------------------------------------------------------------------------------ syntax


SYNTAX = [
    # (text, line, column, words in the message, words in the hint)
    ("from shop.order\nwhere total >\ngroup by status", 3, 1, "unexpected 'group'", "one per line"),
    ("from shop.order\nwhere status = 'paid'", 2, 16, 'unexpected "\'"', "double quotes"),
    ("from shop.order\ngroup status", 2, 7, "expected 'by'", ""),
    ('from shop.order\nwhere status = "paid', 2, 16, "unexpected '\"'", "must end with"),
    ("from shop.order\naggregate n = cout()", 2, 19, "unexpected '('", "did you mean 'count'?"),
    (
        'from shop.order\nwhere total >= 10 adn status = "paid"',
        2,
        19,
        "unexpected 'adn'",
        "did you mean 'and'?",
    ),
    ("from shop.order\nsort total\nwhere total > 1", 3, 1, "unexpected 'where'", "one per line"),
    ("from shop.order where", 1, 22, "unexpected end of the query", ""),
    (
        "from shop.order where created_at in lats 3 days",
        1,
        37,
        "unexpected 'lats'",
        "did you mean 'last'?",
    ),
    ("", 1, 1, "unexpected end of the query", ""),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "words", "hint"), SYNTAX, ids=[s[0] for s in SYNTAX]
)
def test_syntax_errors_have_a_position(text, line, column, words, hint, manifest) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DslSyntaxError) as info:
        parse(text, manifest=manifest)
    error = info.value
    assert error.code == "dsl_syntax_error"
    assert error.http_status == 400
    assert (error.line, error.column) == (line, column), str(error)
    assert words in error.message
    assert hint in error.hint
    assert error.as_dict()["line"] == line


def test_a_typo_in_a_name_gets_a_suggestion_from_the_manifest(manifest) -> None:
    with pytest.raises(DslSyntaxError) as info:
        parse("from shop.order\nwhere totl > 1 stauts", manifest=manifest)
    assert info.value.line == 2
    assert "did you mean 'status'?" in info.value.hint


def test_oversized_input(manifest, tz, now) -> None:
    limit = get_config()["MAX_DSL_LENGTH"]
    text = "from shop.order where " + " or ".join(["total > 1"] * (limit // 12))
    assert len(text) > limit
    with pytest.raises(DjaiError) as info:
        parse(text, manifest=manifest)
    assert info.value.code == "input_too_large"
    assert info.value.http_status == 400


def test_not_text_and_nul_characters(manifest) -> None:
    with pytest.raises(DjaiError) as info:
        parse(b"from shop.order", manifest=manifest)  # type: ignore[arg-type]
    assert info.value.code == "dsl_syntax_error"
    with pytest.raises(DjaiError) as info:
        parse('from shop.order\nwhere name = "a\x00b"', manifest=manifest)
    assert (info.value.code, info.value.line) == ("dsl_syntax_error", 2)
