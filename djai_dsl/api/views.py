"""HTTP views of ``/ai-assistant/api/``: auth, CSRF, size limits and body parsing, then the
chat service. Views hold no logic of their own beyond turning HTTP into service calls.

Every view goes through :func:`endpoint`, which

- lets only active staff users with ``djai_dsl.use_assistant`` in (403 envelope otherwise);
- checks CSRF on state-changing methods itself, the way the admin's session auth needs it,
  and answers a failure with a ``csrf_failed`` envelope rather than Django's HTML page;
- answers every failure with an error envelope and its status: bad JSON, unknown fields, a
  body over ``MAX_REQUEST_BYTES``, a wrong method (405), a missing chat (404). A bug
  anywhere becomes an ``internal_error`` envelope (500) and a logged traceback;
- is ``non_atomic_requests``: with ``ATOMIC_REQUESTS`` the user's query would otherwise run
  inside the request's transaction, while the executor must own its read-only one;
- sets ``X-Trace-Id`` on the response (the caller's, when it sent a sane one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ValidationError

from djai_dsl.api import schemas
from djai_dsl.api.endpoints import CHAT, CHATS, MESSAGE, MESSAGES, METRICS, OPENAPI, PAGE, PLAN, RUN
from djai_dsl.api.openapi import openapi_document
from djai_dsl.chat import composer
from djai_dsl.chat.composer import MetaInfo
from djai_dsl.chat.envelope import envelope_json
from djai_dsl.chat.service import (
    USE_PERMISSION,
    ChatService,
    ClarificationAnswer,
    ClientContext,
    Reply,
)
from djai_dsl.conf import get_config
from djai_dsl.errors import (
    BadRequest,
    CsrfFailed,
    DjaiError,
    ErrorDetail,
    Forbidden,
    InputTooLarge,
    MethodNotAllowed,
    NotFound,
)
from djai_dsl.models import Chat, Message, QueryLog
from djai_dsl.observability import accept_trace_id, prometheus_text

logger = logging.getLogger("djai_dsl.api")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
METRICS_PERMISSION = "djai_dsl.view_querylog"

M = TypeVar("M", bound=BaseModel)
View = Callable[..., HttpResponse]


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, returning the failure reason instead of an HTML response."""

    def _reject(self, request: HttpRequest, reason: str) -> str:  # type: ignore[override]
        return reason


def check_csrf(request: HttpRequest) -> None:
    check = _CsrfCheck(lambda req: HttpResponse())
    check.process_request(request)
    try:
        reason = check.process_view(request, lambda: None, (), {})  # type: ignore[arg-type]
    except MultiPartParserError:
        # The check reads request.POST for a form token; a broken multipart body (e.g. no
        # boundary) would escape Django's check as a 500.
        raise BadRequest("The request body is not valid multipart data; send JSON.") from None
    if reason:
        raise CsrfFailed(hint=str(reason))


def may_use_assistant(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(USE_PERMISSION)
    )


def endpoint(
    methods: tuple[str, ...], *, logged_kind: str | None = None, permission: str = USE_PERMISSION
) -> Callable[[View], View]:
    """Wrap a view: auth, method, CSRF, trace id, errors as envelopes (see the module doc).

    ``methods``: those its description in :mod:`~djai_dsl.api.endpoints` documents (e.g.
    ``CHATS.methods``), so the view answers exactly what the OpenAPI document says.

    ``logged_kind``: failures before the service runs (a bad body) are logged as requests of
    this QueryLog kind, so that error rates count them.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            trace_id = accept_trace_id(request.headers.get("X-Trace-Id"))
            service: ChatService | None = None
            try:
                user = request.user
                if not may_use_assistant(user) or (
                    permission != USE_PERMISSION and not user.has_perm(permission)
                ):
                    raise Forbidden("Only staff users with access to the assistant may use it.")
                if request.method not in methods:
                    raise MethodNotAllowed(hint="allowed: " + ", ".join(methods))
                if request.method not in SAFE_METHODS:
                    check_csrf(request)
                service = ChatService(user, trace_id=trace_id)
                response = view(request, service, **kwargs)
            except DjaiError as exc:
                if service is not None and logged_kind is not None:
                    response = reply_response(
                        service.reject(logged_kind, exc, chat_id=kwargs.get("chat_id"))
                    )
                else:
                    response = error_response(exc, trace_id)
                if isinstance(exc, MethodNotAllowed):
                    response["Allow"] = ", ".join(methods)
            except Exception:
                logger.exception("djai API error (trace %s)", trace_id)
                response = error_response(DjaiError(), trace_id)
            response["X-Trace-Id"] = trace_id
            return response

        return csrf_exempt(transaction.non_atomic_requests(wrapped))

    return decorator


def error_response(exc: DjaiError, trace_id: str, chat_id: int | None = None) -> JsonResponse:
    envelope = composer.error(MetaInfo(chat_id, trace_id), exc)
    response = JsonResponse(envelope_json(envelope), status=exc.http_status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def reply_response(reply: Reply) -> JsonResponse:
    response = JsonResponse(reply.envelope, status=reply.status)
    for name, value in reply.headers.items():
        response[name] = value
    return response


def read_body(request: HttpRequest, model: type[M]) -> M:
    """The JSON body validated by ``model``; every problem is a 400 envelope."""
    limit = int(get_config()["MAX_REQUEST_BYTES"])
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise InputTooLarge(f"The request body is larger than {limit} bytes.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise InputTooLarge(f"The request body is larger than {limit} bytes.") from None
    if len(body) > limit:
        raise InputTooLarge(f"The request body is larger than {limit} bytes.")
    if request.content_type != "application/json":
        raise BadRequest(
            "Send the body as JSON.", hint="set the header Content-Type: application/json"
        )
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return validated(model, data)


def read_query(request: HttpRequest, model: type[M]) -> M:
    data = {key: request.GET.get(key) for key in request.GET}
    return validated(model, data)


def validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            ErrorDetail(_problem(err), path=".".join(str(part) for part in err["loc"]) or "(body)")
            for err in exc.errors(include_url=False)
        ]
        first = details[0]
        raise BadRequest(f"{first.path}: {first.message}", details=details) from None


def _problem(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "this field is required"
    return str(error["msg"])


def client_context(ctx: schemas.ClientContextIn | None) -> ClientContext | None:
    return None if ctx is None else ClientContext(timezone=ctx.timezone, locale=ctx.locale)


# --------------------------------------------------------------------------- resources


def chat_json(chat: Chat) -> dict[str, Any]:
    pending = chat.pending_clarification
    pending_out = None
    if isinstance(pending, dict) and pending.get("id"):
        pending_out = {
            "id": pending["id"],
            "question": pending.get("question", ""),
            "options": [
                {"id": o.get("id"), "label": o.get("label")} for o in pending.get("options", [])
            ],
            "expires_at": pending.get("expires_at", ""),
        }
    return {
        "id": chat.pk,
        "title": chat.title,
        "title_source": chat.title_source,
        "current_topic": chat.current_topic,
        "conversation_summary": chat.conversation_summary,
        "pending_clarification": pending_out,
        "created_at": chat.created_at.isoformat(),
        "updated_at": chat.updated_at.isoformat(),
    }


def message_json(message: Message) -> dict[str, Any]:
    envelope = message.envelope
    if isinstance(envelope, dict) and envelope.get("type") == "answer":
        # Stored before the row had an id: give the answer its id as it was sent.
        envelope = {**envelope, "data": {**envelope["data"], "message_id": message.pk}}
    return {
        "id": message.pk,
        "role": message.role,
        "kind": message.kind,
        "content": message.content,
        "envelope": envelope,
        "plan": message.plan_dsl,
        "trace_id": message.trace_id,
        "created_at": message.created_at.isoformat(),
    }


# --------------------------------------------------------------------------- views


@endpoint(CHATS.methods)
def chats(request: HttpRequest, service: ChatService) -> HttpResponse:
    """GET: the user's chats, most recently active first. POST: start a chat."""
    if request.method == "POST":
        body = read_body(request, schemas.ChatCreateIn)
        return JsonResponse(chat_json(service.create_chat(body.title)), status=201)
    query = read_query(request, schemas.ChatListQuery)
    get_token(request)  # a CSRF cookie for the POSTs that follow
    return JsonResponse({"chats": [chat_json(c) for c in service.chats(query.limit)]})


@endpoint(CHAT.methods)
def chat_detail(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    """GET: one chat. PATCH {title}: rename it. DELETE: hide it (kept for audit)."""
    if request.method == "PATCH":
        body = read_body(request, schemas.ChatRenameIn)
        return JsonResponse(chat_json(service.rename_chat(chat_id, body.title)))
    if request.method == "DELETE":
        service.delete_chat(chat_id)
        return HttpResponse(status=204)
    return JsonResponse(chat_json(service.chat(chat_id)))


@endpoint(MESSAGES.methods)
def messages(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    return JsonResponse(
        {"chat_id": chat_id, "messages": [message_json(m) for m in service.messages(chat_id)]}
    )


@endpoint(MESSAGE.methods, logged_kind=QueryLog.Kind.MESSAGE)
def message(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    """Ask a question: answer, clarification, out_of_scope or error envelope."""
    body = read_body(request, schemas.MessageIn)
    answer = None
    if body.clarification is not None:
        answer = ClarificationAnswer(
            body.clarification.pending_clarification_id, body.clarification.option_id
        )
    return reply_response(
        service.send_message(chat_id, body.content, client_context(body.client_context), answer)
    )


@endpoint(PLAN.methods, logged_kind=QueryLog.Kind.PREVIEW)
def plan(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    """Preview: the plan for a question (or a DSL text) with explanation and SQL; no rows."""
    body = read_body(request, schemas.PlanIn)
    return reply_response(
        service.preview(
            chat_id,
            content=body.content,
            dsl=body.dsl,
            client_context=client_context(body.client_context),
        )
    )


@endpoint(RUN.methods, logged_kind=QueryLog.Kind.RUN)
def run(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    body = read_body(request, schemas.RunIn)
    return reply_response(
        service.run_query(chat_id, body.dsl, client_context(body.client_context), body.page_size)
    )


@endpoint(PAGE.methods, logged_kind=QueryLog.Kind.PAGE)
def page(request: HttpRequest, service: ChatService, chat_id: int, message_id: int) -> HttpResponse:
    query = read_query(request, schemas.PageQuery)
    return reply_response(service.next_page(chat_id, message_id, query.cursor, query.page_size))


@endpoint(OPENAPI.methods)
def openapi(request: HttpRequest, service: ChatService) -> HttpResponse:
    prefix = request.path.rsplit("/api/openapi.json", 1)[0]  # where the host mounted us
    return JsonResponse(openapi_document(server_url=prefix))


@endpoint(METRICS.methods, permission=METRICS_PERMISSION)
def metrics(request: HttpRequest, service: ChatService) -> HttpResponse:
    return HttpResponse(prometheus_text(), content_type="text/plain; version=0.0.4; charset=utf-8")


@endpoint(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
def not_found(request: HttpRequest, service: ChatService, **kwargs: Any) -> HttpResponse:
    raise NotFound("There is no such API endpoint.", hint="see openapi.json")
