"""Answering: a plan -> compiled query -> (rows) -> the answer envelope, written onto the turn.

Whatever made the plan — the planner, an option the user chose, a DSL text an analyst sent,
the stored plan of an earlier answer whose next page is asked for — it is compiled against
the user's manifest in the turn's time zone and "now" (which validates it again), run by the
read-only executor unless this is a preview, and composed into an answer. The turn keeps
what the recording step needs: the plan's canonical text, its zone and "now" (so its pages
can be compiled again identically), the topic, the rows and the summary line.

This step does not choose the plan, and never runs the query outside the executor's
read-only transaction; it writes nothing to the database itself.
"""

from __future__ import annotations

from collections.abc import Callable

from djai_dsl.chat import composer
from djai_dsl.chat.clarification import Transition
from djai_dsl.chat.turn import Scope, Turn
from djai_dsl.compiler import CompiledQuery, compile_plan
from djai_dsl.executor import ReadOnlyExecutor, display_sql
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest.types import Manifest
from djai_dsl.models import ChatEvent, Message, QueryLog
from djai_dsl.plan import QueryPlan

#: Seeing an answer's SQL (``data.code``) needs ``SHOW_CODE`` and this permission.
CODE_PERMISSION = "djai_dsl.view_generated_code"


def plan_from_text(turn: Turn, text: str, manifest: Manifest) -> QueryPlan:
    """The plan a DSL text states (a run, a next page, a preview of a text): parsed with
    did-you-mean hints from the manifest; the turn's intent is a data query about it."""
    with turn.trace.stage("parse"):
        plan = parse(text, manifest=manifest)
    turn.set_intent("DATA_QUERY", 1.0, [plan.source])
    return plan


def answer(
    turn: Turn,
    plan: QueryPlan,
    scope: Scope,
    executor: Callable[[], ReadOnlyExecutor],
    *,
    question: str,
    notes: list[str] | None = None,
    execute: bool = True,
    cursor: str | None = None,
    page_size: int | None = None,
) -> None:
    """Compile ``plan``, run it (unless ``execute`` is false: a preview) and compose the
    answer. ``executor`` gives the executor when one is first needed, after compiling."""
    trace = turn.trace
    with trace.stage("compile") as log:
        compiled = compile_plan(plan, scope.manifest, tz=scope.tz, now=scope.now)
        log["source"] = compiled.model_label
    plan_text = format_plan(compiled.plan)
    result = None
    if execute:
        with trace.stage("execute") as log:
            result = executor().run(compiled, tz=scope.tz, page_size=page_size, cursor=cursor)
            log.update(rows=result.row_count, truncated=result.truncated, page=result.page)
        turn.db_latency_ms = result.db_latency_ms
        turn.row_count, turn.truncated = result.row_count, result.truncated
    with trace.stage("compose"):
        turn.envelope = composer.answer(
            turn.meta,
            compiled,
            plan_text,
            result,
            code=_code(turn, compiled, executor),
            notes=notes,
            message_id=turn.answer_message_id,
        )
    turn.plan_dsl, turn.time_zone, turn.plan_now = plan_text, scope.tz.key, scope.now
    turn.topic = compiled.model_label
    turn.question = question or _first_sentence(compiled.explanation)
    turn.title_from = turn.title_from or turn.question
    if not execute:
        turn.route = QueryLog.Route.PREVIEW
        turn.events.append(Transition(ChatEvent.Type.PREVIEWED, {"source": turn.topic}))
        return
    turn.route = QueryLog.Route.ANSWER
    if turn.kind != QueryLog.Kind.PAGE:
        turn.message_kind = Message.Kind.ANSWER
        turn.events.append(
            Transition(
                ChatEvent.Type.ANSWERED,
                {"source": turn.topic, "rows": turn.row_count, "truncated": turn.truncated},
            )
        )


def _code(
    turn: Turn, compiled: CompiledQuery, executor: Callable[[], ReadOnlyExecutor]
) -> str | None:
    """The compiled SQL, for users who may see it."""
    if not turn.config["SHOW_CODE"] or not turn.user.has_perm(CODE_PERMISSION):
        return None
    return display_sql(compiled, executor().alias)


def _first_sentence(text: str) -> str:
    return text.split(";", 1)[0].split(". ", 1)[0].strip()
