# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
"""The API endpoints the chat page added: ``GET api/capabilities`` (api/capabilities.py) and
the CSV export of an answer (api/export.py), through HTTP like any client."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from demo.shop.models import Customer, Order
from djai_dsl.models import Chat
from tests.fakes import PREFIX, Api, api, make_staff, scripted, staff  # noqa: F401

pytestmark = pytest.mark.django_db

LISTING = "from shop.order select id, total, created_at sort id"
COUNT = "from shop.order aggregate orders = count()"


def export(api: Api, chat_id: int, message_id: int) -> Any:
    return api.client.get(f"{PREFIX}/chats/{chat_id}/messages/{message_id}/export.csv")


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def answered(api: Api, dsl: str, **body: Any) -> tuple[int, dict[str, Any]]:
    chat_id = api.new_chat()
    response = api.ask(chat_id, dsl, **body)
    assert response.status_code == 200, response.content
    envelope = response.json()
    assert envelope["type"] == "answer", envelope
    return chat_id, envelope


# --------------------------------------------------------------------------- capabilities


def test_capabilities_follow_settings_and_permissions(
    api: Api, client: Client, settings: Any
) -> None:
    body = api.get("/capabilities").json()
    assert body["preview_before_run"] is False
    assert body["show_code"] is False  # no djai_dsl.view_generated_code
    assert body["page_size"] == 100 and body["export_max_rows"] == 100_000
    assert body["focus"] is None
    assert {"label": "shop.order", "name": "orders"} in body["models"]
    assert body["examples"]

    settings.DJAI = {**settings.DJAI, "PREVIEW_BEFORE_RUN": True, "EXPORT_MAX_ROWS": 10}
    client.force_login(make_staff("dev", code=True))
    body = Api(client).get("/capabilities").json()
    assert (body["preview_before_run"], body["show_code"], body["export_max_rows"]) == (
        True,
        True,
        10,
    )


def test_capabilities_focus_a_model_the_user_may_see(api: Api, client: Client) -> None:
    body = api.get("/capabilities", model="shop.order").json()
    assert body["focus"] == {"label": "shop.order", "name": "orders"}
    assert body["examples"][0] == "How many orders are there?"
    assert body["examples"] and all("orders" in q for q in body["examples"])
    # A model the user may not view is not offered, and does not say it exists.
    assert api.get("/capabilities", model="auth.user").json()["focus"] is None
    response = api.get("/capabilities", model="not a label")
    assert response.status_code == 400 and response.json()["data"]["error_code"] == "bad_request"


def test_capabilities_need_the_assistant_permission(client: Client, scripted: Any) -> None:
    client.force_login(make_staff("visitor", assistant=False))
    response = client.get(f"{PREFIX}/capabilities")
    assert response.status_code == 403
    assert response.json()["data"]["error_code"] == "forbidden"


# --------------------------------------------------------------------------- export


def test_export_streams_every_row_not_just_the_first_page(api: Api) -> None:
    chat_id, envelope = answered(api, LISTING, client_context={"timezone": "Europe/Berlin"})
    assert envelope["data"]["truncated"] is True  # the answer itself has one page
    response = export(api, chat_id, envelope["data"]["message_id"])
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="shop-order-')
    assert response["X-Djai-Export-Max-Rows"] == "100000"
    rows = csv_rows(response)
    assert rows[0] == ["id", "total", "created_at"]
    orders = list(Order.objects.order_by("id"))
    assert len(rows) - 1 == len(orders)
    first = orders[0]
    # Same values as the answer: exact decimals, times in the answer's zone.
    assert rows[1][:2] == [str(first.pk), str(first.total)]
    assert rows[1][2] == envelope["data"]["result"]["rows"][0][2]
    assert rows[1][2].endswith(("+01:00", "+02:00"))


def test_export_is_capped_by_the_setting(api: Api, settings: Any) -> None:
    chat_id, envelope = answered(api, LISTING)
    settings.DJAI = {**settings.DJAI, "EXPORT_MAX_ROWS": 250, "MAX_PAGE_SIZE": 100}
    rows = csv_rows(export(api, chat_id, envelope["data"]["message_id"]))
    assert len(rows) == 1 + 250
    assert [int(r[0]) for r in rows[1:]] == list(
        Order.objects.order_by("id").values_list("id", flat=True)[:250]
    )


def test_export_keeps_the_plan_limit_and_single_rows(api: Api) -> None:
    chat_id, envelope = answered(api, LISTING + " limit 7")
    assert len(csv_rows(export(api, chat_id, envelope["data"]["message_id"]))) == 1 + 7
    chat_id, envelope = answered(api, COUNT)
    rows = csv_rows(export(api, chat_id, envelope["data"]["message_id"]))
    assert rows == [["orders"], [str(Order.objects.count())]]


def test_export_defuses_spreadsheet_formulas(api: Api) -> None:
    customer = Customer.objects.order_by("id").first()
    assert customer is not None
    customer.name = '=HYPERLINK("http://example.com","click")'
    customer.save()
    dsl = f"from shop.customer where id = {customer.pk} select id, name, is_active"
    chat_id, envelope = answered(api, dsl)
    rows = csv_rows(export(api, chat_id, envelope["data"]["message_id"]))
    assert rows[1] == [str(customer.pk), "'" + customer.name, str(customer.is_active).lower()]


def test_export_needs_an_answer_of_ones_own_chat(api: Api, client: Client) -> None:
    chat_id, envelope = answered(api, COUNT)
    message_id = envelope["data"]["message_id"]
    question_id = message_id - 1  # the user's message: not an answer
    response = export(api, chat_id, question_id)
    assert response.status_code == 404
    assert response.json()["data"]["error_code"] == "message_not_found"

    client.force_login(make_staff("other"))
    response = Api(client).client.get(f"{PREFIX}/chats/{chat_id}/messages/{message_id}/export.csv")
    assert response.status_code == 404
    assert response.json()["data"]["error_code"] == "chat_not_found"


def test_export_checks_view_permission_again(api: Api, staff: User) -> None:
    """A model the user may no longer view cannot be exported from an old answer."""
    chat_id, envelope = answered(api, COUNT)
    staff.user_permissions.remove(*staff.user_permissions.filter(codename="view_order"))
    api.client.force_login(User.objects.get(pk=staff.pk))
    response = export(api, chat_id, envelope["data"]["message_id"])
    assert response.status_code in (400, 422), response.content
    assert response.json()["type"] == "error"


def test_export_and_capabilities_are_in_the_openapi_document(api: Api) -> None:
    document = api.get("/openapi.json").json()
    assert "/api/capabilities" in document["paths"]
    assert "/api/chats/{chat_id}/messages/{message_id}/export.csv" in document["paths"]
    schema = document["components"]["schemas"]["CapabilitiesOut"]
    assert "preview_before_run" in schema["properties"]
    json.dumps(document)  # serialisable as served


def test_deleted_chats_cannot_be_exported(api: Api) -> None:
    chat_id, envelope = answered(api, COUNT)
    Chat.objects.filter(pk=chat_id).update(deleted_at=Chat.objects.get(pk=chat_id).created_at)
    response = export(api, chat_id, envelope["data"]["message_id"])
    assert response.status_code == 404
