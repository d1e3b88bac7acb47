"""The planner protocol: question + context + manifest -> a plan, a clarifying question, or
a refusal. Every planner (LLM, offline rules, replay) answers with the same types, and
whatever it returns is validated against the manifest again by the chat service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from djai_dsl.manifest.types import Manifest
from djai_dsl.plan import QueryPlan

IntentLabel = Literal["DATA_QUERY", "CLARIFICATION", "OUT_OF_SCOPE", "GENERAL_HELP"]


@dataclass(frozen=True)
class Turn:
    """One earlier message of the chat, as the planner sees it."""

    role: Literal["user", "assistant"]
    content: str
    plan_dsl: str = ""  # the plan an assistant answer ran, as DSL text


@dataclass
class PlannerContext:
    """What a planner knows besides the question (built by chat/context.py)."""

    tz: ZoneInfo
    now: dt.datetime
    locale: str = "en-US"
    history: list[Turn] = field(default_factory=list)  # last N messages, oldest first
    summary: str = ""  # conversation_summary of the chat
    current_topic: str = ""  # e.g. the source model label of the last answer
    previous_plan: QueryPlan | None = None  # the last plan that ran, for follow-ups
    # The pending clarification this message may answer: {"id", "question", "options": [...],
    # "original_question"}; None when nothing is pending.
    pending_clarification: dict[str, Any] | None = None
    # The user may be answered with an ORM snippet (the escape hatch is on and they hold
    # djai_dsl.use_escape_hatch); only then may an LLM planner answer with kind "orm".
    escape_hatch: bool = False


@dataclass
class PlanProposal:
    """The planner answers with a plan."""

    plan: QueryPlan
    confidence: float  # 0..1: how sure the planner is that this plan answers the question
    intent_label: IntentLabel = "DATA_QUERY"
    candidate_models: list[str] = field(default_factory=list)
    retry_count: int = 0  # re-asks of the LLM after validation errors
    llm_latency_ms: float | None = None
    notes: list[str] = field(default_factory=list)  # assumptions worth telling the user


@dataclass
class ClarifyOption:
    """One quick-action answer to a clarifying question. Choosing it resolves to a plan
    (``plan``) or, when a plan cannot be built yet, to a rephrased question (``question``)."""

    id: str
    label: str
    plan: QueryPlan | None = None
    question: str = ""


@dataclass
class Clarification:
    """Two or more readings are plausible: ask, never guess and never execute."""

    question: str
    options: list[ClarifyOption]
    confidence: float
    candidate_models: list[str] = field(default_factory=list)
    intent_label: IntentLabel = "CLARIFICATION"


@dataclass
class OutOfScope:
    """Not a question about the data this user may see (or a request for help)."""

    reason: str
    how_to_rephrase: str
    confidence: float
    intent_label: IntentLabel = "OUT_OF_SCOPE"  # or GENERAL_HELP
    examples: list[str] = field(default_factory=list)  # example questions from the manifest


@dataclass
class CodeProposal:
    """The planner answers with an ORM snippet (escape hatch), for a question a plan cannot
    express. Only produced when ``PlannerContext.escape_hatch`` is True; the chat service
    checks the permission again and runs it through the guard and interpreter."""

    code: str
    confidence: float
    intent_label: IntentLabel = "DATA_QUERY"
    candidate_models: list[str] = field(default_factory=list)
    retry_count: int = 0
    llm_latency_ms: float | None = None
    notes: list[str] = field(default_factory=list)


PlannerResult = PlanProposal | Clarification | OutOfScope | CodeProposal


@runtime_checkable
class Planner(Protocol):
    """Turns a question into a PlannerResult. Must not touch the database for rows beyond
    what the manifest offers (bounded, cached value lookups are allowed) and must not raise
    for bad questions: unanswerable questions are OutOfScope or Clarification. Provider
    failures raise ``djai_dsl.errors.LLMUnavailable``."""

    name: str

    def plan(self, question: str, context: PlannerContext, manifest: Manifest) -> PlannerResult: ...
