"""Refusing: the out_of_scope reply, with why and how to ask instead.

A turn is refused when the router is sure the message is no data question (a greeting gets
a word of help, a request to change data is told djai only reads), when the planner says the
question is out of scope, or when the planner's plan is too unsure even to confirm. The
reply names the reason, how to rephrase, and example questions this user could ask
(:func:`examples_for`, also what ``api/capabilities`` suggests).

This step does not decide *whether* to refuse (routing and planning do) and never plans or
runs anything.
"""

from __future__ import annotations

from djai_dsl.chat import composer
from djai_dsl.chat.clarification import Transition
from djai_dsl.chat.router import Intent
from djai_dsl.chat.turn import Turn
from djai_dsl.manifest.types import Manifest
from djai_dsl.models import ChatEvent, Message, QueryLog


def refuse(turn: Turn, reason: str, how: str, examples: list[str]) -> None:
    with turn.trace.stage("compose"):
        turn.envelope = composer.out_of_scope(turn.meta, reason, how, examples)
    turn.route = QueryLog.Route.OUT_OF_SCOPE
    if turn.kind != QueryLog.Kind.PREVIEW:
        turn.message_kind = Message.Kind.OUT_OF_SCOPE
    turn.events.append(Transition(ChatEvent.Type.OUT_OF_SCOPE, {"intent": turn.meta.intent_label}))


def refuse_by_router(turn: Turn, intent: Intent, manifest: Manifest) -> None:
    """The reply to what the router alone answers: help, or why djai will not do it."""
    examples = examples_for(manifest, intent.candidate_models)
    if intent.label == "GENERAL_HELP":
        names = ", ".join(sorted({m.verbose_name_plural for m in manifest.models.values()})[:8])
        refuse(
            turn,
            "I answer questions about the data you can see in this admin: counts, sums, "
            "averages, lists and trends.",
            f"Ask about {names}." if names else "You have no data to ask about yet.",
            examples,
        )
        return
    if "change data" in intent.reason:
        reason = "I can only read data; I cannot create, change or delete anything."
    else:
        reason = "That is not a question about the data in this project."
    refuse(turn, reason, "Ask a question about your data, for example one below.", examples)


def examples_for(manifest: Manifest, candidates: list[str] | None = None, n: int = 3) -> list[str]:
    """Questions this user could ask, from the manifest (candidate models first)."""
    labels = [c for c in candidates or [] if c in manifest.models]
    labels += [label for label in sorted(manifest.models) if label not in labels]
    out = []
    for label in labels:
        info = manifest.models[label]
        plural = info.verbose_name_plural
        if info.default_time_field:
            out.append(f"How many {plural} per month this year?")
        else:
            out.append(f"How many {plural} are there?")
        if len(out) == n:
            break
    return out
