"""What one request carries through the steps of a turn, and what it hands back.

A turn is one call of the chat service (a message, a preview, a run, a next page). Its
:class:`Turn` record starts with who asked and under which settings and trace, and every
step fills in what it produced — the chat, the intent, the envelope, the plan, the row
count, the events — for the recording step to write. :class:`Scope` is what a question is
answered against (the user's manifest, their time zone and locale, the request's "now").
:class:`ClientContext` and :class:`ClarificationAnswer` are inputs of the service;
:class:`Reply` is its output.

This module is not a step: it runs nothing, reads no database and decides nothing beyond
how a failure is written onto the record (:meth:`Turn.fail`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from djai_dsl.chat import composer
from djai_dsl.chat.clarification import ClarificationMachine, Transition
from djai_dsl.chat.composer import MetaInfo
from djai_dsl.chat.envelope import EnvelopeModel
from djai_dsl.errors import DjaiError
from djai_dsl.manifest.types import Manifest
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog
from djai_dsl.observability import Trace


@dataclass(frozen=True)
class ClientContext:
    """``client_context`` of a request: the user's time zone and locale."""

    timezone: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class ClarificationAnswer:
    """An explicit answer to a pending clarification (the quick-action buttons send it)."""

    pending_clarification_id: str
    option_id: str


@dataclass
class Reply:
    envelope: dict[str, Any]
    status: int
    trace_id: str
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 429

    @property
    def type(self) -> str:
        return str(self.envelope["type"])


@dataclass(frozen=True)
class Scope:
    """What a question is answered against: the manifest the user may see, the client's
    time zone and locale, and the request's "now" (an answer's own, for its next page)."""

    manifest: Manifest
    tz: ZoneInfo
    now: dt.datetime
    locale: str = "en-US"


@dataclass
class Turn:
    """One request: who asked, and everything the steps produced, for the recording step."""

    kind: str  # QueryLog.Kind
    user: Any
    config: dict[str, Any]
    trace: Trace
    meta: MetaInfo
    chat: Chat | None = None
    envelope: EnvelopeModel | None = None
    status: int = 200
    route: str = ""
    message_kind: str = ""  # Message.Kind of the assistant message to record; "" = none
    user_message_id: int | None = None
    machine: ClarificationMachine | None = None
    events: list[Transition] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # extra HTTP headers of the reply
    question: str = ""  # for the summary line
    title_from: str = ""  # the text an automatic title is made from
    plan_dsl: str = ""
    code: str = ""  # the ORM snippet an escape-hatch answer ran (see chat/code.py)
    time_zone: str = ""
    plan_now: dt.datetime | None = None
    topic: str = ""
    row_count: int | None = None
    truncated: bool = False
    retry_count: int = 0
    llm_latency_ms: float | None = None
    db_latency_ms: float | None = None
    planner: str = ""
    candidate_models: list[str] = field(default_factory=list)
    error_code: str = ""
    answer_message_id: int | None = None  # the message an answer's pages belong to

    @property
    def trace_id(self) -> str:
        return self.trace.trace_id

    def attach(self, chat: Chat) -> None:
        self.chat = chat
        self.meta.chat_id = chat.pk

    def set_intent(self, label: Any, confidence: float | None, candidates: list[str]) -> None:
        self.meta.intent_label = label
        self.meta.intent_confidence = confidence
        if candidates:
            self.candidate_models = list(candidates)

    def fail(self, exc: DjaiError) -> None:
        self.envelope = composer.error(self.meta, exc)
        self.status = exc.http_status
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)
        self.route = QueryLog.Route.ERROR
        self.error_code = exc.code
        self.message_kind = Message.Kind.ERROR if self.user_message_id is not None else ""
        self.events.append(Transition(ChatEvent.Type.ERROR, {"code": exc.code}))
