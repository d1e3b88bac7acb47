"""The API's endpoints, described: the list the OpenAPI document is built from.

One :class:`Endpoint` per URL path (written as OpenAPI writes it, relative to where the host
mounted ``djai_dsl.api.urls``), with its path parameters and its operations: method,
summary, query parameters, request body model, success response and the error statuses it
adds to those every endpoint can answer. A view serves the methods of its description
(``@endpoint(CHATS.methods)``), so it answers exactly what the document says it does.

This is the bottom of the api package: it knows the body and resource models
(:mod:`~djai_dsl.api.schemas`) and nothing else of the API (and, for the escape hatch's
endpoints, whether the hatch is on). It is data, not a document:
:mod:`~djai_dsl.api.openapi` renders :data:`ENDPOINTS` into OpenAPI without importing a
view, and the views import this module, never the document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from djai_dsl.api import schemas
from djai_dsl.escape.policy import escape_hatch_enabled

#: Every question to a chat can also meet a missing chat, a stale or expired clarification,
#: an invalid plan, the rate limit, an unavailable planner or a query timeout.
ASK_ERRORS = (404, 409, 410, 422, 429, 503, 504)

CSRF = (
    "State-changing calls need the CSRF token of the admin session in the X-CSRFToken "
    "header (GET chats sets the csrftoken cookie)."
)

CHAT_ID = {
    "name": "chat_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
    "description": "One of the user's chats (another user's chat is 404 chat_not_found).",
}


def message_id(description: str) -> dict[str, Any]:
    return {
        "name": "message_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
        "description": description,
    }


@dataclass(frozen=True)
class Response:
    """The success response: a body described by a model (which becomes a component), by
    another named component, by an inline schema, or no body at all."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    component: str = ""
    schema: dict[str, Any] | None = None
    media_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    method: str  # upper case, as Django's request.method
    summary: str
    response: Response
    errors: tuple[int, ...] = ()  # beyond 400, 403, 405 and 500, which any endpoint answers
    description: str = ""
    query: tuple[dict[str, Any], ...] = ()  # OpenAPI parameter objects
    body: type[BaseModel] | None = None  # the JSON request body


@dataclass(frozen=True)
class Endpoint:
    path: str
    operations: tuple[Operation, ...]
    parameters: tuple[dict[str, Any], ...] = ()  # path parameters, shared by the operations
    # Whether the endpoint exists now (the escape hatch's only while it is on); None: always.
    exists: Callable[[], bool] | None = None

    def documented(self) -> bool:
        return self.exists is None or self.exists()

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(op.method for op in self.operations)


#: What a question to a chat answers with 200: the envelope union (``Envelope`` component).
ENVELOPE_OK = Response(
    200,
    "answer, clarification or out_of_scope envelope (errors have other statuses)",
    component="Envelope",
)

CAPABILITIES = Endpoint(
    "/api/capabilities",
    (
        Operation(
            "GET",
            "What this user may do, and settings a client should follow",
            Response(200, "Capabilities", model=schemas.CapabilitiesOut),
            query=(
                {
                    "name": "model",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": schemas.MODEL_LABEL_PATTERN},
                    "description": "Focus the examples on this model ('shop.order').",
                },
            ),
        ),
    ),
)

EXPORT_CSV = Endpoint(
    "/api/chats/{chat_id}/messages/{message_id}/export.csv",
    (
        Operation(
            "GET",
            "Every row of an answer as CSV (streamed; at most EXPORT_MAX_ROWS)",
            Response(
                200,
                "CSV with a header line of column names; the row cap is in the "
                "X-Djai-Export-Max-Rows header",
                schema={"type": "string"},
                media_type="text/csv",
            ),
            errors=(404, 422, 504),
        ),
    ),
    parameters=(CHAT_ID, message_id("data.message_id of an answer that ran")),
)

CHATS = Endpoint(
    "/api/chats",
    (
        Operation(
            "GET",
            "List the user's chats, most recently active first",
            Response(200, "The chats", model=schemas.ChatListOut),
            query=(
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ),
        ),
        Operation(
            "POST",
            "Start a chat",
            Response(201, "The new chat", model=schemas.ChatOut),
            description=CSRF,
            body=schemas.ChatCreateIn,
        ),
    ),
)

CHAT = Endpoint(
    "/api/chats/{chat_id}",
    (
        Operation(
            "GET",
            "One chat, with its pending clarification",
            Response(200, "The chat", model=schemas.ChatOut),
            errors=(404,),
        ),
        Operation(
            "PATCH",
            "Rename a chat",
            Response(200, "The chat", model=schemas.ChatOut),
            errors=(404,),
            body=schemas.ChatRenameIn,
        ),
        Operation(
            "DELETE",
            "Delete a chat (hidden from its owner; kept for audit)",
            Response(204, "Deleted"),
            errors=(404,),
        ),
    ),
    parameters=(CHAT_ID,),
)

MESSAGES = Endpoint(
    "/api/chats/{chat_id}/messages",
    (
        Operation(
            "GET",
            "The chat's messages, oldest first",
            Response(200, "Messages", model=schemas.MessageListOut),
            errors=(404,),
        ),
    ),
    parameters=(CHAT_ID,),
)

MESSAGE = Endpoint(
    "/api/chats/{chat_id}/message",
    (
        Operation(
            "POST",
            "Ask a question (or answer a pending clarification)",
            ENVELOPE_OK,
            errors=ASK_ERRORS,
            description=CSRF,
            body=schemas.MessageIn,
        ),
    ),
    parameters=(CHAT_ID,),
)

PLAN = Endpoint(
    "/api/chats/{chat_id}/plan",
    (
        Operation(
            "POST",
            "Preview the plan for a question or a DSL text; nothing runs",
            ENVELOPE_OK,
            errors=ASK_ERRORS,
            description="An answer envelope with data.executed false and data.result null, "
            "or a clarification / out_of_scope envelope. " + CSRF,
            body=schemas.PlanIn,
        ),
    ),
    parameters=(CHAT_ID,),
)

RUN = Endpoint(
    "/api/chats/{chat_id}/run",
    (
        Operation(
            "POST",
            "Run a DSL text (e.g. an edited plan)",
            ENVELOPE_OK,
            errors=ASK_ERRORS,
            description=CSRF,
            body=schemas.RunIn,
        ),
    ),
    parameters=(CHAT_ID,),
)

PAGE = Endpoint(
    "/api/chats/{chat_id}/messages/{message_id}/page",
    (
        Operation(
            "GET",
            "The next page of an answer",
            ENVELOPE_OK,
            errors=ASK_ERRORS,
            query=(
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
            ),
        ),
    ),
    parameters=(CHAT_ID, message_id("data.message_id of the answer")),
)

OPENAPI = Endpoint(
    "/api/openapi.json",
    (Operation("GET", "This document", Response(200, "OpenAPI 3.1", schema={"type": "object"})),),
)

METRICS = Endpoint(
    "/api/metrics",
    (
        Operation(
            "GET",
            "Metrics in Prometheus text format (needs djai_dsl.view_querylog)",
            Response(
                200,
                "Prometheus exposition format",
                schema={"type": "string"},
                media_type="text/plain",
            ),
        ),
    ),
)

#: Every documented endpoint, in the order the published document lists them.
CODE_ERRORS = (404, 422, 429, 504)

CODE = Endpoint(
    "/api/chats/{chat_id}/code",
    (
        Operation(
            "POST",
            "Run an ORM snippet (escape hatch; djai_dsl.use_escape_hatch)",
            Response(200, "answer envelope with data.source 'code'", component="Envelope"),
            errors=CODE_ERRORS,
            description=CSRF,
            body=schemas.CodeIn,
        ),
    ),
    parameters=(CHAT_ID,),
    exists=escape_hatch_enabled,
)

CODE_PREVIEW = Endpoint(
    "/api/chats/{chat_id}/code/preview",
    (
        Operation(
            "POST",
            "Check an ORM snippet and show its SQL; nothing runs",
            Response(200, "answer envelope with data.executed false", component="Envelope"),
            errors=CODE_ERRORS,
            description=CSRF,
            body=schemas.CodeIn,
        ),
    ),
    parameters=(CHAT_ID,),
    exists=escape_hatch_enabled,
)

ENDPOINTS: tuple[Endpoint, ...] = (
    CAPABILITIES,
    EXPORT_CSV,
    CHATS,
    CHAT,
    MESSAGES,
    MESSAGE,
    PLAN,
    RUN,
    PAGE,
    CODE,
    CODE_PREVIEW,
    OPENAPI,
    METRICS,
)
