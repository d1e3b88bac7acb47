"""chat -> what the planner knows besides the question (plan §4 ContextBuilder).

The last ``HISTORY_MESSAGES`` messages, the conversation summary, the current topic and the
previous plan (the last one that ran), plus the pending clarification when the message may
answer it. Follow-ups ("and by month?", "only Germany") are planned as changes of the
previous plan, so that plan is given as a plan, not just as text.

The summary is deterministic (no LLM): one line per answered question, newest last, in at
most ``SUMMARY_MAX_CHARS`` characters, under a "Topic:" line. The same answers always give
the same summary, so planner prompts and tests are reproducible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from djai_dsl.errors import DjaiError
from djai_dsl.grammar import parse
from djai_dsl.models import Chat, Message
from djai_dsl.plan import QueryPlan
from djai_dsl.planners.base import PlannerContext, Turn

TITLE_MAX_CHARS = 80
SUMMARY_LINE_MAX_CHARS = 240
TOPIC_PREFIX = "Topic: "


class ContextBuilder:
    def __init__(self, *, history_size: int) -> None:
        self.history_size = history_size

    def build(
        self,
        chat: Chat,
        *,
        tz: ZoneInfo,
        now: dt.datetime,
        locale: str,
        exclude_message_id: int | None = None,
        pending: dict[str, Any] | None = None,
    ) -> PlannerContext:
        return PlannerContext(
            tz=tz,
            now=now,
            locale=locale,
            history=self.history(chat, exclude_message_id),
            summary=chat.conversation_summary,
            current_topic=chat.current_topic,
            previous_plan=previous_plan(chat),
            pending_clarification=pending,
        )

    def history(self, chat: Chat, exclude_message_id: int | None = None) -> list[Turn]:
        """The last messages, oldest first."""
        if self.history_size <= 0:
            return []
        qs = Message.objects.filter(chat=chat)
        if exclude_message_id is not None:
            qs = qs.exclude(pk=exclude_message_id)
        rows = list(
            qs.order_by("-created_at", "-id").values("role", "content", "plan_dsl")[
                : self.history_size
            ]
        )
        return [Turn(r["role"], r["content"], r["plan_dsl"]) for r in reversed(rows)]


def previous_plan(chat: Chat) -> QueryPlan | None:
    """The plan of the chat's last answer, or None (also when its text no longer parses,
    e.g. after a grammar change: then the next question is simply planned afresh)."""
    text = (
        Message.objects.filter(chat=chat, role=Message.Role.ASSISTANT, kind=Message.Kind.ANSWER)
        .exclude(plan_dsl="")
        .order_by("-created_at", "-id")
        .values_list("plan_dsl", flat=True)
        .first()
    )
    if not text:
        return None
    try:
        return parse(text)
    except DjaiError:
        return None


def summary_line(question: str, plan_dsl: str, row_count: int | None) -> str:
    plan_one_line = " ".join(plan_dsl.split())
    line = f'- "{" ".join(question.split())}" -> {plan_one_line}'
    if row_count is not None:
        line += f" [{row_count} {'row' if row_count == 1 else 'rows'}]"
    if len(line) > SUMMARY_LINE_MAX_CHARS:
        line = line[: SUMMARY_LINE_MAX_CHARS - 1] + "…"
    return line


def update_summary(
    summary: str,
    *,
    topic: str,
    question: str,
    plan_dsl: str,
    row_count: int | None,
    max_chars: int,
) -> str:
    """The summary after one more answer: the topic line, then the newest entries that fit."""
    entries = [line for line in summary.splitlines() if line.startswith("- ")]
    entries.append(summary_line(question, plan_dsl, row_count))
    head = f"{TOPIC_PREFIX}{topic}" if topic else ""
    kept: list[str] = []
    size = len(head)
    for line in reversed(entries):
        if kept and size + 1 + len(line) > max_chars:
            break
        kept.append(line)
        size += 1 + len(line)
    lines = ([head] if head else []) + list(reversed(kept))
    return "\n".join(lines)[:max_chars]


def auto_title(text: str) -> str:
    """A chat title from the first question: one line, no trailing '?', at most 80 chars
    cut at a word boundary."""
    title = " ".join(text.split()).rstrip(" ?!.")
    if len(title) > TITLE_MAX_CHARS:
        cut = title[: TITLE_MAX_CHARS - 1].rsplit(" ", 1)[0]
        title = (cut or title[: TITLE_MAX_CHARS - 1]) + "…"
    return title[:1].upper() + title[1:]
