"""The escape hatch over HTTP: ``POST chats/{chat_id}/code`` runs an ORM snippet and
``POST chats/{chat_id}/code/preview`` checks one and shows its SQL without running it.

Both exist only while ``DJAI["ESCAPE_HATCH"]["ENABLED"]`` is on: otherwise they answer
``escape_hatch_disabled`` (404) and the OpenAPI document does not list them. A user without
``djai_dsl.use_escape_hatch`` gets ``escape_hatch_forbidden`` (403). The answer is the usual
envelope, marked ``data.source: "code"``; a refused snippet is a 422 envelope whose
``data.error_code`` says why (``code_forbidden_node``, ``code_unknown_field``...) with the
line and column and, in ``hint``, what is allowed instead.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from pydantic import Field

from djai_dsl.api import schemas
from djai_dsl.api.views import client_context, endpoint, read_body, reply_response
from djai_dsl.chat.service import ChatService
from djai_dsl.escape import escape_hatch_enabled, require_escape_hatch
from djai_dsl.models import QueryLog


class CodeIn(schemas._In):
    """``POST chats/{chat_id}/code`` and ``.../code/preview``: an ORM snippet."""

    code: str = Field(
        description="One Python expression over the preloaded models (or assignments ending "
        "in one), e.g. Order.objects.filter(status='paid').count(). Checked and interpreted "
        "by djai, never executed."
    )
    client_context: schemas.ClientContextIn | None = None
    page_size: int | None = Field(default=None, ge=1, description="Rows per page.")


def _refuse_unless_permitted(request: HttpRequest) -> None:
    require_escape_hatch(request.user)


@endpoint(("POST",), logged_kind=QueryLog.Kind.RUN)
def run_code(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    _refuse_unless_permitted(request)
    body = read_body(request, CodeIn)
    return reply_response(
        service.run_code(chat_id, body.code, client_context(body.client_context), body.page_size)
    )


@endpoint(("POST",), logged_kind=QueryLog.Kind.PREVIEW)
def preview_code(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    _refuse_unless_permitted(request)
    body = read_body(request, CodeIn)
    return reply_response(
        service.run_code(chat_id, body.code, client_context(body.client_context), execute=False)
    )


def openapi_paths() -> dict[str, Any]:
    """These endpoints' entries in the OpenAPI document: none while the hatch is off."""
    if not escape_hatch_enabled():
        return {}
    from djai_dsl.api.openapi import CHAT_ID, CSRF, ENVELOPE, _errors, _json

    body = {
        "required": True,
        "content": {"application/json": {"schema": CodeIn.model_json_schema()}},
    }
    ok = _json(ENVELOPE, "answer envelope with data.source 'code'")
    return {
        "/api/chats/{chat_id}/code": {
            "parameters": [CHAT_ID],
            "post": {
                "summary": "Run an ORM snippet (escape hatch; djai_dsl.use_escape_hatch)",
                "description": CSRF,
                "requestBody": body,
                "responses": {"200": ok, **_errors(404, 422, 429, 504)},
            },
        },
        "/api/chats/{chat_id}/code/preview": {
            "parameters": [CHAT_ID],
            "post": {
                "summary": "Check an ORM snippet and show its SQL; nothing runs",
                "description": CSRF,
                "requestBody": body,
                "responses": {"200": ok, **_errors(404, 422, 429)},
            },
        },
    }
