"""One error hierarchy for every stage.

Each class carries a stable ``code`` (part of the public contract: clients switch on it),
the HTTP status the API answers with, and whether retrying the same request may succeed.
Errors that come from DSL text also carry a span (line, column) and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ErrorDetail:
    """One problem inside a larger error, e.g. one bad field path in a plan."""

    message: str
    path: str = ""  # where in the plan/text: "where.conditions[0].field", "line 3"
    hint: str = ""
    suggestions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.path:
            out["path"] = self.path
        if self.hint:
            out["hint"] = self.hint
        if self.suggestions:
            out["suggestions"] = list(self.suggestions)
        return out


class DjaiError(Exception):
    code = "internal_error"
    http_status = 500
    retryable = False
    default_message = "Something went wrong while answering."

    def __init__(
        self,
        message: str | None = None,
        *,
        hint: str = "",
        details: list[ErrorDetail] | None = None,
        line: int | None = None,
        column: int | None = None,
        expected: list[str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.hint = hint
        self.details = details or []
        self.line = line
        self.column = column
        self.expected = expected or []
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The ``data`` part of an error envelope (the API adds type/message/meta)."""
        out: dict[str, Any] = {
            "error_code": self.code,
            "retryable": self.retryable,
        }
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = [d.as_dict() for d in self.details]
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        if self.expected:
            out["expected"] = list(self.expected)
        return out

    def __str__(self) -> str:
        text = self.message
        if self.line is not None:
            text = f"line {self.line}, column {self.column}: {text}"
        for d in self.details:
            text += f"\n  - {d.path + ': ' if d.path else ''}{d.message}"
            if d.hint:
                text += f" ({d.hint})"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class BadRequest(DjaiError):
    code = "bad_request"
    http_status = 400
    default_message = "The request is not valid."


class DslSyntaxError(BadRequest):
    """The DSL text does not parse. Carries line, column, expected tokens and a hint."""

    code = "dsl_syntax_error"
    default_message = "The query text could not be read."


class InputTooLarge(BadRequest):
    code = "input_too_large"
    default_message = "The input is too large."


class Forbidden(DjaiError):
    code = "forbidden"
    http_status = 403
    default_message = "You do not have permission to do that."


class NotFound(DjaiError):
    code = "not_found"
    http_status = 404
    default_message = "Not found."


class ChatNotFound(NotFound):
    code = "chat_not_found"
    default_message = "This chat does not exist."


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_message = "This message does not exist in this chat."


class MethodNotAllowed(DjaiError):
    code = "method_not_allowed"
    http_status = 405
    default_message = "This endpoint does not accept that HTTP method."


class CsrfFailed(Forbidden):
    """A state-changing request without a valid CSRF token (the admin page sends it)."""

    code = "csrf_failed"
    default_message = "The request is missing a valid CSRF token; reload the page."


class ClarificationStale(DjaiError):
    """An answer to a clarification that is not the chat's pending one (already answered,
    replaced by a newer question, or never asked)."""

    code = "clarification_stale"
    http_status = 409
    default_message = "This question was already answered or replaced; ask again."


class PendingClarificationExpired(ClarificationStale):
    """An answer to a clarification that waited longer than ``CLARIFICATION_TTL_SECONDS``."""

    code = "clarification_expired"
    http_status = 410
    default_message = "This clarifying question has expired; ask your question again."


class ClarificationOptionUnknown(BadRequest):
    code = "clarification_option_unknown"
    default_message = "That is not one of the offered options."


class PlanInvalid(DjaiError):
    """The plan is well-formed but does not fit the manifest (unknown field, bad type, ...)."""

    code = "plan_invalid"
    http_status = 422
    default_message = "The query plan is not valid for this data."


class PlanTooComplex(PlanInvalid):
    code = "plan_too_complex"
    default_message = "The query is too complex."


class LimitExceeded(PlanInvalid):
    code = "limit_exceeded"
    default_message = "The query asks for more rows than allowed."


class CursorInvalid(BadRequest):
    code = "cursor_invalid"
    default_message = "This page link is no longer valid; run the query again."


class RateLimited(DjaiError):
    code = "rate_limited"
    http_status = 429
    retryable = True
    default_message = "Too many questions in a short time; wait a moment."
    #: seconds until a new request is accepted (sent as the Retry-After header)
    retry_after: int | None = None


class QueryTimeout(DjaiError):
    code = "query_timeout"
    http_status = 504
    retryable = True
    default_message = "The query took too long and was stopped."


class ReadOnlyViolation(DjaiError):
    code = "read_only_violation"
    http_status = 403
    default_message = "The query tried to change data; djai only reads."


class QueryFailed(DjaiError):
    """The database rejected the compiled query for a reason other than a timeout."""

    code = "query_failed"
    http_status = 500
    default_message = "The database could not run this query."


class LLMUnavailable(DjaiError):
    code = "llm_unavailable"
    http_status = 503
    retryable = True
    default_message = "The language model is not reachable right now."


class LLMAuthError(LLMUnavailable):
    """The provider rejected djai's credentials (HTTP 401/403). Retrying cannot help: the
    key named by ``DJAI["LLM"]["API_KEY_ENV"]`` must be fixed."""

    code = "llm_auth_failed"
    retryable = False
    default_message = "The language model provider rejected djai's credentials."


class LLMQuotaExceeded(LLMUnavailable):
    """The provider says the account's quota or budget is used up (not a short rate limit,
    which is retried)."""

    code = "llm_quota_exceeded"
    retryable = False
    default_message = "The language model provider's quota for djai is used up."


class LLMBadOutput(LLMUnavailable):
    """The model answered, but even after the bounded re-asks not with a valid plan,
    clarification or refusal (broken JSON, unknown fields, an answer cut off)."""

    code = "llm_bad_output"
    http_status = 502
    default_message = (
        "The language model did not produce a valid query plan; try rephrasing the question."
    )


class ReplayMiss(LLMUnavailable):
    """The replay planner has no recorded answer for this question and previous plan."""

    code = "replay_miss"
    retryable = False
    default_message = "There is no recorded answer for this question."


class CodeInvalid(DjaiError):
    """An ORM snippet of the escape hatch was refused before anything ran. Carries the line
    and column of the offending node and, in ``hint``, what is allowed instead. Subclasses
    say why; the LLM planner re-asks the model with the message, like a plan error."""

    code = "code_invalid"
    http_status = 422
    default_message = "The code snippet is not valid."


class CodeForbiddenNode(CodeInvalid):
    """A kind of Python syntax the snippet language does not have (a loop, a lambda, a
    comprehension, an f-string, a function definition...)."""

    code = "code_forbidden_node"
    default_message = "The code snippet uses Python syntax that snippets cannot use."


class CodeForbiddenName(CodeInvalid):
    """A name that is not one of the preloaded symbols (``eval``, ``open``, ``type``, a model
    the user may not view...)."""

    code = "code_forbidden_name"
    default_message = "The code snippet uses a name that is not available."


class CodeForbiddenAttribute(CodeInvalid):
    """An attribute or method that is not on the allowlist: anything starting with ``_``,
    writes (``update``, ``delete``...), ``raw``, ``extra``, ``query``, ``using``..."""

    code = "code_forbidden_attribute"
    default_message = "The code snippet uses an attribute or method that is not available."


class CodeForbiddenImport(CodeInvalid):
    code = "code_forbidden_import"
    default_message = "The code snippet imports something; models and expressions are preloaded."


class CodeTooLarge(CodeInvalid):
    """Past a size limit: characters, AST nodes, nesting, call depth, a huge constant."""

    code = "code_too_large"
    default_message = "The code snippet is too large or too deeply nested."


class CodeUnknownField(CodeInvalid):
    """A field path, lookup or model the user's manifest does not have (hidden, secret and
    absent names are all reported alike)."""

    code = "code_unknown_field"
    default_message = "The code snippet names a field that does not exist for you."


class EscapeHatchDisabled(NotFound):
    """The escape hatch is off (``DJAI["ESCAPE_HATCH"]["ENABLED"]``): its endpoints do not
    exist."""

    code = "escape_hatch_disabled"
    default_message = "There is no such API endpoint."


class EscapeHatchForbidden(Forbidden):
    code = "escape_hatch_forbidden"
    default_message = "You may not run code snippets (djai_dsl.use_escape_hatch)."


class ConfigurationError(DjaiError):
    code = "configuration_error"
    http_status = 500
    default_message = "djai is not configured correctly."


ERROR_CLASSES: tuple[type[DjaiError], ...] = (
    DjaiError,
    BadRequest,
    DslSyntaxError,
    InputTooLarge,
    Forbidden,
    NotFound,
    ChatNotFound,
    MessageNotFound,
    MethodNotAllowed,
    CsrfFailed,
    ClarificationStale,
    PendingClarificationExpired,
    ClarificationOptionUnknown,
    PlanInvalid,
    PlanTooComplex,
    LimitExceeded,
    CursorInvalid,
    RateLimited,
    QueryTimeout,
    ReadOnlyViolation,
    QueryFailed,
    LLMUnavailable,
    LLMAuthError,
    LLMQuotaExceeded,
    LLMBadOutput,
    ReplayMiss,
    CodeInvalid,
    CodeForbiddenNode,
    CodeForbiddenName,
    CodeForbiddenAttribute,
    CodeForbiddenImport,
    CodeTooLarge,
    CodeUnknownField,
    EscapeHatchDisabled,
    EscapeHatchForbidden,
    ConfigurationError,
)
