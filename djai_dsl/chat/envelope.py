"""The response envelope (plan §3.2): the one shape every chat answer has.

``{type, message, data, meta{chat_id, intent_label, intent_confidence, trace_id}}``, with
``data`` fixed per ``type``. These Pydantic models are the contract: the composer builds
them, the API serialises them, and ``djai_dsl/api/envelope.schema.json`` is generated from
them (``python -m djai_dsl.api.schemas``) for clients and contract tests.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

IntentLabel = Literal["DATA_QUERY", "CLARIFICATION", "OUT_OF_SCOPE", "GENERAL_HELP"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Meta(_Out):
    chat_id: int | None = Field(description="The chat, or null when the request named none.")
    intent_label: IntentLabel | None = Field(
        description="What the router took the message for; null when it never got that far."
    )
    intent_confidence: float | None = Field(ge=0, le=1)
    trace_id: str = Field(description="Also in the X-Trace-Id response header and the logs.")


# --------------------------------------------------------------------------- answer


class ColumnOut(_Out):
    name: str
    type: str
    label: str


class ResultOut(_Out):
    columns: list[ColumnOut]
    rows: list[list[Any]] = Field(description="Values in column order, JSON-normalised.")


class WindowOut(_Out):
    """A time window of the plan resolved to dates, in the client's time zone."""

    field: str
    start: str
    end: str
    description: str


class AnswerData(_Out):
    result: ResultOut | None = Field(description="The rows; null for a preview (not run).")
    truncated: bool = Field(description="More rows exist: fetch them with next_cursor.")
    executed: bool = Field(description="False for a plan preview.")
    row_count: int = Field(ge=0, description="Rows in this page.")
    page: int = Field(ge=1)
    next_cursor: str | None = Field(
        description="Pass to GET …/messages/{message_id}/page?cursor= for the next page."
    )
    message_id: int | None = Field(
        description="The assistant message holding this answer (null for previews)."
    )
    explanation: str = Field(description="The plan in words, with resolved dates.")
    plan: str = Field(description="The plan as djai DSL text; can be edited and run.")
    windows: list[WindowOut]
    notes: list[str] = Field(description="Assumptions the planner made.")
    code: str | None = Field(
        default=None,
        description="The SQL that runs (display form): only for users allowed to see it.",
    )
    source: Literal["plan", "code"] = Field(
        default="plan",
        description="What the answer ran: a plan (absent) or an ORM snippet ('code', the "
        "escape hatch).",
    )
    snippet: str | None = Field(
        default=None,
        description="The ORM snippet a 'code' answer ran: only for users allowed to see code.",
    )


class AnswerEnvelope(_Out):
    type: Literal["answer"]
    message: str
    data: AnswerData
    meta: Meta


# --------------------------------------------------------------------------- clarification


class ResolvesToPlan(_Out):
    kind: Literal["plan"]
    plan: str = Field(description="DSL text that runs when this option is chosen.")
    explanation: str


class ResolvesToQuestion(_Out):
    kind: Literal["question"]
    question: str = Field(description="The question that is asked when this option is chosen.")


class OptionOut(_Out):
    id: str
    label: str
    resolves_to: Annotated[ResolvesToPlan | ResolvesToQuestion, Field(discriminator="kind")]


class ClarificationData(_Out):
    question: str
    options: list[OptionOut]
    pending_clarification_id: str | None = Field(
        description="Send back with option_id to answer; null in a preview (nothing pending)."
    )
    expires_at: str | None


class ClarificationEnvelope(_Out):
    type: Literal["clarification"]
    message: str
    data: ClarificationData
    meta: Meta


# --------------------------------------------------------------------------- out of scope


class OutOfScopeData(_Out):
    reason: str
    how_to_rephrase: str
    examples: list[str] = Field(description="Questions that can be answered.")


class OutOfScopeEnvelope(_Out):
    type: Literal["out_of_scope"]
    message: str
    data: OutOfScopeData
    meta: Meta


# --------------------------------------------------------------------------- error


class ErrorDetailOut(_Out):
    message: str
    path: str | None = None
    hint: str | None = None
    suggestions: list[str] | None = None


class ErrorData(_Out):
    error_code: str = Field(description="Stable code; clients switch on it.")
    retryable: bool
    hint: str | None = None
    details: list[ErrorDetailOut] | None = None
    line: int | None = None
    column: int | None = None
    expected: list[str] | None = None


class ErrorEnvelope(_Out):
    type: Literal["error"]
    message: str
    data: ErrorData
    meta: Meta


Envelope = Annotated[
    AnswerEnvelope | ClarificationEnvelope | OutOfScopeEnvelope | ErrorEnvelope,
    Field(discriminator="type"),
]
ENVELOPE_ADAPTER: TypeAdapter[Any] = TypeAdapter(Envelope)

EnvelopeModel = AnswerEnvelope | ClarificationEnvelope | OutOfScopeEnvelope | ErrorEnvelope


def envelope_json(envelope: EnvelopeModel) -> dict[str, Any]:
    """The envelope as JSON-ready data. Optional keys that are unset stay absent (``code``
    without the permission, error details that do not apply)."""
    return envelope.model_dump(mode="json", exclude_unset=True)


def envelope_json_schema() -> dict[str, Any]:
    schema = ENVELOPE_ADAPTER.json_schema(ref_template="#/$defs/{model}")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "djai response envelope"
    return schema
