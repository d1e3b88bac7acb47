"""No side channel to hidden fields.

A hidden field (secret-looking, registry-hidden, or on a model the user cannot see) must be
indistinguishable from a name that does not exist, in every place a plan can name a field:
filter, exists, sort, group, aggregate, aggregate filter, having. The error for a hidden
name has the same code, place and wording as the error for a misspelt unknown name, and
neither ever offers the hidden name as a suggestion. Results never carry hidden values.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from demo.shop.models import Customer, Order
from djai_dsl.compiler import compile_plan
from djai_dsl.errors import DjaiError, DslSyntaxError, PlanInvalid
from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.grammar import parse
from djai_dsl.manifest import Manifest, build_manifest, render_text
from djai_dsl.plan import QueryPlan
from tests.conftest import NOW, TZ
from tests.security.conftest import error_text, mentions, run_pipeline
from tests.security.test_corpus_plans import hidden_positions

#: (source, hidden path, a misspelling of it that names nothing)
HIDDEN_AND_MISSPELT = [
    ("auth.user", "password", "pasword"),
    ("shop.supportticket", "assignee.password", "assignee.passwrd"),
    ("shop.customer", "tickets.assignee.password", "tickets.assignee.passwords"),
    ("shop.customer", "api_token", "api_tokn"),
    ("shop.order", "customer.api_token", "customer.apitoken"),
    ("shop.customer", "email", "emial"),
    ("shop.order", "customer.email", "customer.e_mail"),
    ("chinook.invoice", "customer.phone", "customer.phones"),
    ("chinook.customer", "support_rep.birth_date", "support_rep.birth_dat"),
]

pytestmark = pytest.mark.django_db

POSITIONS = list(hidden_positions("shop.order", "total"))


def failure(data: dict[str, Any], manifest: Manifest) -> PlanInvalid:
    with pytest.raises(PlanInvalid) as info:
        compile_plan(QueryPlan.model_validate(data), manifest, tz=TZ, now=NOW)
    return info.value


def shape(error: DjaiError, name: str) -> tuple[Any, ...]:
    """What the error says with the offending name replaced, suggestions left out."""

    def neutral(text: str) -> str:
        text = re.sub(r" \(did you mean .*\?\)$", "", text)
        return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", "<name>", text)

    return (
        error.code,
        type(error),
        neutral(error.message),
        [(neutral(d.path), neutral(d.message)) for d in error.details],
    )


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize(
    ("source", "hidden", "misspelt"),
    HIDDEN_AND_MISSPELT,
    ids=[h for _s, h, _m in HIDDEN_AND_MISSPELT],
)
def test_hidden_name_fails_exactly_like_an_unknown_one(
    superuser_manifest, source, hidden, misspelt, position
):
    hidden_error = failure(hidden_positions(source, hidden)[position], superuser_manifest)
    unknown_error = failure(hidden_positions(source, misspelt)[position], superuser_manifest)

    hidden_leaf, unknown_leaf = hidden.rsplit(".", 1)[-1], misspelt.rsplit(".", 1)[-1]
    assert shape(hidden_error, hidden_leaf) == shape(unknown_error, unknown_leaf)
    # The misspelling is one or two letters away from the hidden name: a suggestion list
    # built from every field would offer it. It must not appear anywhere in the error.
    assert not mentions(error_text(unknown_error), hidden_leaf)
    for detail in hidden_error.details + unknown_error.details:
        for suggestion in detail.suggestions:
            assert hidden_leaf not in suggestion.split(".")


@pytest.mark.parametrize(
    "text",
    [
        'from shop.customer where emial = "x"',
        "from shop.customer select api_tokn",
        "from auth.user sort pasword",
        "from shop.order group by customer.emial aggregate n = count()",
        'from shop.customer where exists(tickets where assignee.pasword = "x")',
        "from auth.user aggregate n = count(distinct passwd)",
    ],
)
def test_misspelt_hidden_names_are_never_suggested(superuser_manifest, text):
    with pytest.raises(PlanInvalid) as info:
        run_pipeline(text, superuser_manifest)
    said = error_text(info.value)
    for name in ("email", "api_token", "password"):
        assert not mentions(said, name) or mentions(text, name)


@pytest.mark.parametrize(
    "text",
    [
        'from shop.customer where emial "x"',  # a syntax error right after the name
        'from shop.customer where api_tokn "x"',
        "from shop.customer select name api_tokn",
        "from auth.user select pasword x",
    ],
)
def test_syntax_error_hints_never_name_hidden_fields(superuser_manifest, text):
    with pytest.raises(DslSyntaxError) as info:
        parse(text, manifest=superuser_manifest)
    said = error_text(info.value)
    for name in ("email", "api_token", "password"):
        assert not mentions(said, name)


def test_relations_to_unseen_models_fail_like_unknown_names(order_clerk_manifest):
    """For a clerk who may only view orders, ``customer`` is as unknown as ``custmer``."""
    for position in POSITIONS:
        hidden = failure(
            hidden_positions("shop.order", "customer.country")[position], order_clerk_manifest
        )
        unknown = failure(
            hidden_positions("shop.order", "custmer.country")[position], order_clerk_manifest
        )
        assert shape(hidden, "customer") == shape(unknown, "custmer")
        assert not mentions(error_text(unknown), "customer")


def test_segment_over_a_hidden_field_is_not_in_the_manifest(reregister):
    """A registry segment over a hidden field would show the field's name in the prompt and
    could only fail: it is left out, and naming it fails like naming no segment at all."""
    reregister(
        Customer,
        segments={"has_token": 'api_token starts with "tok"', "business": 'tier = "business"'},
    )
    manifest = build_manifest()
    assert set(manifest.models["shop.customer"].segments) == {"business"}
    assert not mentions(render_text(manifest), "api_token")

    def segment(name: str) -> PlanInvalid:
        with pytest.raises(PlanInvalid) as info:
            run_pipeline(f"from shop.customer where segment {name}", manifest)
        return info.value

    assert shape(segment("has_token"), "has_token") == shape(segment("no_such"), "no_such")
    assert not mentions(error_text(segment("has_token")), "api_token")
    run_pipeline("from shop.customer where segment business", manifest)


def test_measure_over_a_hidden_field_is_not_in_the_manifest(reregister):
    reregister(Customer, measures={"tokens": "count(distinct api_token)"})
    manifest = build_manifest()
    assert "tokens" not in manifest.models["shop.customer"].measures
    with pytest.raises(PlanInvalid) as info:
        run_pipeline("from shop.customer aggregate t = measure(tokens)", manifest)
    assert not mentions(error_text(info.value), "api_token")


def test_definitions_over_unseen_models_are_not_in_the_manifest(order_clerk_manifest):
    """``unique_customers`` counts customers: a clerk who cannot see them does not get it."""
    order = order_clerk_manifest.models["shop.order"]
    assert "unique_customers" not in order.measures
    assert {"revenue", "order_count"} <= set(order.measures)
    assert "count(distinct customer)" not in render_text(order_clerk_manifest)


def test_having_on_a_hidden_name_is_the_same_as_on_an_unknown_one(superuser_manifest):
    def having(name: str) -> PlanInvalid:
        with pytest.raises(PlanInvalid) as info:
            run_pipeline(
                f"from shop.customer group by country aggregate n = count() having {name} > 1",
                superuser_manifest,
            )
        return info.value

    assert shape(having("email"), "email") == shape(having("emial"), "emial")


# -------------------------------------------------------------------------- results


def all_values(rows: list[list[Any]]) -> set[str]:
    return {str(value) for row in rows for value in row}


@pytest.mark.parametrize(
    "text",
    [
        "from shop.customer",
        "from shop.customer select name, country sort name",
        "from shop.order select customer, customer.name, customer.city",
        "from shop.supportticket select assignee, assignee.username",
        "from auth.user",
        "from chinook.customer",
        "from chinook.employee",
    ],
)
def test_results_never_carry_hidden_values(superuser_manifest, text):
    secrets = {c.api_token for c in Customer.objects.exclude(api_token="")}
    secrets |= set(Customer.objects.values_list("email", flat=True))
    from django.contrib.auth import get_user_model

    secrets |= set(get_user_model().objects.values_list("password", flat=True)) - {""}
    assert secrets
    compiled = compile_plan(parse(text), superuser_manifest, tz=TZ, now=NOW)
    hidden = {
        "api_token",
        "email",
        "password",
        "phone",
        "fax",
        "address",
        "postal_code",
        "birth_date",
    }
    if text.startswith("from auth.user"):
        hidden.discard("email")  # shown for staff users: not a secret, not registry-hidden
    assert not hidden & {column.name.rsplit(".", 1)[-1] for column in compiled.columns}
    result = ReadOnlyExecutor().run(compiled, tz=TZ, page_size=1000)
    assert result.rows
    assert not secrets & all_values(result.rows)


def test_what_the_planner_sees_has_no_hidden_name(order_clerk_manifest, superuser_manifest):
    for manifest in (order_clerk_manifest, superuser_manifest):
        text = render_text(manifest)
        assert not mentions(text, "api_token") and not mentions(text, "password")
    clerk_text = render_text(order_clerk_manifest)
    assert "shop.customer" not in clerk_text
    assert " -> " not in clerk_text  # no relation lines: every relation leads to an unseen model


def test_the_same_model_seen_by_two_users_differs_only_by_permission(make_user):
    clerk = build_manifest(make_user("shop.view_order"))
    manager = build_manifest(make_user("shop.view_order", "shop.view_customer"))
    assert set(clerk.models) == {"shop.order"}
    assert "customer" not in clerk.models["shop.order"].relations
    assert "customer" in manager.models["shop.order"].relations
    assert Order.objects.exists()
