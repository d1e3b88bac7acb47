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

from django.http import HttpRequest, HttpResponse

from djai_dsl.api.endpoints import CODE, CODE_PREVIEW
from djai_dsl.api.schemas import CodeIn
from djai_dsl.api.views import client_context, endpoint, read_body, reply_response
from djai_dsl.chat.service import ChatService
from djai_dsl.escape import require_escape_hatch
from djai_dsl.models import QueryLog


@endpoint(CODE.methods, logged_kind=QueryLog.Kind.RUN)
def run_code(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    require_escape_hatch(request.user)  # before the body is even read
    body = read_body(request, CodeIn)
    return reply_response(
        service.run_code(chat_id, body.code, client_context(body.client_context), body.page_size)
    )


@endpoint(CODE_PREVIEW.methods, logged_kind=QueryLog.Kind.PREVIEW)
def preview_code(request: HttpRequest, service: ChatService, chat_id: int) -> HttpResponse:
    require_escape_hatch(request.user)
    body = read_body(request, CodeIn)
    return reply_response(
        service.run_code(chat_id, body.code, client_context(body.client_context), execute=False)
    )
