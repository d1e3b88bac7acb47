"""``GET api/chats/{chat_id}/messages/{message_id}/export.csv``: every row of an answer as CSV.

The answer's stored plan is compiled again with the time zone and "now" it ran with (as the
page endpoint does), then read page after page through the read-only executor — each page
in its own short read-only transaction with the statement timeout — and streamed, so a big
export never sits in memory and never holds one long transaction open. It stops after
``DJAI["EXPORT_MAX_ROWS"]`` rows (and within the plan's own ``limit``); the response says
the cap in ``X-Djai-Export-Max-Rows``.

Everything that can fail for a reason the user can act on (a chat or answer that is not
theirs, a model they may no longer view, a plan over the limits) fails before the first byte,
as an error envelope with its status. A failure on a later page can only end the download
early; it is logged with the trace id.

Cells are the API's normalised values (dates in the answer's time zone, decimals exact).
Text that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) is prefixed with ``'``, as OWASP advises against CSV injection.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from djai_dsl.api.endpoints import EXPORT_CSV
from djai_dsl.api.views import endpoint
from djai_dsl.chat.service import ChatService
from djai_dsl.compiler import CompiledQuery, compile_plan
from djai_dsl.compiler.types import Column
from djai_dsl.conf import get_config
from djai_dsl.errors import MessageNotFound
from djai_dsl.executor import ReadOnlyExecutor, Result
from djai_dsl.grammar import parse
from djai_dsl.manifest import build_manifest
from djai_dsl.models import Message
from djai_dsl.observability import log_event

logger = logging.getLogger("djai_dsl.api")

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TEXT_TYPES = frozenset({"string", "text"})


class _Echo:
    """A file-like object whose ``write`` returns what it is given: ``csv.writer`` then
    hands back each formatted line instead of buffering it (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if column.type in TEXT_TYPES and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_chunks(
    executor: ReadOnlyExecutor,
    compiled: CompiledQuery,
    tz: ZoneInfo,
    first: Result,
    max_rows: int,
    on_finish: Any = None,
) -> Iterator[str]:
    """The header line, then one chunk of lines per page, until the rows or ``max_rows``
    run out. ``on_finish(rows, capped)`` is called at the end, however the stream ends."""
    writer = csv.writer(_Echo())
    columns = compiled.columns
    written, capped, result = 0, False, first
    try:
        yield writer.writerow([c.name for c in columns])
        while True:
            rows = result.rows[: max_rows - written]
            yield "".join(
                writer.writerow([csv_cell(v, c) for v, c in zip(row, columns, strict=True)])
                for row in rows
            )
            written += len(rows)
            if result.next_cursor is None:
                return
            if written >= max_rows:
                capped = True
                return
            result = executor.run(
                compiled,
                tz=tz,
                page_size=_page_size(max_rows - written),
                cursor=result.next_cursor,
            )
    finally:
        if on_finish is not None:
            on_finish(written, capped)


def _page_size(remaining: int) -> int:
    return max(1, min(remaining, int(get_config()["MAX_PAGE_SIZE"])))


@endpoint(EXPORT_CSV.methods)
def export_csv(
    request: HttpRequest, service: ChatService, chat_id: int, message_id: int
) -> HttpResponse:
    chat = service.chat(chat_id)
    message = (
        Message.objects.filter(
            chat=chat, pk=message_id, role=Message.Role.ASSISTANT, kind=Message.Kind.ANSWER
        )
        .exclude(plan_dsl="")
        .first()
    )
    if message is None or message.plan_now is None:
        raise MessageNotFound(hint="only answers that ran a query can be exported")
    try:
        tz = ZoneInfo(message.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MessageNotFound(hint="the answer's time zone is no longer known") from None
    manifest = build_manifest(request.user)
    compiled = compile_plan(
        parse(message.plan_dsl, manifest=manifest), manifest, tz=tz, now=message.plan_now
    )
    max_rows = int(get_config()["EXPORT_MAX_ROWS"])
    executor = service.executor
    first = executor.run(compiled, tz=tz, page_size=_page_size(max_rows))

    def finished(rows: int, capped: bool) -> None:
        log_event(
            "export",
            service.trace_id,
            chat_id=chat.pk,
            message_id=message.pk,
            source=compiled.model_label,
            rows=rows,
            capped=capped,
        )

    response = StreamingHttpResponse(
        csv_chunks(executor, compiled, tz, first, max_rows, finished),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{compiled.model_label.replace('.', '-')}-{chat.pk}-{message.pk}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Djai-Export-Max-Rows"] = str(max_rows)
    response["Cache-Control"] = "no-store"
    # endpoint() types views as returning HttpResponse; a streaming one is its sibling class.
    return response  # type: ignore[return-value]
