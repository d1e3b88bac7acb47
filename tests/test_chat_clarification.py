# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
"""The clarification state machine, end to end over HTTP: ambiguous questions are asked
back and never executed; answers by option id, number, label or free text; stale and
expired answers are typed errors; every transition is a ChatEvent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog
from tests.conftest import NOW
from tests.fakes import Api, api, clarification, proposal, scripted, staff  # noqa: F401
from tests.test_api import envelope_of, error_of

pytestmark = pytest.mark.django_db

GROSS = "from shop.order aggregate revenue = sum(total)"
QUESTION = "What was our revenue?"


@pytest.fixture
def executions(monkeypatch: Any) -> list[str]:
    """Plans the executor ran (by model), to prove that asking never executes."""
    ran: list[str] = []
    original = ReadOnlyExecutor.run

    def spy(self: ReadOnlyExecutor, compiled: Any, **kwargs: Any) -> Any:
        ran.append(compiled.model_label)
        return original(self, compiled, **kwargs)

    monkeypatch.setattr(ReadOnlyExecutor, "run", spy)
    return ran


@pytest.fixture
def ambiguous(scripted: Any) -> Any:
    scripted.script[QUESTION] = clarification(
        "Gross revenue, or revenue net of refunds?",
        ("gross", "Gross revenue", GROSS),
        ("net", "Net of refunds", "net revenue please"),
    )
    scripted.script["net revenue please"] = proposal(
        'from shop.order where status != "refunded" aggregate revenue = sum(total)'
    )
    return scripted


def events(chat_id: int) -> list[str]:
    return list(ChatEvent.objects.filter(chat_id=chat_id).values_list("type", flat=True))


def ask_back(api: Api, chat_id: int) -> dict[str, Any]:
    body = envelope_of(api.ask(chat_id, QUESTION), "clarification")
    assert body["meta"]["intent_label"] == "CLARIFICATION"
    return body


def test_ambiguous_question_is_asked_back_and_not_executed(
    api: Api, ambiguous: Any, executions: list[str]
) -> None:
    chat_id = api.new_chat()
    body = ask_back(api, chat_id)
    data = body["data"]
    assert data["question"] == body["message"] == "Gross revenue, or revenue net of refunds?"
    assert [(o["id"], o["label"]) for o in data["options"]] == [
        ("gross", "Gross revenue"),
        ("net", "Net of refunds"),
    ]
    gross, net = (o["resolves_to"] for o in data["options"])
    assert (
        gross["kind"] == "plan"
        and gross["plan"] == "from shop.order\naggregate revenue = sum(total)"
    )
    assert "sum" in gross["explanation"] or "total" in gross["explanation"]
    assert net == {"kind": "question", "question": "net revenue please"}
    assert data["expires_at"] == (NOW + dt.timedelta(seconds=1800)).isoformat()
    assert executions == []
    chat = Chat.objects.get(pk=chat_id)
    assert chat.pending_clarification["id"] == data["pending_clarification_id"]
    assert chat.pending_clarification["original_question"] == QUESTION
    assert chat.title == ""  # not a stable intent yet
    log = QueryLog.objects.get(trace_id=body["meta"]["trace_id"])
    assert log.route == "clarification" and log.row_count is None
    assert events(chat_id) == ["chat_created", "clarification_asked"]
    # The chat resource shows the pending question too.
    pending = api.get(f"/chats/{chat_id}").json()["pending_clarification"]
    assert pending["id"] == data["pending_clarification_id"]


@pytest.mark.parametrize("how", ["id_field", "id_text", "number", "label"])
def test_answer_by_option(api: Api, ambiguous: Any, executions: list[str], how: str) -> None:
    chat_id = api.new_chat()
    pending_id = ask_back(api, chat_id)["data"]["pending_clarification_id"]
    if how == "id_field":
        response = api.ask(
            chat_id,
            "Gross revenue",
            clarification={"pending_clarification_id": pending_id, "option_id": "gross"},
        )
    else:
        response = api.ask(
            chat_id, {"id_text": "gross", "number": "1", "label": "gross revenue"}[how]
        )
    body = envelope_of(response, "answer")
    assert (
        body["meta"]["intent_label"] == "CLARIFICATION" and body["meta"]["intent_confidence"] == 1.0
    )
    assert body["data"]["plan"] == "from shop.order\naggregate revenue = sum(total)"
    assert executions == ["shop.order"]
    chat = Chat.objects.get(pk=chat_id)
    assert chat.pending_clarification is None
    assert chat.title == "What was our revenue"  # from the original question
    assert events(chat_id) == [
        "chat_created",
        "clarification_asked",
        "clarification_resolved",
        "answered",
        "chat_titled",
    ]
    resolved = ChatEvent.objects.get(chat_id=chat_id, type="clarification_resolved")
    assert resolved.data == {"id": pending_id, "option": "gross"}
    assert len(ambiguous.calls) == 1  # a plan option runs without asking the planner again


def test_an_option_that_is_a_question_is_planned(api: Api, ambiguous: Any) -> None:
    chat_id = api.new_chat()
    ask_back(api, chat_id)
    body = envelope_of(api.ask(chat_id, "2"), "answer")
    assert 'status != "refunded"' in body["data"]["plan"]
    assert [q for q, _ in ambiguous.calls] == [QUESTION, "net revenue please"]


def test_free_text_answer_goes_to_the_planner_with_the_pending_question(
    api: Api, ambiguous: Any
) -> None:
    ambiguous.script["the gross one"] = lambda q, ctx, m: proposal(GROSS)
    chat_id = api.new_chat()
    pending_id = ask_back(api, chat_id)["data"]["pending_clarification_id"]
    envelope_of(api.ask(chat_id, "the gross one"), "answer")
    question, context = ambiguous.calls[-1]
    assert question == "the gross one"
    assert context.pending_clarification["id"] == pending_id
    assert context.pending_clarification["original_question"] == QUESTION
    assert [o["id"] for o in context.pending_clarification["options"]] == ["gross", "net"]
    resolved = ChatEvent.objects.get(chat_id=chat_id, type="clarification_resolved")
    assert resolved.data == {"id": pending_id, "free_text": True}


def test_stale_and_unknown_answers_are_typed_errors(
    api: Api, ambiguous: Any, executions: list[str]
) -> None:
    chat_id = api.new_chat()
    first = ask_back(api, chat_id)["data"]["pending_clarification_id"]
    second = ask_back(api, chat_id)["data"]["pending_clarification_id"]
    assert first != second
    stale = api.ask(
        chat_id,
        "Gross revenue",
        clarification={"pending_clarification_id": first, "option_id": "gross"},
    )
    error_of(stale, "clarification_stale", 409)
    unknown = api.ask(
        chat_id, "x", clarification={"pending_clarification_id": second, "option_id": "nope"}
    )
    body = error_of(unknown, "clarification_option_unknown", 400)
    assert "gross" in body["data"]["hint"]
    # Neither changed the pending question: the right answer still works.
    ok = api.ask(
        chat_id,
        "Gross revenue",
        clarification={"pending_clarification_id": second, "option_id": "gross"},
    )
    envelope_of(ok, "answer")
    again = api.ask(
        chat_id,
        "Gross revenue",
        clarification={"pending_clarification_id": second, "option_id": "gross"},
    )
    error_of(again, "clarification_stale", 409)
    assert executions == ["shop.order"]
    # Asking again was a free-text reply to the first question, then a new question.
    assert events(chat_id)[:4] == [
        "chat_created",
        "clarification_asked",
        "clarification_resolved",
        "clarification_asked",
    ]
    assert events(chat_id).count("clarification_rejected") == 2


def test_expired_clarifications(
    api: Api, ambiguous: Any, settings: Any, executions: list[str]
) -> None:
    chat_id = api.new_chat()
    pending_id = ask_back(api, chat_id)["data"]["pending_clarification_id"]
    settings.DJAI = {**settings.DJAI, "CLOCK": "tests.test_chat_clarification.two_hours_later"}
    late = api.ask(
        chat_id,
        "Gross revenue",
        clarification={"pending_clarification_id": pending_id, "option_id": "gross"},
    )
    body = error_of(late, "clarification_expired", 410)
    assert body["data"]["retryable"] is False
    assert Chat.objects.get(pk=chat_id).pending_clarification is None
    assert "clarification_expired" in events(chat_id)
    # After expiry, "1" is a new question, not an answer.
    ask_back(api, chat_id)
    settings.DJAI = {**settings.DJAI, "CLOCK": "tests.test_chat_clarification.four_hours_later"}
    envelope_of(api.ask(chat_id, "1"), "out_of_scope")
    assert executions == []


def two_hours_later() -> dt.datetime:
    return NOW + dt.timedelta(hours=2)


def four_hours_later() -> dt.datetime:
    return NOW + dt.timedelta(hours=4)


def test_running_query_text_supersedes_a_pending_question(api: Api, ambiguous: Any) -> None:
    chat_id = api.new_chat()
    ask_back(api, chat_id)
    envelope_of(api.post(f"/chats/{chat_id}/run", {"dsl": GROSS}), "answer")
    assert Chat.objects.get(pk=chat_id).pending_clarification is None
    assert "clarification_superseded" in events(chat_id)


def test_unsure_plans_are_confirmed_before_running(
    api: Api, scripted: Any, executions: list[str]
) -> None:
    scripted.script["revenue maybe"] = proposal(GROSS, confidence=0.45)
    scripted.script["no idea"] = proposal(GROSS, confidence=0.1)
    chat_id = api.new_chat()
    body = envelope_of(api.ask(chat_id, "revenue maybe"), "clarification")
    (option,) = body["data"]["options"]
    assert option["id"] == "run" and option["resolves_to"]["kind"] == "plan"
    assert executions == []
    envelope_of(api.ask(chat_id, "Yes, run this"), "answer")
    assert executions == ["shop.order"]
    body = envelope_of(api.ask(chat_id, "no idea"), "out_of_scope")
    assert body["data"]["examples"]
    assert executions == ["shop.order"]


def test_options_whose_plan_is_invalid_are_dropped(api: Api, scripted: Any) -> None:
    scripted.script["which?"] = clarification(
        "Which?",
        ("ok", "Orders", "from shop.order aggregate n = count()"),
        ("bad", "Broken", "from shop.order aggregate n = sum(nope)"),
    )
    body = envelope_of(api.ask(api.new_chat(), "which?"), "clarification")
    assert [o["id"] for o in body["data"]["options"]] == ["ok"]


def test_preview_of_an_ambiguous_question_stores_nothing(api: Api, ambiguous: Any) -> None:
    chat_id = api.new_chat()
    body = envelope_of(api.post(f"/chats/{chat_id}/plan", {"content": QUESTION}), "clarification")
    assert body["data"]["pending_clarification_id"] is None
    assert Chat.objects.get(pk=chat_id).pending_clarification is None
    assert not Message.objects.filter(chat_id=chat_id).exists()
