"""The offline planner, one test per rule: through the planner itself (the plan it writes)
and through the chat service (what the user gets back), on the seeded demo data.

Plans are compared as DSL text, so a failure shows the whole reading at a glance.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from djai_dsl.chat.service import ChatService, ClientContext
from djai_dsl.grammar import format_plan
from djai_dsl.manifest import build_manifest
from djai_dsl.manifest.types import Manifest
from djai_dsl.planners.base import (
    Clarification,
    OutOfScope,
    PlannerContext,
    PlannerResult,
    PlanProposal,
)
from djai_dsl.planners.offline import OfflinePlanner, clear_value_index
from djai_dsl.planners.select import get_planner
from djai_dsl.values import indexed_values
from tests.conftest import NOW, SEED_SCALE, TODAY, TZ

pytestmark = pytest.mark.django_db

PLANNER = OfflinePlanner()


@pytest.fixture(scope="module", autouse=True)
def demo_data(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The seeded demo data, put back when a live-server test that ran earlier in the
    session flushed it (transactional tests empty the database after themselves)."""
    from demo.chinook.loader import is_loaded
    from demo.chinook.loader import load as load_chinook
    from demo.shop.models import Order
    from demo.shop.seed import seed

    with django_db_blocker.unblock():
        if not Order.objects.exists():
            seed(seed=42, scale=SEED_SCALE, today=TODAY)
        if not is_loaded():
            load_chinook()


@pytest.fixture(autouse=True)
def fresh_value_index() -> None:
    """The index is per process: other tests may have read it while their own rows were
    in the tables (inside transactions that were rolled back since)."""
    clear_value_index()


@pytest.fixture
def shop() -> Manifest:
    return build_manifest(apps=["shop", "auth"])


@pytest.fixture
def chinook() -> Manifest:
    return build_manifest(apps=["chinook"])


def context(**kwargs: Any) -> PlannerContext:
    return PlannerContext(tz=TZ, now=NOW, **kwargs)


def ask(manifest: Manifest, question: str, **kwargs: Any) -> PlannerResult:
    return PLANNER.plan(question, context(**kwargs), manifest)


def plan_text(manifest: Manifest, question: str, **kwargs: Any) -> str:
    result = ask(manifest, question, **kwargs)
    assert isinstance(result, PlanProposal), result
    return format_plan(result.plan)


def dsl(*lines: str) -> str:
    return "\n".join(lines)


# --------------------------------------------------------------------------- counting, totals


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many orders are there?", dsl("from shop.order", "aggregate orders = count()")),
        (
            "What is our total revenue?",
            dsl("from shop.order", "aggregate revenue = measure(revenue)"),
        ),
        (
            "average price of our products",
            dsl("from shop.product", "aggregate avg_price = avg(price)"),
        ),
        (
            "What is the highest order total?",
            dsl("from shop.order", "aggregate max_total = max(total)"),
        ),
        (
            "How many units have we sold?",
            dsl("from shop.orderitem", "aggregate quantity = sum(quantity)"),
        ),
        (
            "How many different customers have placed an order?",
            dsl("from shop.customer", "where exists(orders)", "aggregate customers = count()"),
        ),
    ],
)
def test_counts_and_totals(shop: Manifest, question: str, expected: str) -> None:
    assert plan_text(shop, question) == expected


# --------------------------------------------------------------------------- values and text


def test_choice_values_by_label_code_or_alias(shop: Manifest) -> None:
    for question in ("customers in Germany", "customers from DE"):
        assert plan_text(shop, question) == dsl("from shop.customer", 'where country = "DE"')
    assert plan_text(shop, "how many customers are in the UK?") == dsl(
        "from shop.customer", 'where country = "GB"', "aggregate customers = count()"
    )


def test_segments_and_yes_no_fields(shop: Manifest) -> None:
    assert plan_text(shop, "How many orders were cancelled?") == dsl(
        "from shop.order", "where segment cancelled", "aggregate orders = count()"
    )
    assert plan_text(shop, "List inactive products") == dsl(
        "from shop.product", "where not segment active"
    )


def test_free_text_values_come_from_the_bounded_index(shop: Manifest) -> None:
    assert plan_text(shop, "Which customers live in Berlin?") == dsl(
        "from shop.customer", 'where city = "Berlin"'
    )
    assert plan_text(shop, "Show products in the Laptops category") == dsl(
        "from shop.product", 'where category.name = "Laptops"'
    )


def test_text_search(shop: Manifest) -> None:
    assert plan_text(shop, 'Find products whose name contains "lamp"') == dsl(
        "from shop.product", 'where name contains "lamp"'
    )
    assert plan_text(shop, "customers whose name starts with Anna") == dsl(
        "from shop.customer", 'where name starts with "Anna"'
    )


def test_unknown_names_are_searched_with_low_confidence(chinook: Manifest) -> None:
    result = ask(chinook, "List all tracks by AC/DC")
    assert isinstance(result, PlanProposal)
    assert 'album.artist.name contains "AC/DC"' in format_plan(result.plan)
    assert result.confidence < 0.6  # a guess: the chat asks to confirm it
    assert any("AC/DC" in note for note in result.notes)


def test_value_index_is_bounded_and_cached(
    shop: Manifest, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.DJAI = {**settings.DJAI, "OFFLINE_VALUE_INDEX_CAP": 5}
    clear_value_index()
    entries = indexed_values(shop)
    by_field = {(e.label, e.field): e for e in entries}
    city = by_field[("shop.customer", "city")]
    assert city.over_cap and city.values == ()  # more than 5 cities: not categorical
    assert all(len(e.values) <= 5 for e in entries)
    with django_assert_num_queries(0):  # read once per process, not per question
        indexed_values(shop)
        ask(shop, "Which customers live in Berlin?")


# --------------------------------------------------------------------------- numbers


def test_numeric_comparisons(shop: Manifest, chinook: Manifest) -> None:
    assert plan_text(shop, "List orders over 1500 shipped to Japan") == dsl(
        "from shop.order", 'where shipping_country = "JP" and total > 1500'
    )
    assert plan_text(shop, "Which products have a price between 10 and 20?") == dsl(
        "from shop.product", "where price between 10 and 20"
    )
    # durations in words, against a field kept in milliseconds (from its description)
    assert plan_text(chinook, "Show tracks longer than 5 minutes") == dsl(
        "from chinook.track", "where milliseconds > 300000"
    )


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("words", "condition"),
    [
        ("in the last 7 days", "created_at in last 7 days"),
        ("this month", "created_at in this month"),
        ("last month", "created_at in previous month"),
        ("in 2024", "created_at in 2024"),
        ("in Q1 2025", "created_at in 2025-Q1"),
        ("in March 2026", "created_at in 2026-03"),
        ("since March", "created_at >= 2026-03-01"),
        ("before 2025", "created_at < 2025-01-01"),
        ("between 2025-01-01 and 2025-03-31", "created_at between 2025-01-01 and 2025-03-31"),
        ("yesterday", "created_at in previous day"),
    ],
)
def test_relative_and_calendar_time(shop: Manifest, words: str, condition: str) -> None:
    assert plan_text(shop, f"How many orders {words}?") == dsl(
        "from shop.order", f"where {condition}", "aggregate orders = count()"
    )


def test_named_date_field(shop: Manifest) -> None:
    assert "where closed_at in this week" in plan_text(
        shop, "How many tickets were closed this week?"
    )
    assert "where signed_up_at in 2025" in plan_text(shop, "customers who signed up in 2025")


# --------------------------------------------------------------------------- grouping, top-N


def test_grouping(shop: Manifest) -> None:
    assert plan_text(shop, "Number of customers by country") == dsl(
        "from shop.customer", "group by country", "aggregate customers = count()"
    )
    assert plan_text(shop, "Orders per month in 2025") == dsl(
        "from shop.order",
        "where created_at in 2025",
        "group by created_at by month",
        "aggregate orders = count()",
    )


def test_top_n_and_sorting(shop: Manifest) -> None:
    assert plan_text(shop, "Top 5 customers by revenue") == dsl(
        "from shop.order",
        "group by customer, customer.name",
        "aggregate revenue = measure(revenue)",
        "sort revenue desc",
        "limit 5",
    )
    assert plan_text(shop, "Show the 5 cheapest active products") == dsl(
        "from shop.product", "where segment active", "sort price", "limit 5"
    )
    assert plan_text(shop, "Which customer has placed the most orders?") == dsl(
        "from shop.order",
        "group by customer, customer.name",
        "aggregate orders = count()",
        "sort orders desc",
        "limit 1",
    )


def test_having(shop: Manifest) -> None:
    assert plan_text(shop, "Countries with more than 10 customers") == dsl(
        "from shop.customer",
        "group by country",
        "aggregate customers = count()",
        "having customers > 10",
    )


# --------------------------------------------------------------------------- relations


def test_relation_paths(shop: Manifest) -> None:
    assert plan_text(shop, "Number of orders by customer country") == dsl(
        "from shop.order", "group by customer.country", "aggregate orders = count()"
    )
    # grouped through a to-many relation: answered from the order lines instead
    assert plan_text(shop, "Revenue by product category") == dsl(
        "from shop.orderitem",
        "group by product.category, product.category.name",
        "aggregate item_revenue = measure(item_revenue)",
    )
    # a filter across to-many relations becomes exists
    assert plan_text(shop, "How many customers bought a product from the Fiction category?") == (
        dsl(
            "from shop.customer",
            'where exists(orders.items where product.category.name = "Fiction")',
            "aggregate customers = count()",
        )
    )


# --------------------------------------------------------------------------- negation, null


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("How many customers have never placed an order?", "not exists(orders)"),
        ("Tickets with no assignee", "assignee is null"),
        ("How many customers don't have a city?", "city is null"),
        ("How many customers are not from Germany?", 'country != "DE"'),
        ("How many orders are neither refunded nor cancelled?", "not segment refunded"),
        ("Products that have never been ordered", "not exists(order_items)"),
    ],
)
def test_negation_and_null(shop: Manifest, question: str, condition: str) -> None:
    assert condition in plan_text(shop, question)


# --------------------------------------------------------------------------- follow-ups


def follow(manifest: Manifest, first: str, then: str) -> str:
    previous = ask(manifest, first)
    assert isinstance(previous, PlanProposal)
    return plan_text(manifest, then, previous_plan=previous.plan)


def test_follow_ups_change_the_previous_plan(shop: Manifest) -> None:
    first = "Revenue by shipping country last month"
    assert follow(shop, first, "and by month?") == dsl(
        "from shop.order",
        "where created_at in previous month",
        "group by shipping_country, created_at by month",
        "aggregate revenue = measure(revenue)",
    )
    assert follow(shop, first, "only Germany") == dsl(
        "from shop.order",
        'where created_at in previous month and shipping_country = "DE"',
        "group by shipping_country",
        "aggregate revenue = measure(revenue)",
    )
    assert follow(shop, "How many orders were placed last month?", "what about refunds?") == dsl(
        "from shop.refund", "where created_at in previous month", "aggregate refunds = count()"
    )
    assert follow(shop, "How many customers are in France?", "and in Spain?") == dsl(
        "from shop.customer", 'where country = "ES"', "aggregate customers = count()"
    )
    assert follow(shop, "Top 5 customers by revenue", "now show the top 10").endswith("limit 10")


def test_a_question_of_its_own_is_not_a_follow_up(shop: Manifest) -> None:
    assert follow(shop, "Top 5 customers by revenue", "Top 3 products by units sold").startswith(
        "from shop.orderitem"
    )
    assert follow(shop, "orders per status", "by month?").endswith(
        "group by status, created_at by month\naggregate orders = count()"
    )


def test_a_reply_picks_a_pending_option(shop: Manifest) -> None:
    asked = ask(shop, "How many are pending?")
    assert isinstance(asked, Clarification)
    pending = {
        "id": "p1",
        "question": asked.question,
        "options": [
            {"id": o.id, "label": o.label, "plan": format_plan(o.plan) if o.plan else ""}
            for o in asked.options
        ],
        "original_question": "How many are pending?",
    }
    chosen = ask(shop, "the tickets", pending_clarification=pending)
    assert isinstance(chosen, PlanProposal)
    assert chosen.plan.source == "shop.supportticket"


# --------------------------------------------------------------------------- clarification


def options_of(result: PlannerResult) -> list[str]:
    assert isinstance(result, Clarification), result
    assert all(o.plan is not None for o in result.options)
    return [format_plan(o.plan) for o in result.options if o.plan is not None]


def test_asks_which_model(shop: Manifest) -> None:
    plans = options_of(ask(shop, "How many are pending?"))
    assert {p.splitlines()[0] for p in plans} == {"from shop.order", "from shop.supportticket"}


def test_asks_which_metric_for_best(shop: Manifest) -> None:
    plans = options_of(ask(shop, "Show me the best products"))
    assert any("units_sold" in p for p in plans) and any("item_revenue" in p for p in plans)


def test_asks_which_date_field(shop: Manifest) -> None:
    plans = options_of(ask(shop, "How many users were there in 2025?"))
    assert any("last_login in 2025" in p for p in plans)
    assert any("date_joined in 2025" in p for p in plans)


def test_asks_which_field_a_group_word_means(shop: Manifest) -> None:
    plans = options_of(ask(shop, "Orders by country"))
    assert any("group by shipping_country" in p for p in plans)
    assert any("group by customer.country" in p for p in plans)


def test_asks_which_app_when_two_models_share_a_name() -> None:
    plans = options_of(ask(build_manifest(), "How many customers are there?"))
    assert {p.splitlines()[0] for p in plans} == {"from shop.customer", "from chinook.customer"}


# --------------------------------------------------------------------------- out of scope, help


@pytest.mark.parametrize(
    "question",
    [
        "Delete all cancelled orders",
        "Update the price of product 5 to 10 euros",
        "Show me the customers' API tokens",
        "What are the users' passwords?",
        "What's the weather in Berlin today?",
        "Tell me a joke",
        "Who won the football world cup in 2014?",
    ],
)
def test_out_of_scope(shop: Manifest, question: str) -> None:
    result = ask(shop, question)
    assert isinstance(result, OutOfScope) and result.intent_label == "OUT_OF_SCOPE"
    assert result.how_to_rephrase


def test_a_write_verb_that_is_also_a_name_is_a_question(shop: Manifest) -> None:
    assert plan_text(shop, "Refund reasons with more than 5 refunds").startswith("from shop.refund")


def test_help_lists_examples_from_the_manifest(shop: Manifest) -> None:
    result = ask(shop, "What can I ask you?")
    assert isinstance(result, OutOfScope) and result.intent_label == "GENERAL_HELP"
    assert result.examples and all(isinstance(e, str) for e in result.examples)
    names = {m.verbose_name_plural for m in shop.models.values()}
    assert any(any(n in e.lower() for n in names) for e in result.examples)


# --------------------------------------------------------------------------- confidence


def test_confidence_is_high_for_clean_matches_and_low_for_guesses(
    shop: Manifest, chinook: Manifest
) -> None:
    clean = ask(shop, "Number of customers by country")
    assert isinstance(clean, PlanProposal) and clean.confidence >= 0.9
    rerooted = ask(chinook, "Revenue by genre")  # revenue taken as each line's price
    assert isinstance(rerooted, PlanProposal) and rerooted.confidence < 0.75
    assert rerooted.notes


def test_no_app_specific_rules() -> None:
    """The planner learns names from the manifest only: its code names no demo app."""
    package = Path(__file__).resolve().parent.parent / "djai_dsl" / "planners" / "offline"
    for path in package.glob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert not re.search(r"\b(shop|chinook)\b", text), path.name


# --------------------------------------------------------------------------- chat service


@pytest.fixture
def analyst(db: Any) -> User:
    user = User.objects.create_user("planner-analyst", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="shop", codename__startswith="view_")
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def service(analyst: User, settings: Any) -> ChatService:
    settings.DJAI = {**settings.DJAI, "RATE_LIMIT_PER_MINUTE": None}
    return ChatService(analyst, planner=get_planner("offline"), clock=lambda: NOW)


def send(service: ChatService, chat_id: int, text: str) -> dict[str, Any]:
    return service.send_message(chat_id, text, ClientContext(timezone=TZ.key)).envelope


def test_through_the_chat_service(service: ChatService) -> None:
    from demo.shop.models import Order

    chat = service.create_chat().pk
    answer = send(service, chat, "How many orders were shipped to Germany in 2025?")
    assert answer["type"] == "answer"
    start = dt.datetime(2025, 1, 1, tzinfo=TZ)
    end = dt.datetime(2026, 1, 1, tzinfo=TZ)
    expected = Order.objects.filter(
        shipping_country="DE", created_at__gte=start, created_at__lt=end
    ).count()
    assert answer["data"]["result"]["rows"] == [[expected]]
    assert answer["meta"]["intent_confidence"] >= 0.9

    by_month = send(service, chat, "and by month?")
    assert by_month["type"] == "answer"
    assert "created_at by month" in by_month["data"]["plan"]

    asked = send(service, service.create_chat().pk, "How many are pending?")
    assert asked["type"] == "clarification"
    assert len(asked["data"]["options"]) == 2

    refused = send(service, service.create_chat().pk, "Drop the orders table")
    assert refused["type"] == "out_of_scope"


def test_guesses_are_confirmed_not_run(service: ChatService) -> None:
    reply = send(service, service.create_chat().pk, "List the products by Nordic Designs")
    assert reply["type"] == "clarification"  # "is this what you mean?", one option to run
    (option,) = reply["data"]["options"]
    assert 'contains "Nordic Designs"' in option["resolves_to"]["plan"]
