"""Clarifying: asking the user a question back, and taking their reply to it.

Asking (:func:`clarify`, :func:`confirm`): the planner found several readings, or one it is
not sure of. Each option that resolves to a plan is compiled first — an option that could
not run is never offered — and the options are kept as the chat's pending clarification
(unless this is a preview, which changes nothing) and composed into a clarification reply.

Taking the reply (:func:`resolve_reply`): the pending clarification is closed with the
option the user chose, or with their free-text answer, and the turn goes on with the
option's plan, the option's question, or the free text plus the pending question for the
planner.

The state itself — pending, expired, superseded, and the events for each change — is the
machine's (:mod:`djai_dsl.chat.clarification`). This step does not decide *when* to ask
(planning does) and runs no query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from djai_dsl.chat import composer
from djai_dsl.chat.clarification import (
    ClarificationMachine,
    PendingOption,
    normalise_options,
)
from djai_dsl.chat.turn import Scope, Turn
from djai_dsl.compiler import compile_plan
from djai_dsl.errors import DjaiError
from djai_dsl.grammar import format_plan, parse
from djai_dsl.models import Message, QueryLog
from djai_dsl.observability import log_event
from djai_dsl.plan import QueryPlan
from djai_dsl.planners.base import ClarifyOption, PlanProposal

CONFIRM_QUESTION = "Is this what you mean? Choose the option to run it, or rephrase your question."


def confirm(
    turn: Turn, proposal: PlanProposal, question: str, scope: Scope, *, persist: bool
) -> None:
    """A plan the planner is unsure of: show the reading and let the user confirm it."""
    option = ClarifyOption(id="run", label="Yes, run this", plan=proposal.plan)
    clarify(turn, CONFIRM_QUESTION, [option], question, scope, persist=persist)


def clarify(
    turn: Turn,
    text: str,
    options: list[ClarifyOption],
    original_question: str,
    scope: Scope,
    *,
    persist: bool,
) -> None:
    """Ask ``text`` with ``options``; ``persist``: keep it as the chat's pending one."""
    pending_options = []
    for option in options:
        if option.plan is None:
            pending_options.append(PendingOption(option.id, option.label, question=option.question))
            continue
        try:
            compiled = compile_plan(option.plan, scope.manifest, tz=scope.tz, now=scope.now)
        except DjaiError as exc:  # never offer what could not run
            log_event("option_dropped", turn.trace_id, option=option.id, code=exc.code)
            continue
        pending_options.append(
            PendingOption(
                option.id,
                option.label,
                plan=format_plan(compiled.plan),
                explanation=compiled.explanation,
            )
        )
    pending_id = expires_at = None
    if persist:
        assert turn.machine is not None
        pending = turn.machine.ask(
            text,
            pending_options,
            original_question=original_question,
            candidate_models=turn.candidate_models,
        )
        pending_options = pending.options
        pending_id, expires_at = pending.id, pending.expires_at.isoformat()
    else:
        pending_options = normalise_options(pending_options)
    with turn.trace.stage("compose"):
        turn.envelope = composer.clarification(
            turn.meta,
            text,
            [o.view() for o in pending_options],
            pending_id=pending_id,
            expires_at=expires_at,
        )
    turn.route = QueryLog.Route.CLARIFICATION
    turn.message_kind = Message.Kind.CLARIFICATION if persist else ""


@dataclass(frozen=True)
class ResolvedReply:
    """Where a reply to a pending clarification leads: a plan to answer, or a question to
    plan (with the pending question as the planner's context when the reply was free text)."""

    question: str
    plan: QueryPlan | None = None
    planner_pending: dict[str, Any] | None = None


def resolve_reply(
    turn: Turn, machine: ClarificationMachine, option: PendingOption | None, text: str
) -> ResolvedReply:
    """Close the pending clarification with ``option`` (the one the user chose, by button or
    in words) or, when there is none, with ``text`` as a free-text answer."""
    resolved = machine.resolve(option, text)
    turn.title_from = resolved.original_question
    if option is not None and option.plan:
        return ResolvedReply(resolved.original_question, plan=parse(option.plan))
    if option is not None:
        return ResolvedReply(option.question or resolved.original_question)
    return ResolvedReply(text, planner_pending=resolved.for_planner())
