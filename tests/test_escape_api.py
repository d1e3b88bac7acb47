"""The escape hatch through the entry points a user has: the HTTP API (run, preview, pages,
capabilities, OpenAPI), and ``manage.py djai run-code``. With the hatch off none of it is
reachable; without the permission it is refused; with both, snippets answer like plans."""

# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openapi_spec_validator import validate as validate_openapi

from demo.shop.models import Order
from djai_dsl.models import Message, QueryLog
from tests.fakes import Api, make_staff, scripted  # noqa: F401

pytestmark = pytest.mark.django_db

COUNT_PAID = 'Order.objects.filter(status="paid").count()'
BIG_ORDERS = 'Order.objects.filter(total__gt=100).order_by("-total").values("id", "total")'


@pytest.fixture
def hatch_on(settings: Any, scripted: Any) -> None:
    settings.DJAI = {**settings.DJAI, "ESCAPE_HATCH": {"ENABLED": True}}


def coder(username: str = "coder", *, code: bool = True) -> User:
    user = make_staff(username, code=code)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="djai_dsl", codename="use_escape_hatch")
    )
    return User.objects.get(pk=user.pk)


def api_for(client: Client, user: User) -> Api:
    client.force_login(user)
    return Api(client)


def run(api: Api, chat_id: int, code: str, **body: Any) -> Any:
    return api.post(f"/chats/{chat_id}/code", {"code": code, **body})


# ---------------------------------------------------------------------------- off


def test_with_the_hatch_off_nothing_is_reachable(client: Client, scripted: Any) -> None:
    api = api_for(client, coder())
    chat_id = api.new_chat()
    for path in ("code", "code/preview"):
        response = api.post(f"/chats/{chat_id}/{path}", {"code": COUNT_PAID})
        assert response.status_code == 404
        assert response.json()["data"]["error_code"] == "escape_hatch_disabled"
    assert api.get("/capabilities").json()["escape_hatch"] is False
    document = api.get("/openapi.json").json()
    assert not any("/code" in path for path in document["paths"])
    assert not Message.objects.filter(chat_id=chat_id).exists()
    assert not QueryLog.objects.filter(route="escape_hatch").exists()


def test_without_the_permission_it_is_forbidden(client: Client, hatch_on: None) -> None:
    api = api_for(client, make_staff("analyst", code=True))
    chat_id = api.new_chat()
    response = run(api, chat_id, COUNT_PAID)
    assert response.status_code == 403
    assert response.json()["data"]["error_code"] == "escape_hatch_forbidden"
    assert api.get("/capabilities").json()["escape_hatch"] is False
    assert not Message.objects.filter(chat_id=chat_id).exists()


# ---------------------------------------------------------------------------- on


def test_a_permitted_user_runs_a_snippet(client: Client, hatch_on: None) -> None:
    api = api_for(client, coder())
    assert api.get("/capabilities").json()["escape_hatch"] is True
    chat_id = api.new_chat()
    response = run(api, chat_id, COUNT_PAID)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "answer"
    data = body["data"]
    assert data["source"] == "code" and data["snippet"] == COUNT_PAID
    assert data["result"]["rows"] == [[Order.objects.filter(status="paid").count()]]
    assert data["executed"] is True
    assert data["code"].startswith("-- count() over:") and "SELECT" in data["code"]
    log = QueryLog.objects.get(chat_id=chat_id)
    assert (log.kind, log.route, log.plan) == ("run", "escape_hatch", COUNT_PAID)
    kinds = list(Message.objects.filter(chat_id=chat_id).values_list("kind", flat=True))
    assert kinds == ["code", "answer"]
    assert Message.objects.get(chat_id=chat_id, kind="answer").code == COUNT_PAID


def test_pages_of_a_snippet_answer(client: Client, hatch_on: None) -> None:
    api = api_for(client, coder())
    chat_id = api.new_chat()
    first = run(api, chat_id, BIG_ORDERS, page_size=25).json()["data"]
    assert first["truncated"] is True and first["next_cursor"]
    rows = list(first["result"]["rows"])
    cursor, message_id = first["next_cursor"], first["message_id"]
    while cursor:
        page = api.get(f"/chats/{chat_id}/messages/{message_id}/page", cursor=cursor, page_size=25)
        assert page.status_code == 200, page.content
        data = page.json()["data"]
        assert data["source"] == "code"
        rows += data["result"]["rows"]
        cursor = data["next_cursor"]
    expected = list(Order.objects.filter(total__gt=100).order_by("-total", "id").values_list("id"))
    assert [r[0] for r in rows] == [e[0] for e in expected]


def test_preview_checks_and_shows_without_running(client: Client, hatch_on: None) -> None:
    api = api_for(client, coder())
    chat_id = api.new_chat()
    response = api.post(f"/chats/{chat_id}/code/preview", {"code": BIG_ORDERS})
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["executed"] is False and data["result"] is None
    assert "SELECT" in data["code"] and data["snippet"] == BIG_ORDERS
    assert QueryLog.objects.get(chat_id=chat_id).route == "escape_hatch"
    assert not Message.objects.filter(chat_id=chat_id).exists()


def test_a_refused_snippet_is_a_typed_422_and_the_chat_goes_on(
    client: Client, hatch_on: None
) -> None:
    api = api_for(client, coder())
    chat_id = api.new_chat()
    response = run(api, chat_id, 'Order.objects.filter(status="paid").delete()')
    assert response.status_code == 422
    data = response.json()["data"]
    assert data["error_code"] == "code_forbidden_attribute"
    assert (data["line"], data["column"]) == (1, 1)
    assert "read" in response.json()["message"] and data["hint"]
    response = run(api, chat_id, 'shop_Customer.objects.values("api_token")')
    assert response.json()["data"]["error_code"] == "code_unknown_field"
    assert run(api, chat_id, COUNT_PAID).status_code == 200
    kinds = list(Message.objects.filter(chat_id=chat_id).values_list("kind", flat=True))
    assert kinds == ["code", "error", "code", "error", "code", "answer"]


def test_bad_bodies_are_400(client: Client, hatch_on: None) -> None:
    api = api_for(client, coder())
    chat_id = api.new_chat()
    assert api.post(f"/chats/{chat_id}/code", {"code": 1}).status_code == 400
    assert api.post(f"/chats/{chat_id}/code", {"snippet": "x"}).status_code == 400
    response = api.post(f"/chats/{chat_id + 999}/code", {"code": COUNT_PAID})
    assert response.json()["data"]["error_code"] == "chat_not_found"


def test_the_snippet_is_gated_like_sql(client: Client, hatch_on: None) -> None:
    api = api_for(client, coder("quiet", code=False))
    data = run(api, api.new_chat(), COUNT_PAID).json()["data"]
    assert data["source"] == "code"
    assert "snippet" not in data and "code" not in data


def test_the_openapi_document_lists_the_endpoints_while_on(client: Client, hatch_on: None) -> None:
    api = api_for(client, coder())
    document = api.get("/openapi.json").json()
    validate_openapi(document)
    assert {"/api/chats/{chat_id}/code", "/api/chats/{chat_id}/code/preview"} <= set(
        document["paths"]
    )


# ---------------------------------------------------------------------------- CLI


def call(*args: str) -> str:
    out = StringIO()
    call_command("djai", "run-code", *args, stdout=out)
    return out.getvalue()


def test_run_code_prints_rows(tmp_path: Any, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "ESCAPE_HATCH": {"ENABLED": True}}
    coder()
    snippet = tmp_path / "q.py"
    snippet.write_text('Order.objects.values("status").annotate(n=Count("id")).order_by("status")')
    text = call(str(snippet), "--user", "coder", "--sql")
    assert "status" in text and "delivered" in text and "SELECT" in text
    data = json.loads(call(str(snippet), "--user", "coder", "--json"))
    expected = list(Order.objects.values_list("status").distinct().order_by("status"))
    assert [row[0] for row in data["result"]["rows"]] == [e[0] for e in expected]
    assert data["source"] == "code"


def test_run_code_refusals(tmp_path: Any, settings: Any) -> None:
    coder()
    make_staff("plain")
    snippet = tmp_path / "q.py"
    snippet.write_text(COUNT_PAID)
    with pytest.raises(CommandError, match=r"\[escape_hatch_disabled\]"):
        call(str(snippet), "--user", "coder")
    settings.DJAI = {**settings.DJAI, "ESCAPE_HATCH": {"ENABLED": True}}
    with pytest.raises(CommandError, match=r"\[escape_hatch_forbidden\]"):
        call(str(snippet), "--user", "plain")
    snippet.write_text("import os\nOrder.objects.count()")
    with pytest.raises(CommandError, match=r"\[code_forbidden_import\] line 1, column 1"):
        call(str(snippet), "--user", "coder")
    with pytest.raises(CommandError, match="required"):
        call(str(snippet))
