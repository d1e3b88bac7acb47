"""The OpenAPI 3.1 document of the API, generated from the same Pydantic models the views
validate with and the composer builds, so it cannot drift from the code unnoticed (a test
checks every URL pattern is documented and validates the document)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import djai_dsl
from djai_dsl.api import schemas
from djai_dsl.chat import envelope
from djai_dsl.errors import ERROR_CLASSES

REF = "#/components/schemas/{model}"

INPUT_MODELS: tuple[type[BaseModel], ...] = (
    schemas.MessageIn,
    schemas.PlanIn,
    schemas.RunIn,
    schemas.ChatCreateIn,
    schemas.ChatRenameIn,
)
OUTPUT_MODELS: tuple[type[BaseModel], ...] = (
    schemas.ChatOut,
    schemas.ChatListOut,
    schemas.MessageListOut,
    envelope.AnswerEnvelope,
    envelope.ClarificationEnvelope,
    envelope.OutOfScopeEnvelope,
    envelope.ErrorEnvelope,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    codes: dict[int, list[str]] = {}
    for cls in ERROR_CLASSES:
        codes.setdefault(cls.http_status, []).append(cls.code)
    wanted = sorted({400, 403, 405, 500, *statuses})
    return {
        str(status): _json(
            _ref("ErrorEnvelope"),
            "Error envelope; data.error_code one of: "
            + ", ".join(sorted(codes.get(status, ["method_not_allowed"]))),
        )
        for status in wanted
    }


def _body(model: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


CHAT_ID = {
    "name": "chat_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
    "description": "One of the user's chats (another user's chat is 404 chat_not_found).",
}
ENVELOPE = {"$ref": REF.format(model="Envelope")}
CHAT_STATES = (404, 429)  # every chat question can hit a missing chat or the rate limit
ASK_ERRORS = (404, 409, 410, 422, 429, 503, 504)
CSRF = (
    "State-changing calls need the CSRF token of the admin session in the X-CSRFToken "
    "header (GET chats sets the csrftoken cookie)."
)


def _paths() -> dict[str, Any]:
    # Imported here: these modules import views, which imports this one.
    from djai_dsl.api import capabilities, code, export

    envelope_ok = _json(
        ENVELOPE, "answer, clarification or out_of_scope envelope (errors have other statuses)"
    )
    return {
        **capabilities.openapi_paths(),
        **export.openapi_paths(),
        **code.openapi_paths(),
        "/api/chats": {
            "get": {
                "summary": "List the user's chats, most recently active first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    }
                ],
                "responses": {"200": _json(_ref("ChatListOut"), "The chats"), **_errors()},
            },
            "post": {
                "summary": "Start a chat",
                "description": CSRF,
                "requestBody": _body("ChatCreateIn"),
                "responses": {"201": _json(_ref("ChatOut"), "The new chat"), **_errors()},
            },
        },
        "/api/chats/{chat_id}": {
            "parameters": [CHAT_ID],
            "get": {
                "summary": "One chat, with its pending clarification",
                "responses": {"200": _json(_ref("ChatOut"), "The chat"), **_errors(404)},
            },
            "patch": {
                "summary": "Rename a chat",
                "requestBody": _body("ChatRenameIn"),
                "responses": {"200": _json(_ref("ChatOut"), "The chat"), **_errors(404)},
            },
            "delete": {
                "summary": "Delete a chat (hidden from its owner; kept for audit)",
                "responses": {"204": {"description": "Deleted"}, **_errors(404)},
            },
        },
        "/api/chats/{chat_id}/messages": {
            "parameters": [CHAT_ID],
            "get": {
                "summary": "The chat's messages, oldest first",
                "responses": {"200": _json(_ref("MessageListOut"), "Messages"), **_errors(404)},
            },
        },
        "/api/chats/{chat_id}/message": {
            "parameters": [CHAT_ID],
            "post": {
                "summary": "Ask a question (or answer a pending clarification)",
                "description": CSRF,
                "requestBody": _body("MessageIn"),
                "responses": {"200": envelope_ok, **_errors(*ASK_ERRORS)},
            },
        },
        "/api/chats/{chat_id}/plan": {
            "parameters": [CHAT_ID],
            "post": {
                "summary": "Preview the plan for a question or a DSL text; nothing runs",
                "description": "An answer envelope with data.executed false and data.result "
                "null, or a clarification / out_of_scope envelope. " + CSRF,
                "requestBody": _body("PlanIn"),
                "responses": {"200": envelope_ok, **_errors(*ASK_ERRORS)},
            },
        },
        "/api/chats/{chat_id}/run": {
            "parameters": [CHAT_ID],
            "post": {
                "summary": "Run a DSL text (e.g. an edited plan)",
                "description": CSRF,
                "requestBody": _body("RunIn"),
                "responses": {"200": envelope_ok, **_errors(*ASK_ERRORS)},
            },
        },
        "/api/chats/{chat_id}/messages/{message_id}/page": {
            "parameters": [
                CHAT_ID,
                {
                    "name": "message_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                    "description": "data.message_id of the answer",
                },
            ],
            "get": {
                "summary": "The next page of an answer",
                "parameters": [
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "data.next_cursor",
                    },
                    {
                        "name": "page_size",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "responses": {"200": envelope_ok, **_errors(*ASK_ERRORS)},
            },
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_errors(),
                },
            }
        },
        "/api/metrics": {
            "get": {
                "summary": "Metrics in Prometheus text format (needs djai_dsl.view_querylog)",
                "responses": {
                    "200": {
                        "description": "Prometheus exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(),
                },
            }
        },
    }


@cache
def _components() -> dict[str, Any]:
    from djai_dsl.api.capabilities import CapabilitiesOut

    models = [(m, "validation") for m in INPUT_MODELS] + [
        (m, "serialization") for m in (*OUTPUT_MODELS, CapabilitiesOut)
    ]
    _keys, defs = models_json_schema(models, ref_template=REF)
    components = dict(defs.get("$defs", {}))
    union = envelope.ENVELOPE_ADAPTER.json_schema(ref_template=REF)
    union.pop("$defs", None)
    components["Envelope"] = union
    return components


def openapi_document(server_url: str = "/ai-assistant") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "djai data assistant API",
            "version": djai_dsl.__version__,
            "description": "Staff-only API of the djai chat: questions in words become "
            "validated query plans that run read-only. Every answer to a question is one "
            "envelope {type, message, data, meta}. Authentication: the Django admin session "
            "(active staff with the djai_dsl.use_assistant permission).",
        },
        "servers": [{"url": server_url or "/"}],
        "paths": _paths(),
        "components": {"schemas": _components()},
    }
