"""The pending-clarification state machine of one chat.

::

    none ──ask──> pending ──option chosen / free-text reply──> none   (clarification_resolved)
                     │  ──ask again (a new ambiguous question)──> pending   (…_superseded)
                     │  ──query text run, chat deleted──> none   (clarification_superseded)
                     └──TTL passed──> none   (clarification_expired)

The state lives in ``Chat.pending_clarification`` (JSON): the id, the question, the options
with what each resolves to (a plan as DSL text, or a rephrased question), the original
question and the expiry. An answer names the option by id, by number ("2"), by its label,
or says something else (free text, which goes to the planner with the pending question as
context). An explicit answer to an id that is not the pending one is refused with
``clarification_stale`` (or ``clarification_expired`` when it timed out) and changes
nothing. Every transition is returned as an event for the service to record as a ChatEvent;
this module itself never writes to the database.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from djai_dsl.chat.composer import OptionView
from djai_dsl.errors import (
    ClarificationOptionUnknown,
    ClarificationStale,
    PendingClarificationExpired,
)
from djai_dsl.models import Chat, ChatEvent

OPTION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TRAILING = re.compile(r"[\s.!?]+$")
_OPTION_WORDS = re.compile(r"^(option|choice|number|no\.?|#)\s*")


@dataclass
class PendingOption:
    id: str
    label: str
    plan: str = ""  # DSL text this option runs
    explanation: str = ""
    question: str = ""  # or the question it asks instead

    def view(self) -> OptionView:
        return OptionView(self.id, self.label, self.plan, self.explanation, self.question)


@dataclass
class PendingClarification:
    id: str
    question: str
    options: list[PendingOption]
    original_question: str
    created_at: dt.datetime
    expires_at: dt.datetime
    candidate_models: list[str] = field(default_factory=list)

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at

    def option(self, option_id: str) -> PendingOption | None:
        return next((o for o in self.options if o.id == option_id), None)

    def match(self, text: str) -> PendingOption | None:
        """The option a reply names: its id, its number (1-based), or its label."""
        said = _OPTION_WORDS.sub("", _TRAILING.sub("", text.strip().casefold()))
        if not said:
            return None
        for index, option in enumerate(self.options, start=1):
            label = _TRAILING.sub("", option.label.strip().casefold())
            if said in (option.id.casefold(), str(index), label):
                return option
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "options": [o.__dict__.copy() for o in self.options],
            "original_question": self.original_question,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "candidate_models": list(self.candidate_models),
        }

    @classmethod
    def from_json(cls, data: Any) -> PendingClarification | None:
        """The stored state, or None when there is none or it is unreadable (then it is
        treated as absent rather than failing every later message of the chat)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                id=str(data["id"]),
                question=str(data["question"]),
                options=[PendingOption(**o) for o in data["options"]],
                original_question=str(data.get("original_question", "")),
                created_at=dt.datetime.fromisoformat(data["created_at"]),
                expires_at=dt.datetime.fromisoformat(data["expires_at"]),
                candidate_models=list(data.get("candidate_models", [])),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def for_planner(self) -> dict[str, Any]:
        """``PlannerContext.pending_clarification``."""
        return {
            "id": self.id,
            "question": self.question,
            "options": [
                {"id": o.id, "label": o.label, "plan": o.plan, "question": o.question}
                for o in self.options
            ],
            "original_question": self.original_question,
        }


def normalise_options(options: list[PendingOption]) -> list[PendingOption]:
    """Ids clients can send back: the planner's when safe and unique, else the number."""
    seen: set[str] = set()
    out = []
    for index, option in enumerate(options, start=1):
        option_id = option.id if OPTION_ID_RE.match(option.id or "") else str(index)
        if option_id in seen:
            option_id = str(index)
        seen.add(option_id)
        out.append(
            PendingOption(option_id, option.label, option.plan, option.explanation, option.question)
        )
    return out


@dataclass
class Transition:
    type: str  # a ChatEvent.Type value
    data: dict[str, Any]


class ClarificationMachine:
    """Reads and changes ``chat.pending_clarification`` in memory; the service saves the chat
    and records :attr:`transitions` as ChatEvents (also when a step raised)."""

    def __init__(self, chat: Chat, *, now: dt.datetime, ttl_seconds: int) -> None:
        self.chat = chat
        self.now = now
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.transitions: list[Transition] = []
        self.changed = False
        self._expired_id: str | None = None
        self._pending = PendingClarification.from_json(chat.pending_clarification)
        if chat.pending_clarification is not None and self._pending is None:
            self._set(None)  # unreadable state: drop it
        elif self._pending is not None and self._pending.expired(now):
            self._expired_id = self._pending.id
            self._record(ChatEvent.Type.CLARIFICATION_EXPIRED, id=self._pending.id)
            self._set(None)

    @property
    def pending(self) -> PendingClarification | None:
        """The live pending clarification (expired ones are already gone)."""
        return self._pending

    def answer_by_id(self, pending_id: str, option_id: str) -> PendingOption:
        """The option an explicit ``{pending_clarification_id, option_id}`` names."""
        pending = self._pending
        if pending is None or pending.id != pending_id:
            self._record(ChatEvent.Type.CLARIFICATION_REJECTED, id=pending_id, option=option_id)
            if pending_id == self._expired_id:
                raise PendingClarificationExpired()
            raise ClarificationStale()
        option = pending.option(option_id)
        if option is None:
            raise ClarificationOptionUnknown(
                f"{option_id!r} is not one of the options.",
                hint="choose one of: " + ", ".join(o.id for o in pending.options),
            )
        return option

    def resolve(self, option: PendingOption | None, text: str) -> PendingClarification:
        """Close the pending clarification with ``option``, or with a free-text reply."""
        pending = self._pending
        assert pending is not None
        data: dict[str, Any] = {"id": pending.id}
        if option is not None:
            data["option"] = option.id
        else:
            data["free_text"] = True
        self._record(ChatEvent.Type.CLARIFICATION_RESOLVED, **data)
        self._set(None)
        return pending

    def ask(
        self,
        question: str,
        options: list[PendingOption],
        *,
        original_question: str,
        candidate_models: list[str],
    ) -> PendingClarification:
        self.supersede("asked again")
        pending = PendingClarification(
            id=uuid.uuid4().hex,
            question=question,
            options=normalise_options(options),
            original_question=original_question,
            created_at=self.now,
            expires_at=self.now + self.ttl,
            candidate_models=list(candidate_models),
        )
        self._record(
            ChatEvent.Type.CLARIFICATION_ASKED,
            id=pending.id,
            options=[o.id for o in pending.options],
            expires_at=pending.expires_at.isoformat(),
        )
        self._set(pending)
        return pending

    def supersede(self, reason: str) -> None:
        if self._pending is not None:
            self._record(
                ChatEvent.Type.CLARIFICATION_SUPERSEDED, id=self._pending.id, reason=reason
            )
            self._set(None)

    def _set(self, pending: PendingClarification | None) -> None:
        self._pending = pending
        self.chat.pending_clarification = pending.to_json() if pending is not None else None
        self.changed = True

    def _record(self, type_: str, **data: Any) -> None:
        self.transitions.append(Transition(str(type_), data))
