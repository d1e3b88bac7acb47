"""Planning: question + context + manifest -> what the planner proposes, and what follows.

First the planner's context is built (:func:`planner_context`: recent messages, summary,
topic, previous plan, and the pending clarification when the message answers one in free
text). Then the configured planner is asked (:func:`ask_planner`) and its result is weighed:

- a plan at or above ``ANSWER_CONFIDENCE`` is returned, for the service to answer;
- a plan at or above ``CLARIFY_CONFIDENCE`` is shown back for the user to confirm;
- a less sure plan, or an out-of-scope verdict, is refused with example questions;
- the planner's own clarifying question is asked.

The intent on the turn becomes the planner's (a reply to a clarifying question stays
labelled as one). This step does not compile or run a plan and does not validate it: every
plan, whoever made it, is validated when the answering step compiles it.
"""

from __future__ import annotations

from typing import Any

from djai_dsl.chat import clarifying, refusing
from djai_dsl.chat.context import ContextBuilder
from djai_dsl.chat.router import Intent
from djai_dsl.chat.turn import Scope, Turn
from djai_dsl.escape import may_use_escape_hatch
from djai_dsl.planners.base import (
    Clarification,
    CodeProposal,
    OutOfScope,
    Planner,
    PlannerContext,
    PlannerResult,
    PlanProposal,
)


def planner_context(
    turn: Turn, builder: ContextBuilder, scope: Scope, pending: dict[str, Any] | None
) -> PlannerContext:
    """What the planner knows besides the question (``pending``: a pending clarification
    the message answers in free text)."""
    chat = turn.chat
    assert chat is not None
    with turn.trace.stage("context"):
        context = builder.build(
            chat,
            tz=scope.tz,
            now=scope.now,
            locale=scope.locale,
            exclude_message_id=turn.user_message_id,
            pending=pending,
        )
    # Only then may the planner answer with an ORM snippet (the escape hatch).
    context.escape_hatch = may_use_escape_hatch(turn.user)
    return context


def ask_planner(
    turn: Turn,
    planner: Planner,
    intent: Intent,
    question: str,
    context: PlannerContext,
    scope: Scope,
    *,
    persist: bool,
) -> PlanProposal | CodeProposal | None:
    """The planner's proposal (a plan, or an ORM snippet of the escape hatch) when it is sure
    enough to answer; otherwise the turn already holds the confirmation, clarifying question
    or refusal, and this returns None.
    ``persist``: a clarifying question becomes the chat's pending one (not in a preview)."""
    turn.planner = str(getattr(planner, "name", type(planner).__name__))[:64]
    with turn.trace.stage("planner", planner=turn.planner) as log:
        result: PlannerResult = planner.plan(question, context, scope.manifest)
        log["result"] = type(result).__name__
    turn.llm_latency_ms = turn.trace.timings.get("planner")

    def label_of(own: Any) -> Any:
        # A reply to a clarifying question stays labelled as one, whatever it became.
        return "CLARIFICATION" if intent.label == "CLARIFICATION" else own

    if isinstance(result, PlanProposal):
        if result.llm_latency_ms is not None:
            turn.llm_latency_ms = result.llm_latency_ms
        turn.retry_count = result.retry_count
        turn.set_intent(
            label_of(result.intent_label),
            result.confidence,
            result.candidate_models or intent.candidate_models,
        )
        if result.confidence >= turn.config["ANSWER_CONFIDENCE"]:
            turn.title_from = turn.title_from or question
            return result
        if result.confidence >= turn.config["CLARIFY_CONFIDENCE"]:
            clarifying.confirm(turn, result, question, scope, persist=persist)
        else:
            refusing.refuse(
                turn,
                "I am not sure what you are asking for.",
                "Name what to count or list, and over which period.",
                refusing.examples_for(scope.manifest, result.candidate_models),
            )
    elif isinstance(result, CodeProposal):
        # Not confirmed like a plan: a snippet has no reading to show back; unsure is refused.
        if result.llm_latency_ms is not None:
            turn.llm_latency_ms = result.llm_latency_ms
        turn.retry_count = result.retry_count
        turn.set_intent(label_of(result.intent_label), result.confidence, intent.candidate_models)
        if result.confidence >= turn.config["ANSWER_CONFIDENCE"]:
            turn.title_from = turn.title_from or question
            return result
        refusing.refuse(
            turn,
            "I am not sure what you are asking for.",
            "Name what to count or list, and over which period.",
            refusing.examples_for(scope.manifest, intent.candidate_models),
        )
    elif isinstance(result, Clarification):
        turn.set_intent(
            label_of(result.intent_label),
            result.confidence,
            result.candidate_models or intent.candidate_models,
        )
        clarifying.clarify(turn, result.question, result.options, question, scope, persist=persist)
    elif isinstance(result, OutOfScope):
        turn.set_intent(result.intent_label, result.confidence, intent.candidate_models)
        examples = result.examples or refusing.examples_for(scope.manifest, intent.candidate_models)
        refusing.refuse(turn, result.reason, result.how_to_rephrase, examples)
    else:
        raise TypeError(f"planner {turn.planner} returned {type(result).__name__}")
    return None
