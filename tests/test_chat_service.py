# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
"""The chat service outside HTTP: observability (logs, QueryLog, stats, metrics), the CLI
(`djai ask`, `djai stats`) and configuration errors."""

from __future__ import annotations

import json
import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from djai_dsl.chat.service import ChatService
from djai_dsl.models import Chat, QueryLog
from djai_dsl.observability import compute_stats, prometheus_text, redact
from tests.fakes import Api, api, clarification, make_staff, proposal, scripted, staff  # noqa: F401
from tests.test_api import VALIDATOR, envelope_of

pytestmark = pytest.mark.django_db

COUNT = "from shop.order aggregate orders = count()"


def stage_lines(caplog: Any, trace_id: str) -> list[dict[str, Any]]:
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "djai_dsl.trace"]
    return [r for r in records if r["trace_id"] == trace_id]


def test_structured_logs_per_stage(api: Api, caplog: Any) -> None:
    chat_id = api.new_chat()
    with caplog.at_level(logging.INFO, logger="djai_dsl.trace"):
        body = envelope_of(api.ask(chat_id, COUNT + "  "), "answer")
    lines = stage_lines(caplog, body["meta"]["trace_id"])
    stages = [line["stage"] for line in lines if line["event"] == "stage"]
    assert stages == [
        "manifest",
        "router",
        "context",
        "planner",
        "compile",
        "execute",
        "compose",
        "record",
    ]
    assert all(
        line["ms"] >= 0 and line["outcome"] == "ok" for line in lines if line["event"] == "stage"
    )
    router = next(line for line in lines if line.get("stage") == "router")
    assert router["intent"] == "DATA_QUERY" and router["candidates"] == ["shop.order"]
    request = lines[-1]
    assert request["event"] == "request" and request["outcome"] == "answer"
    assert request["total_ms"] >= sum(request["timings"].values()) * 0.5
    assert request["chat_id"] == chat_id and request["rows"] == 1


def test_logs_redact_personal_data(api: Api, caplog: Any) -> None:
    chat_id = api.new_chat()
    with caplog.at_level(logging.INFO, logger="djai_dsl.trace"):
        api.ask(chat_id, "orders of jane.doe@example.com card 4111 1111 1111 1111")
    text = caplog.text
    assert "jane.doe@example.com" not in text and "4111 1111" not in text
    assert "[redacted]" in text
    assert redact("mail bob@x.org now") == "mail [redacted] now"


def test_a_failing_stage_is_logged_with_its_error_code(api: Api, caplog: Any) -> None:
    chat_id = api.new_chat()
    with caplog.at_level(logging.INFO, logger="djai_dsl.trace"):
        body = api.ask(chat_id, "from shop.order aggregate n = sum(nope)").json()
    lines = stage_lines(caplog, body["meta"]["trace_id"])
    compile_line = next(line for line in lines if line.get("stage") == "compile")
    assert compile_line["outcome"] == "plan_invalid"
    assert lines[-1]["error_code"] == "plan_invalid"


def test_every_request_is_logged_and_counted(api: Api, scripted: Any) -> None:
    scripted.script["which?"] = clarification("Which?", ("a", "Orders", COUNT))
    scripted.script["retried"] = proposal(COUNT, retry_count=2, llm_latency_ms=12.5)
    chat_id = api.new_chat()
    api.ask(chat_id, COUNT)  # answer, first pass
    api.ask(chat_id, "retried")  # answer after re-asks
    api.ask(chat_id, "which?")  # clarification
    api.ask(chat_id, "write a poem")  # out of scope (pending question: a free-text reply)
    api.ask(chat_id, "tell me a joke")  # out of scope, by the router
    api.ask(chat_id, "from shop.order aggregate n = sum(nope)")  # error
    api.post(f"/chats/{chat_id}/plan", {"dsl": COUNT})  # preview
    api.post(f"/chats/{chat_id}/message", b"{bad")  # error before the service
    logs = QueryLog.objects.filter(chat_id=chat_id).order_by("id")
    assert [(log.kind, log.route) for log in logs] == [
        ("message", "answer"),
        ("message", "answer"),
        ("message", "clarification"),
        ("message", "out_of_scope"),
        ("message", "out_of_scope"),
        ("message", "error"),
        ("preview", "preview"),
        ("message", "error"),
    ]
    retried = logs[1]
    assert retried.retry_count == 2 and retried.llm_latency_ms == 12.5
    assert {log.trace_id for log in logs}.__len__() == 8

    stats = compute_stats()
    assert stats.messages == 7 and stats.requests == 8
    assert stats.first_pass_success_rate == round(1 / 3, 4)  # 1 of (2 answers + 1 error)
    assert stats.clarification_rate == round(1 / 7, 4)
    assert stats.out_of_scope_rate == round(2 / 7, 4)
    assert stats.errors_by_code == {"bad_request": 1, "plan_invalid": 1}
    assert stats.error_rate == round(2 / 8, 4)
    assert stats.latency_ms["total"]["p95"] >= stats.latency_ms["total"]["p50"] > 0
    assert stats.latency_ms["planner"]["count"] >= 4

    text = prometheus_text().decode()
    assert "djai_clarification_rate 0.1429" in text
    assert 'djai_error_rate_by_code{code="plan_invalid"} 0.125' in text


def test_stats_command(api: Api) -> None:
    api.ask(api.new_chat(), COUNT)
    out = StringIO()
    call_command("djai", "stats", stdout=out)
    text = out.getvalue()
    assert "first-pass success   100.0 %" in text and "total" in text
    out = StringIO()
    call_command("djai", "stats", "--json", "--hours", "1", stdout=out)
    data = json.loads(out.getvalue())
    assert data["messages"] == 1 and data["window_hours"] == 1.0
    out = StringIO()
    call_command("djai", "stats", "--prometheus", stdout=out)
    assert "# TYPE djai_first_pass_success_rate gauge" in out.getvalue()


def test_ask_command_runs_the_same_service(scripted: Any, staff: Any) -> None:
    out = StringIO()
    call_command("djai", "ask", COUNT, "--user", staff.username, stdout=out)
    text = out.getvalue()
    chat = Chat.objects.get(owner=staff)
    assert "orders" in text and f"--chat {chat.pk}" in text
    assert "from shop.order\naggregate orders = count()" in text

    scripted.script["which?"] = clarification(
        "Which one?", ("a", "Orders", COUNT), ("b", "Refunds", "refunds")
    )
    out = StringIO()
    call_command("djai", "ask", "which?", "--chat", str(chat.pk), stdout=out)  # user: the owner
    assert "1. Orders  [a]" in out.getvalue()
    out = StringIO()
    call_command("djai", "ask", "1", "--chat", str(chat.pk), "--json", stdout=out)
    envelope = json.loads(out.getvalue())
    VALIDATOR.validate(envelope)
    assert envelope["type"] == "answer" and envelope["meta"]["chat_id"] == chat.pk
    assert QueryLog.objects.filter(chat=chat).count() == 3


def test_ask_command_errors(scripted: Any, staff: Any) -> None:
    with pytest.raises(CommandError, match="plan_invalid"):
        call_command(
            "djai",
            "ask",
            "from shop.order aggregate n = sum(nope)",
            "--user",
            staff.username,
            stdout=StringIO(),
        )
    with pytest.raises(CommandError, match="--user"):
        call_command("djai", "ask", COUNT, stdout=StringIO())
    with pytest.raises(CommandError, match="no chat"):
        call_command("djai", "ask", COUNT, "--chat", "999", stdout=StringIO())
    other = make_staff("other")
    mine = Chat.objects.create(owner=staff)
    with pytest.raises(CommandError, match="chat_not_found"):
        call_command(
            "djai",
            "ask",
            COUNT,
            "--chat",
            str(mine.pk),
            "--user",
            other.username,
            stdout=StringIO(),
        )
    out = StringIO()
    call_command("djai", "ask", "write a poem", "--user", staff.username, stdout=out)
    assert "not a question about the data" in out.getvalue()


def test_configuration_errors_are_envelopes(api: Api, settings: Any) -> None:
    chat_id = api.new_chat()
    settings.DJAI = {**settings.DJAI, "PLANNER": "no.such.Planner"}
    body = api.ask(chat_id, "how many orders?").json()
    assert body["data"]["error_code"] == "configuration_error"
    settings.DJAI = {
        **settings.DJAI,
        "PLANNER": "tests.fakes.ScriptedPlanner",
        "CLOCK": "no.such.clock",
    }
    body = api.ask(chat_id, COUNT).json()
    assert body["data"]["error_code"] == "configuration_error"


def test_service_without_http(staff: Any, scripted: Any) -> None:
    service = ChatService(staff, planner=scripted(), trace_id="svc-trace-0001")
    chat = service.create_chat()
    reply = service.send_message(chat.pk, COUNT)
    assert reply.status == 200 and reply.type == "answer"
    assert reply.trace_id == reply.envelope["meta"]["trace_id"] == "svc-trace-0001"
    assert [c.pk for c in service.chats()] == [chat.pk]
