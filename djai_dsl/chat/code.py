"""The chat steps of the escape hatch: answer with an ORM snippet (one an LLM wrote for a
question a plan cannot express, or one an analyst edited), preview it, and page through it.

Every entry point checks the hatch again (on, and the user holds
``djai_dsl.use_escape_hatch``): a planner answering with code for a user who may not use it
is refused with ``escape_hatch_forbidden``, never run. The snippet goes through the guard,
the interpreter and the read-only executor (:mod:`djai_dsl.escape`); the answer is marked
``source: "code"`` and logged with route ``escape_hatch``. The snippet is stored on the
answer message (``Message.code``) with the time zone and "now" it ran with, so that its
next page runs the same query.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from djai_dsl.chat import composer
from djai_dsl.chat.clarification import Transition
from djai_dsl.compiler.types import CompiledQuery
from djai_dsl.escape import compile_snippet, require_escape_hatch
from djai_dsl.escape.runner import run_compiled_snippet
from djai_dsl.escape.shape import CompiledSnippet
from djai_dsl.executor import display_sql
from djai_dsl.manifest.types import Manifest
from djai_dsl.models import ChatEvent, Message, QueryLog

if TYPE_CHECKING:
    from djai_dsl.chat.service import ChatService, _Turn

__all__ = ["answer_with_code", "snippet_sql"]


def answer_with_code(
    service: ChatService,
    turn: _Turn,
    source: str,
    manifest: Manifest,
    tz: ZoneInfo,
    now: dt.datetime,
    *,
    question: str,
    notes: list[str] | None = None,
    execute: bool = True,
    cursor: str | None = None,
    page_size: int | None = None,
) -> None:
    """Compile ``source`` for this user, run it (unless previewing) and compose the answer."""
    settings = require_escape_hatch(service.user)
    trace = turn.trace
    turn.code = source
    with trace.stage("compile") as log:
        snippet = compile_snippet(
            source, manifest, tz=tz, now=now, settings=settings, alias=service.executor.alias
        )
        log["source"] = snippet.model_label
    result = None
    if execute:
        with trace.stage("execute") as log:
            result = run_compiled_snippet(
                snippet, service.executor, tz=tz, page_size=page_size, cursor=cursor
            )
            log.update(rows=result.row_count, truncated=result.truncated, page=result.page)
        turn.db_latency_ms = result.db_latency_ms
        turn.row_count, turn.truncated = result.row_count, result.truncated
    show = service.may_see_code()
    with trace.stage("compose"):
        turn.envelope = composer.code_answer(
            turn.meta,
            snippet,
            result,
            sql=snippet_sql(snippet, service.executor.alias) if show else None,
            show_snippet=show,
            notes=notes,
            message_id=turn.answer_message_id,
        )
    turn.time_zone, turn.plan_now = tz.key, now
    turn.topic = snippet.model_label
    turn.question = question or "ORM snippet"
    turn.title_from = turn.title_from or question
    turn.route = QueryLog.Route.ESCAPE_HATCH
    if not execute:
        turn.events.append(
            Transition(ChatEvent.Type.PREVIEWED, {"source": turn.topic, "code": True})
        )
        return
    if turn.kind != QueryLog.Kind.PAGE:
        turn.message_kind = Message.Kind.ANSWER
        turn.events.append(
            Transition(
                ChatEvent.Type.ANSWERED,
                {
                    "source": turn.topic,
                    "rows": turn.row_count,
                    "truncated": turn.truncated,
                    "code": True,
                },
            )
        )


def snippet_sql(snippet: CompiledSnippet, alias: str) -> str:
    """The SQL a snippet runs, for display. A one-row answer shows the query it counts,
    checks or aggregates, with the method as a comment."""
    if snippet.compiled is not None:
        return display_sql(snippet.compiled, alias)
    terminal = snippet.terminal
    assert terminal is not None
    base = CompiledQuery(
        queryset=terminal.queryset,
        columns=[],
        order_keys=[],
        limit=None,
        offset=None,
        explanation="",
        fingerprint="",
        model_label=snippet.model_label,
    )
    return f"-- {terminal.method}() over:\n{display_sql(base, alias)}"
