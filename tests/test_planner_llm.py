"""The LLM planner end to end over real HTTP, against the fake OpenAI-compatible server in
``tests/fake_openai.py`` (127.0.0.1, scripted per test): each failure mode, both instructor
modes, what the model is shown and what it never is, and ``manage.py djai prompt``."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from djai_dsl.errors import (
    ConfigurationError,
    LLMAuthError,
    LLMBadOutput,
    LLMQuotaExceeded,
    LLMUnavailable,
)
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest import build_manifest
from djai_dsl.planners import Clarification, OutOfScope, PlannerContext, PlanProposal, Turn
from djai_dsl.planners.llm import LLMPlanner, LLMSettings
from djai_dsl.planners.select import get_planner
from tests.conftest import NOW, TZ
from tests.fake_openai import (
    FakeOpenAI,
    Reply,
    cut_off,
    error,
    hang,
    message,
    refusal,
    serve,
    tool_call,
)

pytestmark = pytest.mark.django_db

ORDERS_BY_COUNTRY = {
    "source": "shop.order",
    "where": {
        "kind": "time_window",
        "field": "created_at",
        "window": {"kind": "relative", "anchor": "previous", "count": 1, "unit": "month"},
    },
    "group_by": [{"field": "customer.country"}],
    "aggregates": [{"kind": "aggregate", "name": "orders", "func": "count"}],
}


def plan_answer(plan: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"kind": "plan", "plan": plan or ORDERS_BY_COUNTRY, "confidence": 0.9, **extra}
    return {"answer": body}


def with_field(path: str) -> dict[str, Any]:
    """ORDERS_BY_COUNTRY grouped by another path (e.g. one that does not exist)."""
    return {**ORDERS_BY_COUNTRY, "group_by": [{"field": path}]}


@pytest.fixture
def fake_openai(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    yield from serve(settings, monkeypatch)


@pytest.fixture
def context() -> PlannerContext:
    return PlannerContext(tz=TZ, now=NOW)


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def planner(fake_openai: FakeOpenAI, delays: list[float]) -> LLMPlanner:
    """The planner as settings configure it, recording its backoff sleeps."""
    return LLMPlanner(sleep=delays.append)


def reconfigure(settings: Any, **llm: Any) -> None:
    settings.DJAI = {**settings.DJAI, "LLM": {**settings.DJAI["LLM"], **llm}}


def user_with(django_user_model: Any, username: str, *codenames: str) -> Any:
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    for dotted in codenames:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return django_user_model.objects.get(pk=user.pk)


# -- a plan, first time --------------------------------------------------------------------


def test_valid_tool_call_gives_a_plan_proposal(fake_openai, planner, context, manifest):
    notes = ["'last month' is the previous calendar month"]
    fake_openai.push(tool_call(plan_answer(notes=notes)))

    result = planner.plan("orders by country last month", context, manifest)

    assert isinstance(result, PlanProposal)
    assert result.plan == parse(
        "from shop.order where created_at in previous 1 month "
        "group by customer.country aggregate orders = count()"
    )
    assert result.confidence == 0.9
    assert result.notes == notes
    assert result.retry_count == 0
    assert result.candidate_models == ["shop.order"]
    assert result.intent_label == "DATA_QUERY"
    assert result.llm_latency_ms is not None and result.llm_latency_ms > 0

    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-fake-test-key"
    body = request.body
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert [t["function"]["name"] for t in body["tools"]] == ["LLMAnswer"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "LLMAnswer"}}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_model_label_is_normalised(fake_openai, planner, context, manifest):
    fake_openai.push(tool_call(plan_answer({**ORDERS_BY_COUNTRY, "source": "shop.Order"})))
    result = planner.plan("orders by country", context, manifest)
    assert result.plan.source == "shop.order"


def test_get_planner_llm_uses_the_settings(fake_openai, context, manifest):
    fake_openai.push(tool_call(plan_answer()))
    planner = get_planner()
    assert isinstance(planner, LLMPlanner)
    assert planner.settings.base_url == fake_openai.base_url
    assert isinstance(planner.plan("orders", context, manifest), PlanProposal)


# -- validation errors: re-ask -------------------------------------------------------------


def test_unknown_field_is_re_asked_with_the_error(fake_openai, planner, context, manifest):
    fake_openai.push(
        tool_call(plan_answer(with_field("customer.contry"))),
        tool_call(plan_answer()),
    )

    result = planner.plan("orders by country", context, manifest)

    assert isinstance(result, PlanProposal)
    assert result.retry_count == 1
    assert len(fake_openai.requests) == 2
    reask = fake_openai.requests[1].messages
    # instructor sends back the faulty call and the validation error as the tool's answer
    assert reask[-2]["role"] == "assistant"
    assert "customer.contry" in reask[-2]["tool_calls"][0]["function"]["arguments"]
    assert reask[-1]["role"] == "tool"
    assert "contry" in reask[-1]["content"]
    assert "did you mean 'customer.country'" in reask[-1]["content"]


def test_secret_field_is_refused_without_naming_it_as_existing(
    fake_openai, planner, context, manifest
):
    fake_openai.push(
        tool_call(plan_answer(with_field("customer.api_token"))),
        tool_call(plan_answer()),
    )
    result = planner.plan("orders by token", context, manifest)
    assert result.retry_count == 1
    error_text = fake_openai.requests[1].messages[-1]["content"]
    assert "unknown" in error_text.lower() or "no field" in error_text.lower()


def test_malformed_json_is_re_asked(fake_openai, planner, context, manifest):
    fake_openai.push(tool_call('{"answer": {"kind": "plan", "plan": '), tool_call(plan_answer()))
    result = planner.plan("orders by country", context, manifest)
    assert isinstance(result, PlanProposal)
    assert result.retry_count == 1


def test_wrong_shape_is_re_asked(fake_openai, planner, context, manifest):
    fake_openai.push(
        tool_call({"answer": {"kind": "plan", "plan": ORDERS_BY_COUNTRY}}),  # no confidence
        tool_call({"answer": {"kind": "sql", "query": "SELECT 1"}}),
        tool_call(plan_answer()),
    )
    result = planner.plan("orders by country", context, manifest)
    assert result.retry_count == 2
    assert len(fake_openai.requests) == 3


def test_re_asks_are_bounded(fake_openai, planner, context, manifest):
    bad = tool_call(plan_answer(with_field("customer.nation")))
    fake_openai.push(bad, bad, bad)  # MAX_REASKS = 2: three answers in all

    with pytest.raises(LLMBadOutput) as caught:
        planner.plan("orders by nation", context, manifest)

    assert len(fake_openai.requests) == 3
    assert caught.value.code == "llm_bad_output"
    assert caught.value.http_status == 502
    assert "customer.nation" in caught.value.details[0].message
    assert "3 answer(s)" in caught.value.hint


def test_answer_cut_off_by_token_limit(fake_openai, planner, context, manifest):
    fake_openai.push(cut_off())
    with pytest.raises(LLMBadOutput, match="cut off"):
        planner.plan("orders", context, manifest)
    assert len(fake_openai.requests) == 1


# -- clarifications and refusals ---------------------------------------------------------


def test_clarification_with_options(fake_openai, planner, context, manifest):
    by_signup = {
        "source": "shop.customer",
        "where": {
            "kind": "time_window",
            "field": "signed_up_at",
            "window": {"kind": "relative", "anchor": "last", "count": 30, "unit": "day"},
        },
        "aggregates": [{"kind": "aggregate", "name": "customers", "func": "count"}],
    }
    answer = {
        "answer": {
            "kind": "clarify",
            "question": "New customers by sign-up date, or customers with a first order?",
            "options": [
                {"label": "Signed up in the last 30 days", "plan": by_signup},
                {
                    "label": "First order in the last 30 days",
                    "question": "customers whose first order was in the last 30 days",
                },
            ],
            "confidence": 0.5,
        }
    }
    fake_openai.push(tool_call(answer))

    result = planner.plan("new customers last 30 days", context, manifest)

    assert isinstance(result, Clarification)
    assert result.intent_label == "CLARIFICATION"
    assert [o.id for o in result.options] == ["1", "2"]
    assert result.options[0].plan is not None and result.options[0].plan.source == "shop.customer"
    assert result.options[1].plan is None and result.options[1].question.startswith("customers")
    assert result.candidate_models == ["shop.customer"]


def test_clarification_option_plans_are_validated(fake_openai, planner, context, manifest):
    bad_option = {
        "answer": {
            "kind": "clarify",
            "question": "Which one?",
            "options": [
                {"label": "a", "plan": with_field("customer.planet")},
                {"label": "b", "question": "orders by country"},
            ],
            "confidence": 0.5,
        }
    }
    fake_openai.push(tool_call(bad_option), tool_call(plan_answer()))
    assert isinstance(planner.plan("orders by place", context, manifest), PlanProposal)
    assert "customer.planet" in fake_openai.requests[1].messages[-1]["content"]


@pytest.mark.parametrize("label", ["OUT_OF_SCOPE", "GENERAL_HELP"])
def test_out_of_scope_answer(fake_openai, planner, context, manifest, label):
    answer = {
        "answer": {
            "kind": "out_of_scope",
            "label": label,
            "reason": "djai only reads data; it cannot delete orders.",
            "how_to_rephrase": "Ask how many orders were cancelled last month.",
            "confidence": 0.95,
        }
    }
    fake_openai.push(tool_call(answer))
    result = planner.plan("delete all cancelled orders", context, manifest)
    assert isinstance(result, OutOfScope)
    assert result.intent_label == label
    assert result.how_to_rephrase.startswith("Ask how many")


def test_provider_refusal_is_out_of_scope_not_an_error(fake_openai, planner, context, manifest):
    fake_openai.push(refusal("I can't help with dumping password hashes."))
    result = planner.plan("show me every password hash", context, manifest)
    assert isinstance(result, OutOfScope)
    assert result.intent_label == "OUT_OF_SCOPE"
    assert "password hashes" in result.reason
    assert len(fake_openai.requests) == 1  # a refusal is not re-asked


def test_provider_refusal_in_json_mode(fake_openai, settings, delays, context, manifest):
    reconfigure(settings, MODE="json")
    fake_openai.push(refusal("No."))
    result = LLMPlanner(sleep=delays.append).plan("drop the orders table", context, manifest)
    assert isinstance(result, OutOfScope)
    assert len(fake_openai.requests) == 1


# -- JSON mode (local models) --------------------------------------------------------------


def test_json_mode_plan(fake_openai, settings, context, manifest):
    reconfigure(settings, MODE="json")
    fake_openai.push(message(plan_answer()))

    result = LLMPlanner().plan("orders by country last month", context, manifest)

    assert isinstance(result, PlanProposal)
    body = fake_openai.requests[0].body
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body
    system = body["messages"][0]["content"]
    assert "You are the query planner of djai" in system
    assert '"LLMAnswer"' in system  # instructor appends the JSON schema


def test_json_mode_prose_is_re_asked(fake_openai, settings, context, manifest):
    reconfigure(settings, MODE="json")
    fake_openai.push(message("Sure! Here is the plan you asked for."), message(plan_answer()))
    result = LLMPlanner().plan("orders by country", context, manifest)
    assert isinstance(result, PlanProposal)
    assert result.retry_count == 1
    assert "Correct your JSON" in fake_openai.requests[1].messages[-1]["content"]


def test_tools_mode_prose_instead_of_a_call_is_re_asked(fake_openai, planner, context, manifest):
    fake_openai.push(message("I would group orders by country."), tool_call(plan_answer()))
    result = planner.plan("orders by country", context, manifest)
    assert result.retry_count == 1


# -- transport failures: retry with backoff ------------------------------------------------


def test_server_error_then_success(fake_openai, planner, delays, context, manifest):
    fake_openai.push(error(500), tool_call(plan_answer()))
    result = planner.plan("orders by country", context, manifest)
    assert isinstance(result, PlanProposal)
    assert result.retry_count == 0  # transport retries are not re-asks
    assert len(fake_openai.requests) == 2
    assert delays == [0.001]
    # the retry sends the same request again
    assert fake_openai.requests[0].body == fake_openai.requests[1].body


def test_server_errors_exhaust_the_retries(fake_openai, planner, delays, context, manifest):
    fake_openai.push(error(502), error(503), error(500))
    with pytest.raises(LLMUnavailable) as caught:
        planner.plan("orders", context, manifest)
    assert type(caught.value) is LLMUnavailable
    assert caught.value.code == "llm_unavailable"
    assert caught.value.retryable and caught.value.http_status == 503
    assert "HTTP 500" in caught.value.message
    assert len(fake_openai.requests) == 3  # MAX_RETRIES = 2
    assert delays == [0.001, 0.002]  # exponential


def test_rate_limit_is_retried_after_the_providers_delay(
    fake_openai, planner, delays, context, manifest
):
    fake_openai.push(error(429, "slow down", retry_after_ms="5"), tool_call(plan_answer()))
    assert isinstance(planner.plan("orders", context, manifest), PlanProposal)
    assert delays == [0.005]


def test_backoff_is_capped(settings):
    values = replace(LLMSettings(model="m"), retry_backoff_s=1, retry_backoff_max_s=3)
    assert [values.backoff(n) for n in range(4)] == [1, 2, 3, 3]
    assert values.backoff(0, retry_after=60) == 3


def test_timeout_then_success(fake_openai, settings, delays, context, manifest):
    reconfigure(settings, TIMEOUT_S=1.0, MAX_RETRIES=1)
    fake_openai.push(hang(30), tool_call(plan_answer()))
    result = LLMPlanner(sleep=delays.append).plan("orders", context, manifest)
    assert isinstance(result, PlanProposal)
    assert len(fake_openai.requests) == 2


def test_timeouts_exhaust_the_retries(fake_openai, settings, delays, context, manifest):
    reconfigure(settings, TIMEOUT_S=0.2, MAX_RETRIES=1)
    fake_openai.push(hang(5), hang(5))
    with pytest.raises(LLMUnavailable, match=r"did not answer within 0\.2 s") as caught:
        LLMPlanner(sleep=delays.append).plan("orders", context, manifest)
    assert caught.value.retryable
    assert len(fake_openai.requests) == 2


def test_connection_refused(settings, delays, context, manifest):
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llm = LLMSettings(model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1)
    with pytest.raises(LLMUnavailable, match="could not be reached"):
        LLMPlanner(llm, sleep=delays.append).plan("orders", context, manifest)
    assert len(delays) == 1


# -- failures that retrying cannot fix -----------------------------------------------------


def test_auth_error_is_typed_and_not_retried(fake_openai, planner, delays, context, manifest):
    fake_openai.push(error(401, "Incorrect API key provided"))
    with pytest.raises(LLMAuthError) as caught:
        planner.plan("orders", context, manifest)
    assert caught.value.code == "llm_auth_failed"
    assert caught.value.retryable is False
    assert "DJAI_FAKE_LLM_KEY" in caught.value.hint  # names the variable...
    assert "sk-fake-test-key" not in str(caught.value)  # ...never the key
    assert len(fake_openai.requests) == 1
    assert delays == []


def test_forbidden_is_an_auth_error(fake_openai, planner, context, manifest):
    fake_openai.push(error(403, "project has no access to this model"))
    with pytest.raises(LLMAuthError):
        planner.plan("orders", context, manifest)


def test_quota_exhausted_is_typed_and_not_retried(fake_openai, planner, context, manifest):
    fake_openai.push(error(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(LLMQuotaExceeded) as caught:
        planner.plan("orders", context, manifest)
    assert caught.value.code == "llm_quota_exceeded"
    assert not caught.value.retryable
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize("status", [400, 404, 422])
def test_other_client_errors_are_llm_unavailable(fake_openai, planner, context, manifest, status):
    fake_openai.push(error(status, "model 'fake-model' not found"))
    with pytest.raises(LLMUnavailable, match=f"HTTP {status}"):
        planner.plan("orders", context, manifest)
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=200, body="<html>proxy error</html>"),
        Reply(status=200, body={"unexpected": True}),
        Reply(status=200, body={"choices": []}),
    ],
    ids=["html", "no-choices-key", "empty-choices"],
)
def test_garbage_from_the_provider_is_typed(fake_openai, planner, context, manifest, reply):
    fake_openai.push(reply)
    with pytest.raises(LLMUnavailable, match="cannot read") as caught:
        planner.plan("orders", context, manifest)
    assert type(caught.value) is LLMUnavailable
    assert len(fake_openai.requests) == 1  # not re-asked: the model never answered


# -- settings --------------------------------------------------------------------------------


def test_missing_model_is_a_configuration_error(settings):
    settings.DJAI = {"PLANNER": "llm", "LLM": {"BASE_URL": "http://127.0.0.1:9/v1"}}
    with pytest.raises(ConfigurationError, match="MODEL"):
        get_planner()


def test_bad_mode_is_a_configuration_error(settings):
    settings.DJAI = {"LLM": {"MODEL": "m", "MODE": "xml"}}
    with pytest.raises(ConfigurationError, match="MODE"):
        LLMSettings.from_config()


def test_partial_llm_settings_keep_the_defaults(settings):
    settings.DJAI = {"LLM": {"MODEL": "llama3", "MODE": "json"}}
    values = LLMSettings.from_config()
    assert (values.model, values.mode, values.max_reasks, values.timeout_s) == (
        "llama3",
        "json",
        2,
        30.0,
    )


# -- what the model sees -------------------------------------------------------------------


def test_prompt_rules_schema_context_and_question(fake_openai, planner, manifest):
    previous = parse("from shop.order group by customer.country aggregate orders = count()")
    context = PlannerContext(
        tz=TZ,
        now=NOW,
        summary='Topic: shop.order\n- "orders by country" -> from shop.order ... [14 rows]',
        current_topic="shop.order",
        history=[
            Turn("user", "orders by country"),
            Turn("assistant", "Germany leads with 4711 orders.", plan_dsl=format_plan(previous)),
            Turn("user", "thanks"),
            Turn("assistant", "Anything else?"),
        ],
        previous_plan=previous,
    )
    fake_openai.push(tool_call(plan_answer()))

    planner.plan("and by month?", context, manifest)

    system, user = fake_openai.requests[0].messages
    rules = system["content"]
    assert "Never write SQL, Python or any other code" in rules
    assert 'kind\n   "clarify"' in rules or '"clarify"' in rules
    assert "passwords, tokens, keys or other secrets" in rules
    assert "Now: 2026-06-15 12:30 (Monday), time zone Europe/Berlin." in rules
    assert 'shop.order "order"' in rules and "measure revenue" in rules
    assert "api_token" not in rules  # secret fields are not in the manifest

    text = user["content"]
    assert "Conversation so far (summary):" in text
    assert "Current topic: shop.order" in text
    assert "  from shop.order\n  group by customer.country" in text  # previous plan as DSL
    assert "- user: orders by country" in text
    assert "- assistant: Anything else?" in text
    assert text.endswith("Question:\nand by month?")
    # an answer is shown by its plan, never by its text, which may quote result values
    assert "4711" not in fake_openai.requests[0].text()
    assert "Germany leads" not in fake_openai.requests[0].text()


def test_history_is_clipped_to_history_turns(fake_openai, settings, context, manifest):
    reconfigure(settings, HISTORY_TURNS=2)
    context.history = [Turn("user", f"question number {i}") for i in range(6)]
    fake_openai.push(tool_call(plan_answer()))
    LLMPlanner().plan("orders", context, manifest)
    text = fake_openai.requests[0].text()
    assert "question number 5" in text and "question number 4" in text
    assert "question number 3" not in text


def test_pending_clarification_is_shown(fake_openai, planner, manifest):
    context = PlannerContext(
        tz=TZ,
        now=NOW,
        pending_clarification={
            "id": "c1",
            "question": "Revenue by order date or by payment date?",
            "options": [{"id": "1", "label": "order date"}, {"id": "2", "label": "payment date"}],
            "original_question": "revenue last month",
        },
    )
    fake_openai.push(tool_call(plan_answer()))
    planner.plan("the payment one", context, manifest)
    text = fake_openai.requests[0].messages[1]["content"]
    assert "You asked the user: Revenue by order date or by payment date?" in text
    assert "option 2: payment date" in text
    assert "Their original question: revenue last month" in text


def test_prompt_holds_only_the_users_manifest(fake_openai, planner, context, django_user_model):
    clerk = user_with(django_user_model, "clerk", "shop.view_order")
    fake_openai.push(
        tool_call(plan_answer(with_field("customer.country"))),  # not visible to the clerk
        tool_call(plan_answer({**ORDERS_BY_COUNTRY, "group_by": [{"field": "status"}]})),
    )

    result = planner.plan("orders by status", context, build_manifest(clerk))

    system = fake_openai.requests[0].messages[0]["content"]
    assert 'shop.order "order"' in system
    for hidden in ("shop.customer", "chinook.", "auth.user", "auth.group"):
        assert hidden not in system
    assert result.retry_count == 1
    assert result.plan.group_by[0].field == "status"


def test_template_syntax_reaches_the_model_verbatim(fake_openai, planner, context, manifest):
    question = "orders where note contains '{{ 7*7 }}' or '{# x' or '{% raw %}'"
    fake_openai.push(tool_call(plan_answer()))
    planner.plan(question, context, manifest)
    assert fake_openai.requests[0].messages[1]["content"].endswith(question)


def test_preview_request_is_exactly_what_is_sent(fake_openai, planner, context, manifest):
    context.previous_plan = parse("from shop.order aggregate n = count()")
    preview = planner.preview_request("and by country?", context, manifest)
    fake_openai.push(tool_call(plan_answer()))
    planner.plan("and by country?", context, manifest)
    assert preview == fake_openai.requests[0].body


def test_preview_request_json_mode(fake_openai, settings, context, manifest):
    reconfigure(settings, MODE="json")
    planner = LLMPlanner()
    preview = planner.preview_request("orders", context, manifest)
    fake_openai.push(message(plan_answer()))
    planner.plan("orders", context, manifest)
    assert preview == fake_openai.requests[0].body


# -- manage.py djai prompt -------------------------------------------------------------------


def run_prompt(*args: str) -> str:
    out = StringIO()
    call_command("djai", "prompt", *args, stdout=out)
    return out.getvalue()


def test_prompt_command_prints_messages_and_schema(fake_openai):
    text = run_prompt("orders by country last month", "--now", "2026-06-15T10:30:00+00:00")
    assert text.startswith(f"POST {fake_openai.base_url}/chat/completions\nmodel: fake-model")
    assert "=== message 1: system ===" in text
    assert "=== message 2: user ===" in text
    assert "Question:\norders by country last month" in text
    assert "=== schema: tool 'LLMAnswer' ===" in text
    assert '"discriminator"' in text  # the answer kinds, as a tagged union
    assert fake_openai.requests == []  # nothing was sent


def test_prompt_command_json_for_a_user(fake_openai, django_user_model):
    user_with(django_user_model, "clerk", "shop.view_order")
    body = json.loads(
        run_prompt("orders by status", "--user", "clerk", "--json", "--tz", "Europe/Berlin")
    )
    system = body["messages"][0]["content"]
    assert 'shop.order "order"' in system and "shop.customer" not in system
    assert "time zone Europe/Berlin" in system
    assert body["tools"][0]["function"]["name"] == "LLMAnswer"


def test_prompt_command_json_mode_and_previous_plan(fake_openai):
    text = run_prompt(
        "and by month?",
        "--mode",
        "json",
        "--previous-plan",
        "from shop.order aggregate n = count()",
    )
    assert "mode: json" in text
    assert '"response_format": {"type": "json_object"}' in text
    assert "  from shop.order\n  aggregate n = count()" in text
    assert "=== schema: in the system message above (JSON mode) ===" in text


def test_prompt_command_works_without_a_model_or_key(settings):
    settings.DJAI = {"PLANNER": "offline"}
    text = run_prompt("orders")
    assert "DJAI['LLM']['MODEL'] is not set" in text


def test_prompt_command_bad_previous_plan(fake_openai):
    with pytest.raises(CommandError, match=r"\[dsl_syntax_error\]"):
        run_prompt("x", "--previous-plan", "from shop.order aggregate n = ")
