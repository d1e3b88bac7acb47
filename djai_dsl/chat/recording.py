"""Recording: what a turn produced -> database rows, a log line and the reply.

In one transaction: the assistant's message (with the plan, zone and "now" of an answer, so
its pages and exports can be compiled again), the chat's new state (summary, topic,
automatic title, pending clarification), the ChatEvents of every transition, and one
QueryLog row with the intent, planner, rows and latencies. Then the request's log line and
metrics, and the :class:`~djai_dsl.chat.turn.Reply` with the envelope as JSON.

It runs for every turn, failed ones too (an error envelope is recorded like any reply). It
decides nothing about the answer and never runs the user's query.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from djai_dsl.chat.clarification import Transition
from djai_dsl.chat.context import auto_title, update_summary
from djai_dsl.chat.envelope import AnswerEnvelope, envelope_json
from djai_dsl.chat.turn import Reply, Turn
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog

logger = logging.getLogger("djai_dsl.chat")

#: Routes of a turn that answered, by a plan or by an ORM snippet (the escape hatch).
ANSWERED = (QueryLog.Route.ANSWER, QueryLog.Route.ESCAPE_HATCH)

#: The summarizer used when ``SUMMARIZER`` is unset and the planner is the LLM.
LLM_SUMMARIZER = "djai_dsl.chat.summary_llm.llm_summary"


def record(turn: Turn) -> Reply:
    trace = turn.trace
    assert turn.envelope is not None
    with trace.stage("record"), transaction.atomic():
        chat = turn.chat
        message = None
        if chat is not None and turn.message_kind:
            message = Message.objects.create(
                chat=chat,
                role=Message.Role.ASSISTANT,
                kind=turn.message_kind,
                content=turn.envelope.message,
                envelope=envelope_json(turn.envelope),
                plan_dsl=turn.plan_dsl if turn.message_kind == Message.Kind.ANSWER else "",
                code=turn.code if turn.message_kind == Message.Kind.ANSWER else "",
                time_zone=turn.time_zone,
                plan_now=turn.plan_now if turn.message_kind == Message.Kind.ANSWER else None,
                trace_id=turn.trace_id,
            )
            if isinstance(turn.envelope, AnswerEnvelope) and turn.route in ANSWERED:
                turn.envelope.data.message_id = message.pk
        if chat is not None:
            _update_chat(chat, turn, message)
            events = list(turn.machine.transitions if turn.machine else []) + turn.events
            ChatEvent.objects.bulk_create(
                [
                    ChatEvent(
                        chat=chat,
                        actor=turn.user,
                        type=t.type,
                        data=t.data,
                        trace_id=turn.trace_id,
                    )
                    for t in events
                ]
            )
        QueryLog.objects.create(
            chat=chat,
            message=message,
            user=turn.user,
            trace_id=turn.trace_id,
            kind=turn.kind,
            route=turn.route,
            intent_label=turn.meta.intent_label or "",
            intent_confidence=turn.meta.intent_confidence,
            candidate_models=turn.candidate_models,
            planner=turn.planner,
            plan=turn.plan_dsl or turn.code,
            row_count=turn.row_count,
            truncated=turn.truncated,
            retry_count=turn.retry_count,
            router_latency_ms=trace.timings.get("router"),
            llm_latency_ms=turn.llm_latency_ms,
            db_latency_ms=turn.db_latency_ms,
            total_latency_ms=trace.elapsed_ms(),
            error_code=turn.error_code,
        )
    trace.finish(
        outcome=turn.route,
        error_code=turn.error_code,
        chat_id=turn.meta.chat_id,
        intent=turn.meta.intent_label,
        confidence=turn.meta.intent_confidence,
        candidates=turn.candidate_models,
        planner=turn.planner or None,
        rows=turn.row_count,
    )
    return Reply(envelope_json(turn.envelope), turn.status, turn.trace_id, dict(turn.headers))


def record_event(chat: Chat, user: Any, type_: str, data: dict[str, Any], trace_id: str) -> None:
    """One ChatEvent outside a turn (a chat created, renamed or deleted)."""
    ChatEvent.objects.create(chat=chat, actor=user, type=type_, data=data, trace_id=trace_id)


def _update_chat(chat: Chat, turn: Turn, message: Message | None) -> None:
    fields: set[str] = set()
    if turn.machine is not None and turn.machine.changed:
        fields.add("pending_clarification")
    answered = turn.message_kind == Message.Kind.ANSWER
    if answered:
        chat.conversation_summary = _summarize(chat.conversation_summary, turn)
        chat.current_topic = turn.topic
        fields.update({"conversation_summary", "current_topic"})
        if not chat.title_source and turn.title_from:
            chat.title, chat.title_source = auto_title(turn.title_from), Chat.TitleSource.AUTO
            fields.update({"title", "title_source"})
            turn.events.append(Transition(ChatEvent.Type.CHAT_TITLED, {"title": chat.title}))
    if message is not None or fields:
        chat.save(update_fields=[*sorted(fields), "updated_at"])


def _summarize(summary: str, turn: Turn) -> str:
    """The summary after this answer: ``SUMMARIZER``'s, or the deterministic one."""
    config = turn.config
    arguments: dict[str, Any] = {
        "topic": turn.topic,
        "question": turn.question,
        "plan_dsl": turn.plan_dsl,
        "row_count": turn.row_count,
        "max_chars": int(config["SUMMARY_MAX_CHARS"]),
    }
    path = config["SUMMARIZER"]
    if not path and config["PLANNER"] == "llm":
        # With a provider configured, the model writes the summary too.
        path = LLM_SUMMARIZER
    if path:
        try:
            text = str(import_string(path)(summary, **arguments))
            return text[: arguments["max_chars"]]
        except Exception:  # a summary is never worth failing an answer for
            logger.exception("DJAI['SUMMARIZER'] failed (trace %s)", turn.trace_id)
    return update_summary(summary, **arguments)
