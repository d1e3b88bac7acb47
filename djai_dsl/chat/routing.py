"""Routing a message: what it is (its intent), decided before any planner is asked.

A message that picks an option of the pending clarification by id (the quick-action
buttons) is that option, with certainty; any other message is read by the router. The
reading is timed and logged as the ``router`` stage and written onto the turn.
:func:`answered_by_router` then says whether the router's reading alone settles the message
(a greeting, a request to change data, a question that is not about data), so that no
planner call is spent on it.

This step does not classify words itself (that is :mod:`djai_dsl.chat.router`), and it
neither closes a pending clarification nor composes a reply.
"""

from __future__ import annotations

from typing import Any

from djai_dsl.chat.clarification import PendingClarification, PendingOption
from djai_dsl.chat.router import Intent, IntentRouter
from djai_dsl.chat.turn import Turn
from djai_dsl.manifest.types import Manifest
from djai_dsl.observability import redact

#: Intents the router may answer alone, with a refusal or a word of help.
ROUTER_ANSWERS = ("OUT_OF_SCOPE", "GENERAL_HELP")


def route(
    turn: Turn,
    router: IntentRouter,
    text: str,
    manifest: Manifest,
    *,
    pending: PendingClarification | None = None,
    chosen: PendingOption | None = None,
    log_reading: bool = True,
) -> Intent:
    """The intent of ``text`` in the turn's chat. ``chosen``: the option of ``pending`` the
    user picked explicitly. ``log_reading``: put the intent and the (redacted) question on
    the stage's log line."""
    chat = turn.chat
    assert chat is not None
    with turn.trace.stage("router") as log:
        if chosen is not None and pending is not None:
            intent = Intent("CLARIFICATION", 1.0, list(pending.candidate_models), option=chosen)
        else:
            intent = router.route(
                text,
                manifest,
                pending=pending,
                current_topic=chat.current_topic,
                has_previous_plan=bool(chat.current_topic),
            )
        if log_reading:
            log.update(
                intent=intent.label,
                confidence=intent.confidence,
                candidates=intent.candidate_models,
                reason=intent.reason,
                question=redact(text),
            )
    turn.set_intent(intent.label, intent.confidence, intent.candidate_models)
    return intent


def answered_by_router(intent: Intent, config: dict[str, Any]) -> bool:
    """Whether the router is sure enough that this is no data question to refuse it (or
    offer help) without asking the planner."""
    return intent.label in ROUTER_ANSWERS and intent.confidence >= config["OUT_OF_SCOPE_CONFIDENCE"]
