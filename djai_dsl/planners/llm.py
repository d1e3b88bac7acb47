"""The LLM planner: instructor on the ``openai`` client, against any OpenAI-compatible
endpoint (OpenAI, Ollama, vLLM, llama.cpp server...).

One call asks for an :class:`~djai_dsl.planners.answer.LLMAnswer` (plan, clarification or
refusal). Failures are handled by class, because each class wants a different remedy:

=====================================  ==================================================
what went wrong                        what happens
=====================================  ==================================================
answer does not validate (bad JSON,    instructor re-asks with the error, at most
unknown field, wrong shape)            ``MAX_REASKS`` times; then ``llm_bad_output``
timeout, connection error, 5xx, 408,   retried ``MAX_RETRIES`` times with exponential
409, 429 rate limit                    backoff; then ``llm_unavailable``
401 / 403                              no retry: ``llm_auth_failed``
429 with ``insufficient_quota``        no retry: ``llm_quota_exceeded``
answer cut off (``finish_reason``      ``llm_bad_output`` (raise ``MAX_TOKENS``)
length)
provider refusal / content filter      an :class:`OutOfScope` result, not an error
anything else from provider or SDK     ``llm_unavailable``
=====================================  ==================================================

No provider exception leaves this module untyped. The openai client's own retries are off
(``max_retries=0``) so that backoff comes from settings and is counted and logged here.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import httpx2
import instructor
import openai
from instructor.core.exceptions import (
    IncompleteOutputException,
    InstructorError,
)
from instructor.core.hooks import Hooks
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from djai_dsl.conf import get_config
from djai_dsl.errors import (
    ConfigurationError,
    DjaiError,
    ErrorDetail,
    LLMAuthError,
    LLMBadOutput,
    LLMQuotaExceeded,
    LLMUnavailable,
)
from djai_dsl.manifest.types import Manifest
from djai_dsl.planners.answer import (
    LLMAnswer,
    answer_model,
    bound_code_check,
    bound_manifest,
    refusal_answer,
    to_result,
)
from djai_dsl.planners.base import PlannerContext, PlannerResult
from djai_dsl.planners.prompt import build_messages

__all__ = ["MODES", "LLMPlanner", "LLMSettings"]

logger = logging.getLogger(__name__)

MODES = {"tools": instructor.Mode.TOOLS, "json": instructor.Mode.JSON}

#: Placeholder sent when no key is configured: local servers ignore it, and a hosted
#: provider answers 401, which names the missing variable in the error's hint.
NO_KEY = "no-key-configured"

#: HTTP statuses worth retrying: the request may succeed unchanged a moment later.
_TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})


#: The reply the preview transport gives: a valid answer in both modes (tool call and
#: message content), so instructor finishes without errors or retries.
_PREVIEW_ARGUMENTS = json.dumps(
    {"answer": {"kind": "out_of_scope", "reason": "preview only", "confidence": 1}}
)
_PREVIEW_COMPLETION = {
    "id": "preview",
    "object": "chat.completion",
    "created": 0,
    "model": "preview",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {
                "role": "assistant",
                "content": _PREVIEW_ARGUMENTS,
                "tool_calls": [
                    {
                        "id": "preview",
                        "type": "function",
                        "function": {"name": "LLMAnswer", "arguments": _PREVIEW_ARGUMENTS},
                    }
                ],
            },
        }
    ],
}


@dataclass(frozen=True)
class LLMSettings:
    """``DJAI["LLM"]``, checked once per planner."""

    model: str
    base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    mode: str = "tools"
    timeout_s: float = 30.0
    max_retries: int = 2
    retry_backoff_s: float = 0.5
    retry_backoff_max_s: float = 8.0
    max_reasks: int = 2
    temperature: float = 0.0
    max_tokens: int | None = None
    history_turns: int = 6
    record: bool = False

    @classmethod
    def from_config(cls, *, require_model: bool = True) -> LLMSettings:
        raw = dict(get_config()["LLM"])
        try:
            values = cls(
                model=str(raw.get("MODEL") or ""),
                base_url=str(raw.get("BASE_URL") or ""),
                api_key_env=str(raw.get("API_KEY_ENV") or ""),
                mode=str(raw.get("MODE") or "tools").lower(),
                timeout_s=float(raw["TIMEOUT_S"]),
                max_retries=int(raw["MAX_RETRIES"]),
                retry_backoff_s=float(raw["RETRY_BACKOFF_S"]),
                retry_backoff_max_s=float(raw["RETRY_BACKOFF_MAX_S"]),
                max_reasks=int(raw["MAX_REASKS"]),
                temperature=float(raw["TEMPERATURE"]),
                max_tokens=int(raw["MAX_TOKENS"]) if raw.get("MAX_TOKENS") else None,
                history_turns=int(raw["HISTORY_TURNS"]),
                record=bool(raw.get("RECORD")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"DJAI['LLM'] has a bad value: {exc}") from None
        values.check(require_model=require_model)
        return values

    def check(self, *, require_model: bool = True) -> None:
        problems = []
        if require_model and not self.model:
            problems.append("MODEL is empty: name the model the endpoint serves")
        if self.mode not in MODES:
            problems.append(f"MODE is {self.mode!r}: use 'tools' or 'json'")
        if self.timeout_s <= 0:
            problems.append("TIMEOUT_S must be positive")
        if min(self.max_retries, self.max_reasks, self.history_turns) < 0:
            problems.append("MAX_RETRIES, MAX_REASKS and HISTORY_TURNS cannot be negative")
        if self.retry_backoff_s < 0 or self.retry_backoff_max_s < 0:
            problems.append("RETRY_BACKOFF_S and RETRY_BACKOFF_MAX_S cannot be negative")
        if problems:
            raise ConfigurationError(
                "DJAI['LLM'] is not usable: " + "; ".join(problems),
                hint="see the LLM settings in djai_dsl/conf.py",
            )

    def api_key(self) -> str:
        return (os.environ.get(self.api_key_env, "") if self.api_key_env else "") or NO_KEY

    def backoff(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before transport retry number ``retry`` (0-based): exponential,
        or what the provider asked for, never more than the cap."""
        delay = self.retry_backoff_s * (2**retry)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.retry_backoff_max_s)


@dataclass
class _Call:
    """Book-keeping for one question: requests sent, re-asks, a refusal seen."""

    requests: int = 0
    reasks: int = 0
    refusal: str | None = None
    last_problem: str = ""
    last_parse_error: BaseException | None = None
    hooks: Hooks = field(default_factory=Hooks)

    def __post_init__(self) -> None:
        self.hooks.on("completion:kwargs", self._on_request)
        self.hooks.on("completion:response", self._on_response)
        self.hooks.on("parse:error", self._on_parse_error)

    def _on_request(self, *args: Any, **kwargs: Any) -> None:
        self.requests += 1

    def _on_response(self, response: Any) -> None:
        choices = getattr(response, "choices", None) or []
        if not choices:
            return
        choice = choices[0]
        refused = getattr(choice.message, "refusal", None)
        if refused:
            self.refusal = str(refused)
        elif choice.finish_reason == "content_filter":
            self.refusal = "The provider's content filter stopped the answer."

    def _on_parse_error(self, error: Exception, **kwargs: Any) -> None:
        self.reasks += 1
        self.last_parse_error = error
        self.last_problem = _short_error(error)

    def rejected(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the rejection of an answer the model gave (and not, say, an
        HTTP body that is not JSON at all)."""
        return exc is self.last_parse_error

    def should_reask(self, exc: BaseException) -> bool:
        # A refusal is final: re-asking a model that declined wastes a round trip.
        return self.rejected(exc) and self.refusal is None


class LLMPlanner:
    """Plans with a language model. Cheap to construct; the HTTP client is shared per
    endpoint and settings."""

    name = "llm"

    def __init__(
        self,
        settings: LLMSettings | None = None,
        *,
        http_client: httpx2.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or LLMSettings.from_config()
        self._http_client = http_client
        self._sleep = sleep

    # -- the protocol

    def plan(self, question: str, context: PlannerContext, manifest: Manifest) -> PlannerResult:
        messages = self.messages(question, context, manifest)
        started = time.perf_counter()
        call = _Call()
        answer = self._complete(messages, manifest, call, context)
        latency_ms = (time.perf_counter() - started) * 1000
        result = to_result(answer, manifest, retry_count=call.reasks, latency_ms=latency_ms)
        logger.info(
            "llm planner answered",
            extra={
                "kind": answer.answer.kind,
                "requests": call.requests,
                "reasks": call.reasks,
                "llm_latency_ms": round(latency_ms, 1),
                "model": self.settings.model,
            },
        )
        if self.settings.record:
            from djai_dsl.planners.replay import record_answer

            record_answer(question, context.previous_plan, answer, retry_count=call.reasks)
        return result

    def messages(
        self, question: str, context: PlannerContext, manifest: Manifest
    ) -> list[dict[str, Any]]:
        """Our messages, before instructor adds the output schema."""
        return build_messages(
            question, context, manifest, history_turns=self.settings.history_turns
        )

    def preview_request(
        self, question: str, context: PlannerContext, manifest: Manifest
    ) -> dict[str, Any]:
        """The exact JSON body :meth:`plan` would POST to ``/chat/completions``, with the
        schema as instructor adds it. Nothing leaves the process: an in-memory transport
        captures the request and answers it with a stock refusal."""
        captured: list[dict[str, Any]] = []

        def capture(request: httpx2.Request) -> httpx2.Response:
            captured.append(json.loads(request.content))
            return httpx2.Response(200, json=_PREVIEW_COMPLETION)

        client = _instructor_client(
            self.settings, http_client=httpx2.Client(transport=httpx2.MockTransport(capture))
        )
        try:
            with bound_manifest(manifest):
                client.create(
                    response_model=LLMAnswer,
                    messages=cast(Any, self.messages(question, context, manifest)),
                    max_retries=0,
                    strict=False,
                    **self._request_options(),
                )
        except (InstructorError, openai.OpenAIError) as exc:
            raise ConfigurationError(f"could not build the LLM request: {exc}") from None
        return captured[0]

    # -- one question, with transport retries around instructor's re-asks

    def _complete(
        self,
        messages: list[dict[str, Any]],
        manifest: Manifest,
        call: _Call,
        context: PlannerContext | None = None,
    ) -> LLMAnswer:
        client = _instructor_client(self.settings, http_client=self._http_client)
        reasks = Retrying(
            stop=stop_after_attempt(self.settings.max_reasks + 1),
            retry=retry_if_exception(call.should_reask),
            reraise=True,
        )
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            try:
                with bound_manifest(manifest), _code_check(manifest, context):
                    return client.create(
                        response_model=answer_model(bool(context and context.escape_hatch)),
                        messages=cast(Any, messages),
                        max_retries=reasks.copy(),
                        strict=False,
                        hooks=call.hooks,
                        **self._request_options(),
                    )
            except Exception as exc:  # every failure is classified below, none escapes raw
                if call.refusal is not None:
                    return refusal_answer(call.refusal)
                error, retry_after = self._classify(exc, call)
                if retry_after is None or attempt + 1 >= attempts:
                    raise error from exc
                delay = self.settings.backoff(attempt, retry_after or None)
                logger.warning(
                    "llm request failed, retrying",
                    extra={"attempt": attempt + 1, "error": _short_error(exc), "delay_s": delay},
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _request_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": self.settings.model,
            "temperature": self.settings.temperature,
        }
        if self.settings.max_tokens:
            options["max_tokens"] = self.settings.max_tokens
        return options

    def _classify(self, exc: BaseException, call: _Call) -> tuple[DjaiError, float | None]:
        """The typed error for a failure, and whether to retry: a delay hint in seconds
        (0 when the provider gave none) for transient failures, None for final ones."""
        cause = _root_cause(exc)
        where = f"endpoint {self.settings.base_url or 'api.openai.com'}"
        if isinstance(cause, IncompleteOutputException):
            return (
                LLMBadOutput(
                    "The language model's answer was cut off before it was complete.",
                    hint="raise DJAI['LLM']['MAX_TOKENS'] or ask a simpler question",
                ),
                None,
            )
        if call.rejected(cause):
            detail = ErrorDetail(call.last_problem or _short_error(cause))
            return (
                LLMBadOutput(
                    hint=f"{call.reasks} answer(s) were rejected; the last problem is listed",
                    details=[detail],
                ),
                None,
            )
        if isinstance(cause, (openai.AuthenticationError, openai.PermissionDeniedError)):
            env = self.settings.api_key_env or "(none configured)"
            return (
                LLMAuthError(
                    hint=f"check the API key in the environment variable {env} for {where}"
                ),
                None,
            )
        if isinstance(cause, openai.APIStatusError):
            status = cause.status_code
            if status == 429 and _is_quota(cause):
                return LLMQuotaExceeded(hint=f"check the account's billing at {where}"), None
            if status >= 500 or status in _TRANSIENT_STATUSES:
                return (
                    LLMUnavailable(f"The language model answered with HTTP {status}.", hint=where),
                    _retry_after(cause) or 0.0,
                )
            logger.warning(
                "llm request rejected", extra={"status": status, "error": _short_error(cause)}
            )
            return LLMUnavailable(
                f"The language model rejected the request (HTTP {status}).", hint=where
            ), None
        if isinstance(cause, openai.APITimeoutError):
            return (
                LLMUnavailable(
                    f"The language model did not answer within {self.settings.timeout_s:g} s.",
                    hint=where,
                ),
                0.0,
            )
        if isinstance(cause, openai.APIConnectionError):
            return LLMUnavailable("The language model could not be reached.", hint=where), 0.0
        logger.warning("llm planner failed", extra={"error": _short_error(cause)}, exc_info=cause)
        return LLMUnavailable(
            "The language model sent a response djai cannot read.", hint=where
        ), None


# --------------------------------------------------------------------------- helpers


@contextmanager
def _code_check(manifest: Manifest, context: PlannerContext | None) -> Iterator[None]:
    """While the escape hatch is open for the user, check ``orm`` answers with the guard
    and the interpreter (nothing runs), so that a refused snippet is re-asked with the
    guard's message like an invalid plan."""
    if context is None or not context.escape_hatch:
        yield
        return
    from djai_dsl.escape import compile_snippet

    def check(code: str) -> None:
        compile_snippet(code, manifest, tz=context.tz, now=context.now)

    with bound_code_check(check):
        yield


@lru_cache(maxsize=8)
def _cached_client(
    base_url: str, api_key: str, timeout_s: float, mode: str
) -> instructor.Instructor:
    return _build_client(base_url, api_key, timeout_s, mode, None)


def _instructor_client(
    settings: LLMSettings, *, http_client: httpx2.Client | None = None
) -> instructor.Instructor:
    """The instructor client for these settings. Shared (connection pooling) unless a
    specific HTTP client is given."""
    args = (settings.base_url, settings.api_key(), settings.timeout_s, settings.mode)
    if http_client is not None:
        return _build_client(*args, http_client)
    return _cached_client(*args)


def _build_client(
    base_url: str, api_key: str, timeout_s: float, mode: str, http_client: httpx2.Client | None
) -> instructor.Instructor:
    try:
        raw = openai.OpenAI(
            base_url=base_url or None,
            api_key=api_key,
            timeout=timeout_s,
            max_retries=0,  # retries are ours: backoff from settings, by error class
            http_client=http_client,
        )
        return instructor.from_openai(raw, mode=MODES[mode])
    except (openai.OpenAIError, InstructorError) as exc:
        raise ConfigurationError(f"the LLM client cannot be created: {exc}") from None


def _root_cause(exc: BaseException) -> BaseException:
    """The provider's or pydantic's exception inside instructor's wrappers."""
    seen = 0
    while isinstance(exc, InstructorError) and exc.__cause__ is not None and seen < 10:
        exc = exc.__cause__
        seen += 1
    return exc


def _is_quota(exc: openai.APIStatusError) -> bool:
    code = (exc.code or "").lower()
    return (
        code in {"insufficient_quota", "billing_hard_limit_reached"}
        or "quota" in str(exc.message).lower()
    )


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(float(value) * scale, 0.0)
            except ValueError:
                return None  # an HTTP date: fall back to our own backoff
    return None


def _short_error(exc: BaseException) -> str:
    """One line about an error, without pydantic's documentation links."""
    lines = [
        line.strip()
        for line in str(exc).splitlines()
        if line.strip() and "errors.pydantic.dev" not in line
    ]
    text = " | ".join(lines) or type(exc).__name__
    return text[:500]
