"""Request bodies and resource shapes of the HTTP API, as Pydantic models.

Bodies are strict and closed (``extra="forbid"``, no type coercion): an unknown field, a
number where text belongs, or a missing ``content`` is a 400 with the field's path, never a
guess. The message body is the seed's (``content`` + ``client_context{timezone, locale}``)
plus one optional, documented field: ``clarification`` — the quick-action answer to a
pending clarifying question, ``{pending_clarification_id, option_id}``. (Answering in words,
or with the option's number or label as ``content``, works without it.)

Run ``python -m djai_dsl.api.schemas`` to rewrite ``envelope.schema.json`` from the envelope
models; a test fails when the checked-in file is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from djai_dsl.chat.envelope import envelope_json_schema

ENVELOPE_SCHEMA_PATH = Path(__file__).with_name("envelope.schema.json")

LOCALE_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$"
MODEL_LABEL_PATTERN = r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ClientContextIn(_In):
    """Where the user is: dates and buckets are computed in this time zone."""

    timezone: str | None = Field(
        default=None, max_length=64, description="IANA time zone, e.g. 'Europe/Berlin'."
    )
    locale: str | None = Field(
        default=None, pattern=LOCALE_PATTERN, max_length=35, description="e.g. 'en-US'."
    )


class ClarificationAnswerIn(_In):
    """Choose an option of a pending clarifying question (the quick-action buttons)."""

    pending_clarification_id: str = Field(min_length=1, max_length=64)
    option_id: str = Field(min_length=1, max_length=32)


Content = Annotated[str, Field(description="The question, in words.")]


class MessageIn(_In):
    """``POST chats/{chat_id}/message``."""

    content: Content
    client_context: ClientContextIn | None = None
    clarification: ClarificationAnswerIn | None = Field(
        default=None,
        description="Optional: answer a pending clarification by option id. `content` is "
        "still required (the option's label, shown in the chat history).",
    )


class PlanIn(_In):
    """``POST chats/{chat_id}/plan``: either a question or a DSL text; nothing runs."""

    content: str | None = Field(default=None, description="A question to plan.")
    dsl: str | None = Field(default=None, description="A DSL text to check and explain.")
    client_context: ClientContextIn | None = None


class RunIn(_In):
    """``POST chats/{chat_id}/run``: run a DSL text, e.g. a plan edited by an analyst."""

    dsl: str = Field(description="The query in djai DSL.")
    client_context: ClientContextIn | None = None
    page_size: int | None = Field(default=None, ge=1, description="Rows per page.")


class CodeIn(_In):
    """``POST chats/{chat_id}/code`` and ``.../code/preview`` (the escape hatch): an ORM
    snippet."""

    code: str = Field(
        description="One Python expression over the preloaded models (or assignments ending "
        "in one), e.g. Order.objects.filter(status='paid').count(). Checked and interpreted "
        "by djai, never executed."
    )
    client_context: ClientContextIn | None = None
    page_size: int | None = Field(default=None, ge=1, description="Rows per page.")


class ChatCreateIn(_In):
    title: str = Field(default="", max_length=200, description="Empty: titled automatically.")


class ChatRenameIn(_In):
    title: str = Field(min_length=1, max_length=200)


class PageQuery(BaseModel):
    """Query string of ``GET chats/{chat_id}/messages/{message_id}/page``."""

    model_config = ConfigDict(extra="forbid")  # query values are text: "50" is a number

    cursor: str = Field(min_length=1, max_length=4096, description="data.next_cursor")
    page_size: int | None = Field(default=None, ge=1)


class ChatListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)


class CapabilitiesQuery(BaseModel):
    """Query string of ``GET capabilities``."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        default=None,
        pattern=MODEL_LABEL_PATTERN,
        max_length=200,
        description="A model label ('shop.order') to focus the examples on.",
    )


# --------------------------------------------------------------------------- resources


class PendingClarificationOut(BaseModel):
    id: str
    question: str
    options: list[dict[str, Any]]
    expires_at: str


class ChatOut(BaseModel):
    id: int
    title: str
    title_source: str = Field(description="'' (untitled), 'auto' or 'user'.")
    current_topic: str
    conversation_summary: str
    pending_clarification: PendingClarificationOut | None
    created_at: str
    updated_at: str


class ChatListOut(BaseModel):
    chats: list[ChatOut]


class MessageOut(BaseModel):
    id: int
    role: str = Field(description="'user' or 'assistant'.")
    kind: str = Field(description="question, dsl, answer, clarification, out_of_scope or error.")
    content: str
    envelope: dict[str, Any] | None = Field(description="The assistant's envelope.")
    plan: str = Field(description="DSL text of the plan an answer ran.")
    trace_id: str
    created_at: str


class MessageListOut(BaseModel):
    chat_id: int
    messages: list[MessageOut]


class ModelRefOut(BaseModel):
    label: str = Field(description="The model as the DSL names it, e.g. 'shop.order'.")
    name: str = Field(description="Its plural verbose name, e.g. 'orders'.")


class CapabilitiesOut(BaseModel):
    preview_before_run: bool = Field(
        description="Clients should preview every question's plan and run it on request."
    )
    show_code: bool = Field(description="Answers carry data.code (the SQL) for this user.")
    escape_hatch: bool = Field(
        description="This user may run and edit ORM snippets (POST chats/{id}/code)."
    )
    page_size: int = Field(description="Rows in one page of an answer.")
    max_message_length: int
    max_dsl_length: int
    export_max_rows: int = Field(description="Rows a CSV export holds at most.")
    models: list[ModelRefOut] = Field(description="What this user may ask about.")
    focus: ModelRefOut | None = Field(description="The ?model= asked for, when visible.")
    examples: list[str] = Field(description="Questions this user could ask.")


def write_envelope_schema(path: Path = ENVELOPE_SCHEMA_PATH) -> None:
    path.write_text(json.dumps(envelope_json_schema(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_envelope_schema()
    print(f"wrote {ENVELOPE_SCHEMA_PATH}")
