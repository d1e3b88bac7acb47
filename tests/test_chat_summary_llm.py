"""With the LLM planner configured, the conversation summary is written by the model
(over real HTTP, against the fake OpenAI-compatible server); it falls back to the
deterministic summary when the model fails, and never sees result rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from djai_dsl.chat.service import ChatService
from djai_dsl.models import Chat
from tests.fake_openai import FakeOpenAI, error, serve, tool_call
from tests.fakes import make_staff

pytestmark = pytest.mark.django_db

PLAN = {
    "source": "shop.order",
    "group_by": [{"field": "status"}],
    "aggregates": [{"kind": "aggregate", "name": "orders", "func": "count"}],
}


@pytest.fixture
def fake_openai(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    yield from serve(settings, monkeypatch)


def ask(question: str) -> tuple[Chat, Any]:
    service = ChatService(make_staff("summarised"))
    chat = service.create_chat()
    reply = service.send_message(chat.pk, question)
    return Chat.objects.get(pk=chat.pk), reply


def test_the_model_writes_the_summary(fake_openai: FakeOpenAI) -> None:
    fake_openai.push(
        tool_call({"answer": {"kind": "plan", "plan": PLAN, "confidence": 0.95}}),
        tool_call({"summary": "Orders counted per status."}, name="ConversationSummary"),
    )
    chat, reply = ask("how many orders per status")
    assert reply.type == "answer"
    assert chat.conversation_summary == "Orders counted per status."
    summary_request = fake_openai.requests[1]
    shown = json.dumps(summary_request.body["messages"])
    assert "how many orders per status" in shown and "group by status" in shown
    # The rows of the answer (status names with their counts) are not in the request.
    for row in reply.envelope["data"]["result"]["rows"]:
        assert f"{row[0]}\\\\n{row[1]}" not in shown and json.dumps(row) not in shown


def test_a_failing_model_leaves_the_deterministic_summary(fake_openai: FakeOpenAI) -> None:
    fake_openai.push(
        tool_call({"answer": {"kind": "plan", "plan": PLAN, "confidence": 0.95}}),
        error(401),  # the summary call fails without retries
    )
    chat, reply = ask("how many orders per status")
    assert reply.type == "answer"
    assert chat.conversation_summary  # the deterministic one, not empty
    assert "Orders counted" not in chat.conversation_summary
