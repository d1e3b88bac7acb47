"""Result / clarification / refusal / error -> envelope (the last stage before recording).

Pure functions: they read what earlier stages produced and never touch the database. The
user-facing ``message`` is short and deterministic; the details are in ``data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from djai_dsl.chat.envelope import (
    AnswerData,
    AnswerEnvelope,
    ClarificationData,
    ClarificationEnvelope,
    ColumnOut,
    ErrorData,
    ErrorDetailOut,
    ErrorEnvelope,
    IntentLabel,
    Meta,
    OptionOut,
    OutOfScopeData,
    OutOfScopeEnvelope,
    ResolvesToPlan,
    ResolvesToQuestion,
    ResultOut,
    WindowOut,
)
from djai_dsl.compiler import CompiledQuery
from djai_dsl.errors import DjaiError
from djai_dsl.escape.shape import CompiledSnippet
from djai_dsl.executor import Result

#: A one-row result with at most this many columns is said in the message itself.
INLINE_VALUES = 4


@dataclass
class MetaInfo:
    chat_id: int | None
    trace_id: str
    intent_label: IntentLabel | None = None
    intent_confidence: float | None = None

    def meta(self) -> Meta:
        confidence = self.intent_confidence
        if confidence is not None:
            confidence = round(min(max(confidence, 0.0), 1.0), 4)
        return Meta(
            chat_id=self.chat_id,
            intent_label=self.intent_label,
            intent_confidence=confidence,
            trace_id=self.trace_id,
        )


def answer(
    meta: MetaInfo,
    compiled: CompiledQuery,
    plan_text: str,
    result: Result | None,
    *,
    code: str | None = None,
    notes: list[str] | None = None,
    message_id: int | None = None,
) -> AnswerEnvelope:
    """An answer (``result`` given) or a preview of one (``result`` None: nothing ran)."""
    fields: dict[str, Any] = {
        "result": None,
        "truncated": False,
        "executed": result is not None,
        "row_count": 0,
        "page": 1,
        "next_cursor": None,
        "message_id": message_id,
        "explanation": compiled.explanation,
        "plan": plan_text,
        "windows": [WindowOut(**w) for w in compiled.windows],
        "notes": list(notes or []),
    }
    if result is not None:
        fields.update(
            result=ResultOut(
                columns=[
                    ColumnOut(name=c.name, type=c.type, label=c.label) for c in result.columns
                ],
                rows=result.rows,
            ),
            truncated=result.truncated,
            row_count=result.row_count,
            page=result.page,
            next_cursor=result.next_cursor,
        )
    if code is not None:
        fields["code"] = code
    return AnswerEnvelope(
        type="answer",
        message=answer_message(result) if result is not None else preview_message(compiled),
        data=AnswerData(**fields),
        meta=meta.meta(),
    )


def code_answer(
    meta: MetaInfo,
    snippet: CompiledSnippet,
    result: Result | None,
    *,
    sql: str | None = None,
    show_snippet: bool = False,
    notes: list[str] | None = None,
    message_id: int | None = None,
) -> AnswerEnvelope:
    """An answer (or preview) computed by an ORM snippet of the escape hatch. It is marked
    ``source: "code"``; the snippet itself is shown like the SQL, to users allowed to see
    code."""
    fields: dict[str, Any] = {
        "result": None,
        "truncated": False,
        "executed": result is not None,
        "row_count": 0,
        "page": 1,
        "next_cursor": None,
        "message_id": message_id,
        "explanation": snippet.explanation,
        "plan": "",
        "windows": [],
        "notes": list(notes or []),
        "source": "code",
    }
    if result is not None:
        fields.update(
            result=ResultOut(
                columns=[
                    ColumnOut(name=c.name, type=c.type, label=c.label) for c in result.columns
                ],
                rows=result.rows,
            ),
            truncated=result.truncated,
            row_count=result.row_count,
            page=result.page,
            next_cursor=result.next_cursor,
        )
    if sql is not None:
        fields["code"] = sql
    if show_snippet:
        fields["snippet"] = snippet.source
    message = (
        answer_message(result)
        if result is not None
        else "This is how the code would be answered; nothing was run."
    )
    return AnswerEnvelope(
        type="answer", message=message, data=AnswerData(**fields), meta=meta.meta()
    )


def answer_message(result: Result) -> str:
    """The value itself for one small row ("orders: 42."), else a row count and whether
    more rows exist."""
    if result.row_count == 1 and len(result.columns) <= INLINE_VALUES and result.page == 1:
        pairs = [
            f"{c.label or c.name}: {_say(v)}"
            for c, v in zip(result.columns, result.rows[0], strict=True)
        ]
        return "; ".join(pairs) + "."
    if result.row_count == 0:
        return "No rows match." if result.page == 1 else "No more rows."
    noun = "row" if result.row_count == 1 else "rows"
    text = f"{result.row_count} {noun}"
    if result.page > 1:
        text = f"Page {result.page}: {text}"
    if result.truncated:
        text += "; more are available"
    return text + "."


def preview_message(compiled: CompiledQuery) -> str:
    return "This is how the question would be answered; nothing was run."


def _say(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass
class OptionView:
    """What the composer needs of a clarification option (from chat/clarification.py)."""

    id: str
    label: str
    plan: str = ""
    explanation: str = ""
    question: str = ""


def clarification(
    meta: MetaInfo,
    question: str,
    options: list[OptionView],
    *,
    pending_id: str | None,
    expires_at: str | None,
) -> ClarificationEnvelope:
    outs = []
    for option in options:
        resolves: ResolvesToPlan | ResolvesToQuestion
        if option.plan:
            resolves = ResolvesToPlan(kind="plan", plan=option.plan, explanation=option.explanation)
        else:
            resolves = ResolvesToQuestion(kind="question", question=option.question)
        outs.append(OptionOut(id=option.id, label=option.label, resolves_to=resolves))
    return ClarificationEnvelope(
        type="clarification",
        message=question,
        data=ClarificationData(
            question=question,
            options=outs,
            pending_clarification_id=pending_id,
            expires_at=expires_at,
        ),
        meta=meta.meta(),
    )


def out_of_scope(
    meta: MetaInfo, reason: str, how_to_rephrase: str, examples: list[str]
) -> OutOfScopeEnvelope:
    return OutOfScopeEnvelope(
        type="out_of_scope",
        message=f"{reason} {how_to_rephrase}".strip(),
        data=OutOfScopeData(reason=reason, how_to_rephrase=how_to_rephrase, examples=examples),
        meta=meta.meta(),
    )


def error(meta: MetaInfo, exc: DjaiError) -> ErrorEnvelope:
    """An error envelope from any :class:`DjaiError`; its status is ``exc.http_status``."""
    raw = exc.as_dict()
    fields: dict[str, Any] = {"error_code": raw["error_code"], "retryable": raw["retryable"]}
    for key in ("hint", "line", "column", "expected"):
        if key in raw:
            fields[key] = raw[key]
    if "details" in raw:
        fields["details"] = [ErrorDetailOut(**d) for d in raw["details"]]
    return ErrorEnvelope(
        type="error", message=exc.message, data=ErrorData(**fields), meta=meta.meta()
    )
