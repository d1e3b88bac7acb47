"""The conversation end to end with the real offline planner (the default, no provider):
routing, clarification, follow-ups and refusals over HTTP on the seeded demo data."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from djai_dsl.models import Chat, ChatEvent
from tests.fakes import TEST_DJAI, Api, make_staff
from tests.test_api import envelope_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(client: Client, settings: Any) -> Api:
    settings.DJAI = {**settings.DJAI, **TEST_DJAI, "PLANNER": "offline"}
    client.force_login(make_staff("analyst"))
    return Api(client)


def plan_of(api: Api, chat_id: int, question: str) -> str:
    return str(envelope_of(api.ask(chat_id, question), "answer")["data"]["plan"])


def test_follow_ups_modify_the_previous_plan(offline: Api) -> None:
    chat_id = offline.new_chat()
    first = plan_of(offline, chat_id, "orders by customer country last month")
    assert first.splitlines() == [
        "from shop.order",
        "where created_at in previous month",
        "group by customer.country",
        "aggregate orders = count()",
    ]
    by_month = plan_of(offline, chat_id, "and by month?")
    assert "group by customer.country, created_at by month" in by_month
    assert "where created_at in previous month" in by_month
    germany = plan_of(offline, chat_id, "only Germany")
    assert '= "DE"' in germany and "created_at by month" in germany
    refunds = plan_of(offline, chat_id, "what about refunds?")
    assert refunds.startswith("from shop.refund\nwhere created_at in previous month")
    chat = Chat.objects.get(pk=chat_id)
    assert chat.title == "Orders by customer country last month"
    assert chat.current_topic == "shop.refund"
    assert len(chat.conversation_summary.splitlines()) == 5


def test_ambiguous_question_then_option_then_follow_up(offline: Api) -> None:
    chat_id = offline.new_chat()
    asked = envelope_of(offline.ask(chat_id, "orders by country last month"), "clarification")
    options = asked["data"]["options"]
    assert len(options) >= 2 and all(o["resolves_to"]["kind"] == "plan" for o in options)
    assert {"customer.country", "shipping_country"} <= {
        line.removeprefix("group by ")
        for o in options
        for line in o["resolves_to"]["plan"].splitlines()
        if line.startswith("group by")
    }
    answer = envelope_of(offline.ask(chat_id, "1"), "answer")
    assert answer["meta"]["intent_label"] == "CLARIFICATION"
    assert answer["data"]["plan"] == options[0]["resolves_to"]["plan"]
    assert "by month" in plan_of(offline, chat_id, "and by month?")
    types = list(ChatEvent.objects.filter(chat_id=chat_id).values_list("type", flat=True))
    assert types[:4] == [
        "chat_created",
        "clarification_asked",
        "clarification_resolved",
        "answered",
    ]


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("hello", "GENERAL_HELP"),
        ("write a poem about spring", "OUT_OF_SCOPE"),
        ("delete all orders", "OUT_OF_SCOPE"),
    ],
)
def test_refusals(offline: Api, question: str, label: str) -> None:
    body = envelope_of(offline.ask(offline.new_chat(), question), "out_of_scope")
    assert body["meta"]["intent_label"] == label
    assert body["data"]["examples"]


def test_a_direct_question_is_answered(offline: Api) -> None:
    from demo.shop.models import Order

    body = envelope_of(
        offline.ask(offline.new_chat(), "how many orders were shipped to Germany in 2025?"),
        "answer",
    )
    assert body["data"]["plan"].startswith("from shop.order")
    (value,) = body["data"]["result"]["rows"][0]
    expected = Order.objects.filter(shipping_country="DE", created_at__year=2025).count()
    assert value == expected
