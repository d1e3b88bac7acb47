"""Answering with code: an ORM snippet (the escape hatch) -> checked, interpreted and run ->
the answer envelope, written onto the turn. The step for snippets that answering.py is for
plans.

A snippet comes from the LLM planner (kind "orm", for a question a plan cannot express), from
an analyst (``POST chats/{id}/code``, the chat page's editor) or from an earlier answer whose
next page is asked for. Every time, the hatch is checked again (on, and the user holds
``djai_dsl.use_escape_hatch``): a planner answering with code for a user who may not use it
is refused with ``escape_hatch_forbidden``, never run. The snippet goes through the guard,
the interpreter against the user's manifest and the read-only executor
(:mod:`djai_dsl.escape`). The answer is marked ``source: "code"``, shows the snippet and its
SQL to users who may see code, and is logged with route ``escape_hatch``; the turn keeps the
snippet with its time zone and "now", so that its next page runs the same query.
"""

from __future__ import annotations

from collections.abc import Callable

from djai_dsl.chat import composer
from djai_dsl.chat.answering import CODE_PERMISSION
from djai_dsl.chat.clarification import Transition
from djai_dsl.chat.turn import Scope, Turn
from djai_dsl.compiler.types import CompiledQuery
from djai_dsl.escape import compile_snippet, require_escape_hatch
from djai_dsl.escape.runner import run_compiled_snippet
from djai_dsl.escape.shape import CompiledSnippet
from djai_dsl.executor import ReadOnlyExecutor, display_sql
from djai_dsl.models import ChatEvent, Message, QueryLog

__all__ = ["answer_with_code", "snippet_sql"]

QUESTION = "ORM snippet"  # the summary line's question when the user wrote code


def answer_with_code(
    turn: Turn,
    source: str,
    scope: Scope,
    executor: Callable[[], ReadOnlyExecutor],
    *,
    question: str,
    notes: list[str] | None = None,
    execute: bool = True,
    cursor: str | None = None,
    page_size: int | None = None,
) -> None:
    """Check and interpret ``source`` for this user, run it (unless previewing) and compose
    the answer."""
    settings = require_escape_hatch(turn.user)
    trace = turn.trace
    turn.code = source
    with trace.stage("compile") as log:
        snippet = compile_snippet(
            source,
            scope.manifest,
            tz=scope.tz,
            now=scope.now,
            settings=settings,
            alias=executor().alias,
        )
        log["source"] = snippet.model_label
    result = None
    if execute:
        with trace.stage("execute") as log:
            result = run_compiled_snippet(
                snippet, executor(), tz=scope.tz, page_size=page_size, cursor=cursor
            )
            log.update(rows=result.row_count, truncated=result.truncated, page=result.page)
        turn.db_latency_ms = result.db_latency_ms
        turn.row_count, turn.truncated = result.row_count, result.truncated
    show = bool(turn.config["SHOW_CODE"]) and turn.user.has_perm(CODE_PERMISSION)
    with trace.stage("compose"):
        turn.envelope = composer.code_answer(
            turn.meta,
            snippet,
            result,
            sql=snippet_sql(snippet, executor().alias) if show else None,
            show_snippet=show,
            notes=notes,
            message_id=turn.answer_message_id,
        )
    turn.time_zone, turn.plan_now = scope.tz.key, scope.now
    turn.topic = snippet.model_label
    turn.question = question or QUESTION
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
