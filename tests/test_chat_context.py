# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
"""ContextBuilder, the deterministic summary, auto-titles and multi-turn follow-ups.

The follow-up flow uses a scripted planner that edits the previous plan it is given, the
way any planner must: it proves the service hands over the previous plan, the summary, the
topic and the history, and records each answer's plan for the next turn.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from djai_dsl.chat.context import ContextBuilder, auto_title, previous_plan, update_summary
from djai_dsl.grammar import format_plan, parse
from djai_dsl.models import Chat, Message
from djai_dsl.plan import GroupKey, QueryPlan
from djai_dsl.planners.base import PlannerContext, PlanProposal
from tests.conftest import NOW
from tests.fakes import Api, api, proposal, scripted, staff  # noqa: F401
from tests.test_api import envelope_of

pytestmark = pytest.mark.django_db

BY_COUNTRY = (
    "from shop.order where created_at in previous month group by customer.country "
    "aggregate orders = count() sort orders desc"
)


def _edit(update: Any) -> Any:
    """A scripted follow-up: the previous plan, changed by ``update(plan) -> plan``."""

    def plan(question: str, context: PlannerContext, manifest: Any) -> PlanProposal:
        assert context.previous_plan is not None, "a follow-up needs the previous plan"
        return PlanProposal(plan=update(context.previous_plan), confidence=0.9)

    return plan


def by_month(plan: QueryPlan) -> QueryPlan:
    return plan.model_copy(
        update={"group_by": [*plan.group_by, GroupKey(field="created_at", bucket="month")]}
    )


def only_germany(plan: QueryPlan) -> QueryPlan:
    return parse(format_plan(plan).replace("where ", 'where customer.country = "DE" and ', 1))


def refunds(plan: QueryPlan) -> QueryPlan:
    return parse(
        'from shop.refund where created_at in previous month and order.customer.country = "DE" '
        "group by order.customer.country aggregate refunds = count(), amount = sum(amount)"
    )


def test_follow_ups_build_on_the_previous_plan(api: Api, scripted: Any) -> None:
    scripted.script.update(
        {
            "orders by country last month": proposal(BY_COUNTRY),
            "and by month?": _edit(by_month),
            "only Germany": _edit(only_germany),
            "what about refunds?": _edit(refunds),
        }
    )
    chat_id = api.new_chat()
    plans = []
    for question in [
        "orders by country last month",
        "and by month?",
        "only Germany",
        "what about refunds?",
    ]:
        body = envelope_of(api.ask(chat_id, question), "answer")
        plans.append(body["data"]["plan"])
    assert plans[1].splitlines()[2] == "group by customer.country, created_at by month"
    assert 'customer.country = "DE"' in plans[2] and "by month" in plans[2]
    assert plans[3].startswith("from shop.refund")

    contexts = [context for _question, context in scripted.calls]
    assert contexts[0].previous_plan is None and contexts[0].history == []
    for earlier, context in zip(plans, contexts[1:], strict=False):
        assert format_plan(context.previous_plan) == earlier
        assert context.current_topic == "shop.order"
        assert context.tz == ZoneInfo("UTC") and context.now == NOW
    last = contexts[3]
    assert [t.role for t in last.history] == ["user", "assistant"] * 3
    assert last.history[-1].plan_dsl == plans[2]
    assert last.summary.splitlines()[0] == "Topic: shop.order"
    assert len(last.summary.splitlines()) == 4  # topic + three answers

    chat = Chat.objects.get(pk=chat_id)
    assert chat.current_topic == "shop.refund"
    assert chat.title == "Orders by country last month"
    assert chat.conversation_summary.splitlines()[-1].startswith(
        '- "what about refunds?" -> from shop.refund'
    )


def test_context_builder_limits_history(api: Api, scripted: Any, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "HISTORY_MESSAGES": 3}
    chat_id = api.new_chat()
    for n in range(3):
        api.ask(chat_id, f"from shop.order aggregate n{n} = count()")
    chat = Chat.objects.get(pk=chat_id)
    context = ContextBuilder(history_size=3).build(
        chat, tz=ZoneInfo("UTC"), now=NOW, locale="de-DE"
    )
    assert context.history[1].content == "from shop.order aggregate n2 = count()"
    assert context.history[2].content.startswith("n2: ")  # a one-row answer says its value
    assert [t.role for t in context.history] == ["assistant", "user", "assistant"]
    assert context.locale == "de-DE"
    assert format_plan(context.previous_plan) == "from shop.order\naggregate n2 = count()"
    assert ContextBuilder(history_size=0).history(chat) == []
    # The planner saw at most three earlier messages each time.
    assert all(len(ctx.history) <= 3 for _q, ctx in scripted.calls)


def test_errors_and_refusals_are_not_previous_plans(api: Api, scripted: Any) -> None:
    chat_id = api.new_chat()
    envelope_of(api.ask(chat_id, "from shop.order aggregate n = count()"), "answer")
    api.ask(chat_id, "from shop.order aggregate n = sum(nope)")  # plan_invalid
    api.ask(chat_id, "write a poem")  # out of scope
    chat = Chat.objects.get(pk=chat_id)
    assert format_plan(previous_plan(chat)) == "from shop.order\naggregate n = count()"
    kinds = list(Message.objects.filter(chat=chat, role="assistant").values_list("kind", flat=True))
    assert kinds == ["answer", "error", "out_of_scope"]


def test_summary_is_deterministic_and_bounded() -> None:
    summary = ""
    for n in range(30):
        summary = update_summary(
            summary,
            topic="shop.order",
            question=f"question {n}",
            plan_dsl=f"from shop.order\naggregate n{n} = count()",
            row_count=1,
            max_chars=300,
        )
    lines = summary.splitlines()
    assert lines[0] == "Topic: shop.order"
    assert lines[-1] == '- "question 29" -> from shop.order aggregate n29 = count() [1 row]'
    assert len(summary) <= 300 and len(lines) > 2
    again = ""
    for n in range(30):
        again = update_summary(
            again,
            topic="shop.order",
            question=f"question {n}",
            plan_dsl=f"from shop.order\naggregate n{n} = count()",
            row_count=1,
            max_chars=300,
        )
    assert again == summary


def test_auto_title() -> None:
    assert auto_title("  how many orders\nlast month?? ") == "How many orders last month"
    long = auto_title("show " + "very " * 40 + "long question")
    assert len(long) <= 80 and long.endswith("…") and " " in long


def test_a_renamed_chat_keeps_its_title(api: Api, scripted: Any) -> None:
    chat_id = api.new_chat()
    api.send("PATCH", f"/chats/{chat_id}", {"title": "Mine"})
    envelope_of(api.ask(chat_id, "from shop.order aggregate n = count()"), "answer")
    assert Chat.objects.get(pk=chat_id).title == "Mine"


def shouting_summary(summary: str, **kwargs: Any) -> str:
    return f"{summary}\n{kwargs['question'].upper()}".strip()


def broken_summary(summary: str, **kwargs: Any) -> str:
    raise RuntimeError("summarizer down")


def test_a_configured_summarizer_replaces_the_deterministic_one(
    api: Api, scripted: Any, settings: Any
) -> None:
    settings.DJAI = {**settings.DJAI, "SUMMARIZER": "tests.test_chat_context.shouting_summary"}
    chat_id = api.new_chat()
    envelope_of(api.ask(chat_id, "from shop.order aggregate n = count()"), "answer")
    assert (
        Chat.objects.get(pk=chat_id).conversation_summary == "FROM SHOP.ORDER AGGREGATE N = COUNT()"
    )
    settings.DJAI = {**settings.DJAI, "SUMMARIZER": "tests.test_chat_context.broken_summary"}
    envelope_of(api.ask(chat_id, "from shop.order aggregate m = count()"), "answer")
    summary = Chat.objects.get(pk=chat_id).conversation_summary
    assert summary.startswith("Topic: shop.order") and "m = count()" in summary
