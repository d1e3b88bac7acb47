# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
"""The HTTP API under /ai-assistant/api/: auth, CSRF, ownership, input limits, chat
resources, preview/run/pages, the envelope contract (JSON Schema), OpenAPI and errors.

Planning is the scripted planner (tests/fakes.py): a question that is DSL text is planned as
itself, so these tests exercise the HTTP layer and the service, not a planner.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import jsonschema
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from openapi_spec_validator import validate as validate_openapi

from djai_dsl.api.schemas import ENVELOPE_SCHEMA_PATH
from djai_dsl.chat import composer
from djai_dsl.chat.composer import MetaInfo
from djai_dsl.chat.envelope import envelope_json, envelope_json_schema
from djai_dsl.errors import ERROR_CLASSES, DjaiError, LLMUnavailable
from djai_dsl.escape import escape_hatch_enabled
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog
from tests.fakes import PREFIX, Api, api, clarification, make_staff, scripted, staff  # noqa: F401

COUNT_ORDERS = "from shop.order aggregate orders = count()"
BY_COUNTRY = (
    "from shop.order where created_at in previous month group by customer.country "
    "aggregate orders = count() sort orders desc"
)
LISTING = "from shop.order select id, total sort id"

pytestmark = pytest.mark.django_db

ENVELOPE_SCHEMA = json.loads(ENVELOPE_SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(ENVELOPE_SCHEMA)


def envelope_of(response: Any, type_: str, status: int = 200) -> dict[str, Any]:
    """The response's envelope, checked against the JSON Schema, its type and status."""
    assert response.status_code == status, response.content
    body = response.json()
    VALIDATOR.validate(body)
    assert set(body) == {"type", "message", "data", "meta"}
    assert set(body["meta"]) == {"chat_id", "intent_label", "intent_confidence", "trace_id"}
    assert body["type"] == type_, body
    assert response["X-Trace-Id"] == body["meta"]["trace_id"]
    return body


def error_of(response: Any, code: str, status: int) -> dict[str, Any]:
    body = envelope_of(response, "error", status)
    assert body["data"]["error_code"] == code, body
    return body


# --------------------------------------------------------------------------- auth


def test_anonymous_users_get_a_403_envelope(client: Client, scripted: Any) -> None:
    for method, path in [("get", "/chats"), ("post", "/chats"), ("post", "/chats/1/message")]:
        response = getattr(client, method)(PREFIX + path, content_type="application/json")
        error_of(response, "forbidden", 403)


@pytest.mark.parametrize(
    "flags",
    [
        {"assistant": False},  # staff without djai_dsl.use_assistant
        {"is_staff": False},  # not staff
        {"is_active": False},  # deactivated
    ],
)
def test_only_active_staff_with_the_permission_may_use_it(
    client: Client, scripted: Any, flags: dict[str, Any]
) -> None:
    assistant = flags.pop("assistant", True)
    user = make_staff("someone", assistant=assistant)
    for name, value in flags.items():
        setattr(user, name, value)
    user.save()
    client.force_login(user)
    error_of(client.get(PREFIX + "/chats"), "forbidden", 403)


def test_another_users_chat_is_404(api: Api, client: Client) -> None:
    other = make_staff("other")
    theirs = Chat.objects.create(owner=other, title="theirs")
    for method, path, body in [
        ("get", f"/chats/{theirs.pk}", None),
        ("get", f"/chats/{theirs.pk}/messages", None),
        ("post", f"/chats/{theirs.pk}/message", {"content": COUNT_ORDERS}),
        ("post", f"/chats/{theirs.pk}/plan", {"content": COUNT_ORDERS}),
        ("post", f"/chats/{theirs.pk}/run", {"dsl": COUNT_ORDERS}),
        ("patch", f"/chats/{theirs.pk}", {"title": "mine now"}),
        ("delete", f"/chats/{theirs.pk}", None),
        ("get", f"/chats/{theirs.pk}/messages/1/page?cursor=x", None),
    ]:
        if method == "get":
            response = api.client.get(PREFIX + path)
        else:
            response = api.send(method, path, body)
        body_ = error_of(response, "chat_not_found", 404)
        assert body_["meta"]["chat_id"] is None  # nothing about the chat leaks
    theirs.refresh_from_db()
    assert theirs.title == "theirs" and theirs.deleted_at is None
    assert not Message.objects.filter(chat=theirs).exists()
    assert api.get("/chats").json()["chats"] == []


def test_csrf_is_enforced_on_state_changing_calls(staff: User, scripted: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    api = Api(client)
    error_of(api.post("/chats", {}), "csrf_failed", 403)
    assert not Chat.objects.exists()
    listing = client.get(PREFIX + "/chats")  # sets the csrftoken cookie
    token = listing.cookies["csrftoken"].value
    created = api.post("/chats", {}, X_CSRFToken=token)
    assert created.status_code == 201
    chat_id = created.json()["id"]
    error_of(api.ask(chat_id, COUNT_ORDERS), "csrf_failed", 403)
    error_of(api.send("DELETE", f"/chats/{chat_id}"), "csrf_failed", 403)
    ok = api.post(f"/chats/{chat_id}/message", {"content": COUNT_ORDERS}, X_CSRFToken=token)
    envelope_of(ok, "answer")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"{not json", "(body)"),
        (b"[1, 2]", "(body)"),
        (b'"text"', "(body)"),
        (b"[" * 5000 + b"]" * 5000, "(body)"),
        ({}, "content"),
        ({"content": 42}, "content"),
        ({"content": "hi", "unexpected": 1}, "unexpected"),
        ({"content": "hi", "client_context": {"timezone": "UTC", "tz": "x"}}, "client_context.tz"),
        ({"content": "hi", "client_context": {"locale": "not a locale!"}}, "client_context.locale"),
        ({"content": "hi", "client_context": "UTC"}, "client_context"),
        ({"content": "hi", "clarification": {"option_id": "1"}}, "clarification"),
        ({"content": "   "}, "content"),
        ({"content": "hi", "client_context": {"timezone": "Mars/Olympus"}}, "client_context"),
        ({"content": "hi", "client_context": {"timezone": "../../etc/passwd"}}, "client_context"),
    ],
)
def test_bad_bodies_are_400_envelopes(api: Api, body: Any, path: str) -> None:
    chat_id = api.new_chat()
    response = api.post(f"/chats/{chat_id}/message", body)
    error = error_of(response, "bad_request", 400)
    if path != "(body)":
        assert any(d["path"].startswith(path) for d in error["data"]["details"]), error
    assert error["meta"]["chat_id"] == chat_id
    log = QueryLog.objects.get(trace_id=error["meta"]["trace_id"])
    assert (log.kind, log.route, log.error_code) == ("message", "error", "bad_request")


def test_oversized_content_and_bodies_are_rejected(api: Api, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "MAX_MESSAGE_LENGTH": 50, "MAX_REQUEST_BYTES": 2000}
    chat_id = api.new_chat()
    error_of(api.ask(chat_id, "x" * 51), "input_too_large", 400)
    error_of(api.ask(chat_id, "x" * 3000), "input_too_large", 400)
    error_of(api.post(f"/chats/{chat_id}/run", {"dsl": "x" * 3000}), "input_too_large", 400)
    assert not Message.objects.filter(chat_id=chat_id).exists()


def test_body_must_be_json(api: Api) -> None:
    chat_id = api.new_chat()
    response = api.client.post(f"{PREFIX}/chats/{chat_id}/message", {"content": "hi"})
    error_of(response, "bad_request", 400)


def test_wrong_method_is_405_with_allow(api: Api) -> None:
    chat_id = api.new_chat()
    response = api.client.get(f"{PREFIX}/chats/{chat_id}/message")
    error_of(response, "method_not_allowed", 405)
    assert response["Allow"] == "POST"
    error_of(api.send("PUT", "/chats", {}), "method_not_allowed", 405)


@pytest.mark.parametrize(
    "path",
    ["/nope", "/chats/abc", "/chats/1/unknown", f"/chats/{2**70}", f"/chats/{2**63}/messages"],
)
def test_unknown_endpoints_and_ids_are_404_envelopes(api: Api, path: str) -> None:
    response = api.client.get(PREFIX + path)
    body = envelope_of(response, "error", 404)
    assert body["data"]["error_code"] in {"not_found", "chat_not_found"}


def test_bad_page_and_list_parameters(api: Api) -> None:
    chat_id = api.new_chat()
    error_of(api.get(f"/chats/{chat_id}/messages/1/page"), "bad_request", 400)
    error_of(
        api.get(f"/chats/{chat_id}/messages/1/page", cursor="x", page_size="many"),
        "bad_request",
        400,
    )
    error_of(
        api.get(f"/chats/{chat_id}/messages/1/page", cursor="x", extra="1"), "bad_request", 400
    )
    error_of(api.get(f"/chats/{chat_id}/messages/1/page", cursor="x"), "message_not_found", 404)
    error_of(api.get("/chats", limit="0"), "bad_request", 400)


# --------------------------------------------------------------------------- chats


def test_chat_lifecycle(api: Api) -> None:
    first = api.post("/chats", {"title": "  Sales   review "}).json()
    assert (first["title"], first["title_source"]) == ("Sales review", "user")
    second_id = api.new_chat()
    listed = api.get("/chats").json()["chats"]
    assert [c["id"] for c in listed] == [second_id, first["id"]]

    renamed = api.send("PATCH", f"/chats/{second_id}", {"title": "Refunds"})
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Refunds"
    error_of(api.send("PATCH", f"/chats/{second_id}", {"title": ""}), "bad_request", 400)
    error_of(api.send("PATCH", f"/chats/{second_id}", {"name": "x"}), "bad_request", 400)

    assert api.send("DELETE", f"/chats/{second_id}").status_code == 204
    error_of(api.client.get(f"{PREFIX}/chats/{second_id}"), "chat_not_found", 404)
    assert [c["id"] for c in api.get("/chats").json()["chats"]] == [first["id"]]
    error_of(api.ask(second_id, COUNT_ORDERS), "chat_not_found", 404)
    events = list(ChatEvent.objects.filter(chat_id=second_id).values_list("type", flat=True))
    assert events == ["chat_created", "chat_renamed", "chat_deleted"]


def test_messages_are_listed_with_their_envelopes(api: Api) -> None:
    chat_id = api.new_chat()
    answer = envelope_of(api.ask(chat_id, COUNT_ORDERS), "answer")
    listed = api.get(f"/chats/{chat_id}/messages").json()
    assert listed["chat_id"] == chat_id
    user, assistant = listed["messages"]
    assert (user["role"], user["kind"], user["content"]) == ("user", "question", COUNT_ORDERS)
    assert (assistant["role"], assistant["kind"]) == ("assistant", "answer")
    assert assistant["id"] == answer["data"]["message_id"]
    assert assistant["plan"] == answer["data"]["plan"]
    assert assistant["envelope"] == answer
    assert assistant["trace_id"] == user["trace_id"] == answer["meta"]["trace_id"]


# --------------------------------------------------------------------------- answers


def test_answer_envelope(api: Api) -> None:
    chat_id = api.new_chat()
    body = envelope_of(
        api.ask(chat_id, BY_COUNTRY, client_context={"timezone": "Europe/Berlin"}), "answer"
    )
    data = body["data"]
    assert [c["name"] for c in data["result"]["columns"]] == ["customer.country", "orders"]
    assert data["result"]["rows"] and all(len(r) == 2 for r in data["result"]["rows"])
    assert data["truncated"] is False and data["next_cursor"] is None and data["executed"] is True
    assert data["plan"].startswith("from shop.order\nwhere created_at in previous month")
    assert data["windows"][0]["start"] == "2026-05-01T00:00:00+02:00"
    assert "previous month" in data["explanation"]
    assert "code" not in data  # no view_generated_code permission
    assert body["meta"] == {
        "chat_id": chat_id,
        "intent_label": "DATA_QUERY",
        "intent_confidence": 0.95,
        "trace_id": body["meta"]["trace_id"],
    }
    log = QueryLog.objects.get(trace_id=body["meta"]["trace_id"])
    assert (log.kind, log.route, log.row_count, log.retry_count) == (
        "message",
        "answer",
        len(data["result"]["rows"]),
        0,
    )
    assert log.intent_label == "DATA_QUERY" and log.plan == data["plan"]
    assert log.db_latency_ms is not None and log.total_latency_ms >= log.db_latency_ms
    assert log.candidate_models == ["shop.order"] and log.planner == "scripted"


def test_code_needs_the_permission(client: Client, scripted: Any) -> None:
    client.force_login(make_staff("dev", code=True))
    api = Api(client)
    chat_id = api.new_chat()
    data = envelope_of(api.ask(chat_id, COUNT_ORDERS), "answer")["data"]
    assert data["code"].startswith("SELECT")
    assert "shop_order" in data["code"]


def test_code_can_be_switched_off(client: Client, scripted: Any, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "SHOW_CODE": False}
    client.force_login(make_staff("dev", code=True))
    api = Api(client)
    data = envelope_of(api.ask(api.new_chat(), COUNT_ORDERS), "answer")["data"]
    assert "code" not in data


def test_trace_id_is_taken_from_the_request_when_sane(api: Api) -> None:
    chat_id = api.new_chat()
    response = api.post(
        f"/chats/{chat_id}/message", {"content": COUNT_ORDERS}, X_Trace_Id="req-12345678"
    )
    assert envelope_of(response, "answer")["meta"]["trace_id"] == "req-12345678"
    response = api.post(
        f"/chats/{chat_id}/message", {"content": COUNT_ORDERS}, X_Trace_Id="bad id\n"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Trace-Id"])


def test_preview_plans_without_running(api: Api, monkeypatch: Any) -> None:
    from djai_dsl.executor import ReadOnlyExecutor

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a preview must not execute")

    monkeypatch.setattr(ReadOnlyExecutor, "run", never)
    chat_id = api.new_chat()
    body = envelope_of(api.post(f"/chats/{chat_id}/plan", {"content": BY_COUNTRY}), "answer")
    assert body["data"]["executed"] is False and body["data"]["result"] is None
    assert body["data"]["plan"].startswith("from shop.order")
    body = envelope_of(
        api.post(f"/chats/{chat_id}/plan", {"dsl": "from shop.order  aggregate n=count()"}),
        "answer",
    )
    assert body["data"]["plan"] == "from shop.order\naggregate n = count()"
    error_of(api.post(f"/chats/{chat_id}/plan", {"content": "a", "dsl": "b"}), "bad_request", 400)
    error_of(
        api.post(f"/chats/{chat_id}/plan", {"dsl": "from shop.order where nope = 1"}),
        "plan_invalid",
        422,
    )
    assert not Message.objects.filter(chat_id=chat_id).exists()  # previews are not turns
    assert set(QueryLog.objects.filter(chat_id=chat_id).values_list("route", flat=True)) == {
        "preview",
        "error",
    }


def test_run_an_edited_plan(api: Api) -> None:
    chat_id = api.new_chat()
    body = envelope_of(api.post(f"/chats/{chat_id}/run", {"dsl": COUNT_ORDERS}), "answer")
    assert body["data"]["result"]["columns"][0]["name"] == "orders"
    assert body["meta"]["intent_label"] == "DATA_QUERY"
    kinds = list(Message.objects.filter(chat_id=chat_id).values_list("role", "kind"))
    assert kinds == [("user", "dsl"), ("assistant", "answer")]
    chat = Chat.objects.get(pk=chat_id)
    assert chat.current_topic == "shop.order" and chat.title_source == "auto"

    error = error_of(
        api.post(f"/chats/{chat_id}/run", {"dsl": "from shop.order\nwhere stauts = 1"}),
        "plan_invalid",
        422,
    )
    assert "status" in json.dumps(error["data"])  # did you mean
    error = error_of(
        api.post(f"/chats/{chat_id}/run", {"dsl": "from shop.order where"}), "dsl_syntax_error", 400
    )
    assert error["data"]["line"] == 1


def test_pages_follow_the_cursor_to_the_end(api: Api) -> None:
    chat_id = api.new_chat()
    first = envelope_of(
        api.post(f"/chats/{chat_id}/run", {"dsl": LISTING, "page_size": 400}), "answer"
    )
    data = first["data"]
    assert data["truncated"] and data["next_cursor"] and data["row_count"] == 400
    seen = [row[0] for row in data["result"]["rows"]]
    message_id, cursor, pages = data["message_id"], data["next_cursor"], 1
    while cursor:
        page = envelope_of(
            api.get(f"/chats/{chat_id}/messages/{message_id}/page", cursor=cursor, page_size=400),
            "answer",
        )
        pages += 1
        assert page["data"]["page"] == pages and page["data"]["message_id"] == message_id
        seen += [row[0] for row in page["data"]["result"]["rows"]]
        cursor = page["data"]["next_cursor"]
    from demo.shop.models import Order

    assert seen == list(Order.objects.order_by("id").values_list("id", flat=True))
    assert pages > 1
    logs = QueryLog.objects.filter(chat_id=chat_id, kind="page")
    assert logs.count() == pages - 1
    # Pages are not conversation turns.
    assert Message.objects.filter(chat_id=chat_id).count() == 2


def test_bad_cursors(api: Api) -> None:
    chat_id = api.new_chat()
    data = envelope_of(
        api.post(f"/chats/{chat_id}/run", {"dsl": LISTING, "page_size": 5}), "answer"
    )["data"]
    message_id = data["message_id"]
    error_of(
        api.get(f"/chats/{chat_id}/messages/{message_id}/page", cursor="forged"),
        "cursor_invalid",
        400,
    )
    other = envelope_of(
        api.post(
            f"/chats/{chat_id}/run", {"dsl": "from shop.customer select id sort id", "page_size": 5}
        ),
        "answer",
    )
    error_of(
        api.get(
            f"/chats/{chat_id}/messages/{message_id}/page", cursor=other["data"]["next_cursor"]
        ),
        "cursor_invalid",
        400,
    )
    user_message = Message.objects.filter(chat_id=chat_id, role="user").first()
    assert user_message is not None
    error_of(
        api.get(f"/chats/{chat_id}/messages/{user_message.pk}/page", cursor=data["next_cursor"]),
        "message_not_found",
        404,
    )


# --------------------------------------------------------------------------- contract


def test_every_envelope_type_matches_the_schema(api: Api, scripted: Any) -> None:
    scripted.script["which one?"] = clarification(
        "Orders or customers?",
        ("orders", "Orders", COUNT_ORDERS),
        ("c", "Customers", "how many customers?"),
    )
    chat_id = api.new_chat()
    envelope_of(api.ask(chat_id, COUNT_ORDERS), "answer")
    body = envelope_of(api.ask(chat_id, "which one?"), "clarification")
    assert [o["resolves_to"]["kind"] for o in body["data"]["options"]] == ["plan", "question"]
    envelope_of(api.ask(chat_id, "Write me a poem about the weather"), "out_of_scope")
    error_of(api.ask(chat_id + 1000, "hi"), "chat_not_found", 404)


def test_checked_in_envelope_schema_is_current() -> None:
    generated = json.loads(json.dumps(envelope_json_schema(), sort_keys=True))
    assert generated == ENVELOPE_SCHEMA, "run: python -m djai_dsl.api.schemas"


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.code)
def test_each_error_code_has_an_envelope_and_a_status(cls: type[DjaiError]) -> None:
    envelope = envelope_json(composer.error(MetaInfo(3, "trace-123"), cls(hint="a hint")))
    VALIDATOR.validate(envelope)
    assert envelope["data"]["error_code"] == cls.code
    assert envelope["data"]["retryable"] is cls.retryable
    assert cls.http_status >= 400
    if cls.code in {"rate_limited", "query_timeout", "llm_unavailable"}:
        assert cls.retryable


def test_error_codes_are_unique() -> None:
    codes = [cls.code for cls in ERROR_CLASSES]
    assert len(codes) == len(set(codes))


def test_planner_failures_become_error_envelopes(api: Api, scripted: Any, caplog: Any) -> None:
    scripted.script["down?"] = LLMUnavailable()
    scripted.script["bug?"] = RuntimeError("planner bug")
    chat_id = api.new_chat()
    body = error_of(api.ask(chat_id, "down?"), "llm_unavailable", 503)
    assert body["data"]["retryable"] is True
    with caplog.at_level("ERROR", logger="djai_dsl.chat"):
        body = error_of(api.ask(chat_id, "bug?"), "internal_error", 500)
    assert "planner bug" in caplog.text and body["meta"]["trace_id"] in caplog.text
    kinds = list(
        Message.objects.filter(chat_id=chat_id, role="assistant").values_list("kind", flat=True)
    )
    assert kinds == ["error", "error"]


def test_rate_limit(api: Api, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "RATE_LIMIT_PER_MINUTE": 3}
    chat_id = api.new_chat()
    for _ in range(3):
        envelope_of(api.ask(chat_id, COUNT_ORDERS), "answer")
    response = api.ask(chat_id, COUNT_ORDERS)
    body = error_of(response, "rate_limited", 429)
    assert body["data"]["retryable"] is True
    # The oldest counted request leaves the 60-second window within a minute.
    assert 1 <= int(response["Retry-After"]) <= 60
    run = api.post(f"/chats/{chat_id}/run", {"dsl": COUNT_ORDERS})
    error_of(run, "rate_limited", 429)
    assert run.has_header("Retry-After")


def test_views_leave_the_transaction_to_the_executor() -> None:
    for path in [
        "chats",
        "chats/1",
        "chats/1/message",
        "chats/1/plan",
        "chats/1/run",
        "chats/1/messages/2/page",
    ]:
        view = resolve(f"{PREFIX}/{path}").func
        assert getattr(view, "_non_atomic_requests", None) == {"default"}, path
        assert getattr(view, "csrf_exempt", False), path  # checked inside, as an envelope


# --------------------------------------------------------------------------- OpenAPI


def _api_routes() -> list[str]:
    resolver = get_resolver()
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif (
                isinstance(p, URLPattern)
                and str(p.pattern).startswith("api/")
                and p.name != "not_found"
                # The escape hatch's endpoints are documented only while it is on.
                and (p.name not in ("code", "code_preview") or escape_hatch_enabled())
            ):
                routes.append(prefix + str(p.pattern))

    walk(resolver.url_patterns, "")
    return routes


def test_openapi_is_served_valid_and_complete(api: Api) -> None:
    response = api.client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate_openapi(document)
    assert document["servers"] == [{"url": "/ai-assistant"}]
    documented = set(document["paths"])
    for route in _api_routes():
        path = "/" + re.sub(r"<int:(\w+)>", r"{\1}", route.removeprefix("ai-assistant/"))
        assert path in documented, path
    schema = document["components"]["schemas"]["MessageIn"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"content", "client_context", "clarification"}


# --------------------------------------------------------------------------- metrics


def test_metrics_need_the_log_permission(api: Api, client: Client) -> None:
    error_of(api.client.get(f"{PREFIX}/metrics"), "forbidden", 403)
    admin = User.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    Api(client).ask(Api(client).new_chat(), COUNT_ORDERS)
    response = client.get(f"{PREFIX}/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    for name in [
        "djai_first_pass_success_rate",
        "djai_clarification_rate",
        "djai_out_of_scope_rate",
        "djai_error_rate",
        'djai_latency_ms{quantile="0.95",stage="total"}',
        "djai_stage_latency_seconds_bucket",
        'djai_requests_total{kind="message",outcome="answer"}',
    ]:
        assert name in text, name


# --------------------------------------------------------------------------- live server


@pytest.mark.django_db(transaction=True)
def test_over_real_http(live_server: Any, scripted: Any) -> None:
    _live_round_trip(live_server)


def _live_round_trip(live_server: Any) -> None:
    user = make_staff("live")
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = live_server.url + PREFIX

    def call(method: str, path: str, body: Any = None, token: str = "") -> tuple[int, Any, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(base + path, data=data, method=method)
        request.add_header(
            "Cookie", f"sessionid={session}" + (f"; csrftoken={token}" if token else "")
        )
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("X-CSRFToken", token)
            request.add_header("Referer", live_server.url + "/")
        try:
            with opener.open(request) as response:
                return response.status, json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read()), exc.headers

    status, body, headers = call("GET", "/chats")
    assert status == 200 and body == {"chats": []}
    token = next(c.value for c in jar if c.name == "csrftoken")
    status, body, _ = call("POST", "/chats", {})
    assert status == 403 and body["data"]["error_code"] == "csrf_failed"
    status, chat, _ = call("POST", "/chats", {}, token)
    assert status == 201
    status, body, headers = call(
        "POST", f"/chats/{chat['id']}/message", {"content": COUNT_ORDERS}, token
    )
    assert status == 200
    VALIDATOR.validate(body)
    assert body["type"] == "answer" and headers["X-Trace-Id"] == body["meta"]["trace_id"]
    status, body, _ = call("POST", f"/chats/{chat['id']}/message", {"content": 1}, token)
    assert status == 400 and body["data"]["error_code"] == "bad_request"
    threading.enumerate()  # the server thread is still fine after errors
    status, body, _ = call("GET", "/chats")
    assert [c["id"] for c in body["chats"]] == [chat["id"]]
