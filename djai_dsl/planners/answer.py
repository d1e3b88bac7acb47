"""What a language model fills in: one :class:`LLMAnswer`, which is a plan, a clarifying
question or a refusal.

One schema for all three outcomes lets a single call decide between answering, asking and
declining, and makes each outcome a validated object rather than prose to interpret. As in
:mod:`djai_dsl.plan`, the docstrings and field descriptions are the prompt: instructor turns
them into the tool (or JSON-mode) schema the model reads.

Plans inside an answer are checked against the user's manifest while the answer is
validated, so an unknown field makes instructor re-ask the model with the error. The
check comes from pydantic's validation context (``context=validation_context(m)``, as for
:class:`~djai_dsl.plan.QueryPlan`) or from :func:`bound_manifest`. The LLM planner uses the
latter because instructor renders message text as Jinja templates whenever a context is
passed to it, and a question or schema containing ``{{`` or ``{#`` must reach the model as
written.

The replay planner reads and writes the same objects, so a recorded answer replays through
exactly the code path the live one took (:func:`to_result`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from djai_dsl.manifest.types import Manifest
from djai_dsl.plan import PLAN_CHECKER, QueryPlan
from djai_dsl.planners.base import (
    Clarification,
    ClarifyOption,
    CodeProposal,
    OutOfScope,
    PlannerResult,
    PlanProposal,
)
from djai_dsl.validation import plan_problems, validate_plan

__all__ = [
    "AnswerBody",
    "ClarifyAnswer",
    "ClarifyChoice",
    "CodeAnswer",
    "LLMAnswer",
    "LLMAnswerWithCode",
    "OutOfScopeAnswer",
    "PlanAnswer",
    "answer_model",
    "bound_code_check",
    "bound_manifest",
    "dump_answer",
    "refusal_answer",
    "to_result",
]

_MANIFEST: ContextVar[Manifest | None] = ContextVar("djai_llm_manifest", default=None)
#: Checks an ORM snippet for the asking user (guard + interpreter, nothing runs); raises a
#: DjaiError. Bound by the LLM planner while the escape hatch is open for the user.
_CODE_CHECK: ContextVar[Callable[[str], Any] | None] = ContextVar("djai_code_check", default=None)

Confidence = Annotated[
    float,
    Field(
        ge=0,
        le=1,
        description="How sure you are, from 0 to 1, that this is what the user means.",
    ),
]


@contextmanager
def bound_manifest(manifest: Manifest) -> Iterator[None]:
    """Check every plan validated inside this block against ``manifest``."""
    token = _MANIFEST.set(manifest)
    try:
        yield
    finally:
        _MANIFEST.reset(token)


@contextmanager
def bound_code_check(check: Callable[[str], Any]) -> Iterator[None]:
    """Check every ORM snippet (kind "orm") validated inside this block with ``check``."""
    token = _CODE_CHECK.set(check)
    try:
        yield
    finally:
        _CODE_CHECK.reset(token)


def _check_plan(plan: QueryPlan | None, info: ValidationInfo) -> QueryPlan | None:
    """Raise the manifest problems of ``plan`` as a ValueError (instructor re-asks with it).

    When the checker came in the validation context, QueryPlan's own validator has already
    checked the plan, so it is not checked twice."""
    if plan is None or (info.context or {}).get(PLAN_CHECKER) is not None:
        return plan
    manifest = _MANIFEST.get()
    if manifest is not None:
        problems = plan_problems(plan, manifest)
        if problems:
            raise ValueError("; ".join(p.render() for p in problems))
    return plan


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanAnswer(_Answer):
    """The question has one clear reading that the schema can answer: give the plan."""

    kind: Literal["plan"]
    plan: QueryPlan = Field(description="The query plan that answers the question.")
    confidence: Confidence
    notes: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list,
        max_length=5,
        description="Assumptions the user should know about, in a few words each, e.g. "
        "'revenue = sum of order totals' or 'dates use the order creation date'.",
    )

    @field_validator("plan")
    @classmethod
    def _fits_manifest(cls, plan: QueryPlan, info: ValidationInfo) -> QueryPlan:
        _check_plan(plan, info)
        return plan


class ClarifyChoice(_Answer):
    """One reading of an ambiguous question, offered to the user as a button. It resolves
    to a plan, or, when no plan can be built yet, to a rephrased, unambiguous question."""

    label: str = Field(
        min_length=1,
        max_length=120,
        description="Short button text, e.g. 'Revenue by order date'.",
    )
    plan: QueryPlan | None = Field(
        default=None, description="The plan for this reading, if one can be built."
    )
    question: str | None = Field(
        default=None,
        max_length=500,
        description="Otherwise: the question rephrased for this reading.",
    )

    @field_validator("plan")
    @classmethod
    def _fits_manifest(cls, plan: QueryPlan | None, info: ValidationInfo) -> QueryPlan | None:
        return _check_plan(plan, info)

    @model_validator(mode="after")
    def _one_resolution(self) -> ClarifyChoice:
        if (self.plan is None) == (not self.question):
            raise ValueError("give either a plan or a rephrased question for each option")
        return self


class ClarifyAnswer(_Answer):
    """The question can be read in two or more ways that give different answers (which
    model, which date field, which measure, which period): ask instead of guessing."""

    kind: Literal["clarify"]
    question: str = Field(
        min_length=1, max_length=500, description="The clarifying question for the user."
    )
    options: list[ClarifyChoice] = Field(
        min_length=2, max_length=5, description="The plausible readings, most likely first."
    )
    confidence: Confidence


class OutOfScopeAnswer(_Answer):
    """Not a question this schema can answer: a request to change data or run code, about
    secrets, about something outside these models, or a request for help using the
    assistant (label GENERAL_HELP)."""

    kind: Literal["out_of_scope"]
    label: Literal["OUT_OF_SCOPE", "GENERAL_HELP"] = Field(
        default="OUT_OF_SCOPE",
        description="GENERAL_HELP for questions about how to use the assistant; otherwise "
        "OUT_OF_SCOPE.",
    )
    reason: str = Field(
        min_length=1, max_length=500, description="Why this cannot be answered, briefly."
    )
    how_to_rephrase: str = Field(
        default="",
        max_length=500,
        description="A data question about these models the user could ask instead.",
    )
    confidence: Confidence


class CodeAnswer(_Answer):
    """Only when no query plan can express the question (e.g. ranking within groups, a
    value compared with a per-row subquery, an average of per-customer counts): one
    read-only Django ORM expression over the model classes named in the schema, ending in
    a QuerySet, .count(), .exists() or .aggregate(...). Nothing is imported; the classes
    and expressions are already available by name."""

    kind: Literal["orm"]
    code: str = Field(
        min_length=1,
        max_length=4000,
        description="The snippet, e.g. Order.objects.filter(status='paid')"
        ".values('customer__country').annotate(n=Count('id')).order_by('-n')[:10]",
    )
    confidence: Confidence
    notes: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list,
        max_length=5,
        description="Assumptions the user should know about, in a few words each.",
    )

    @field_validator("code")
    @classmethod
    def _passes_the_guard(cls, code: str) -> str:
        check = _CODE_CHECK.get()
        if check is None:
            raise ValueError('kind "orm" is not available: answer with a plan')
        from djai_dsl.errors import DjaiError

        try:
            check(code)
        except DjaiError as exc:
            raise ValueError(f"[{exc.code}] {exc}") from None
        return code


AnswerBody = Annotated[PlanAnswer | ClarifyAnswer | OutOfScopeAnswer, Field(discriminator="kind")]
CodeAnswerBody = Annotated[
    PlanAnswer | ClarifyAnswer | OutOfScopeAnswer | CodeAnswer, Field(discriminator="kind")
]


class LLMAnswer(BaseModel):
    """Answer the user's question about the data: a query plan (kind "plan"), a clarifying
    question when it is ambiguous (kind "clarify"), or a refusal when it is not a read-only
    question about these models (kind "out_of_scope")."""

    model_config = ConfigDict(extra="forbid")

    answer: AnswerBody

    def plans(self) -> list[QueryPlan]:
        """Every plan in the answer (one, or one per clarification option)."""
        body = self.answer
        if isinstance(body, PlanAnswer):
            return [body.plan]
        if isinstance(body, ClarifyAnswer):
            return [o.plan for o in body.options if o.plan is not None]
        return []


class LLMAnswerWithCode(LLMAnswer):
    """Answer the user's question about the data: a query plan (kind "plan"), a clarifying
    question when it is ambiguous (kind "clarify"), a refusal when it is not a read-only
    question about these models (kind "out_of_scope"), or, only when no plan can express
    it, a read-only Django ORM snippet (kind "orm")."""

    # The tool keeps its name, so the model and recordings see one "LLMAnswer" either way.
    model_config = ConfigDict(extra="forbid", title="LLMAnswer")

    answer: CodeAnswerBody  # type: ignore[assignment]


def answer_model(escape_hatch: bool) -> type[LLMAnswer]:
    """The schema the model fills: with the ``orm`` branch only when the escape hatch is
    open for the asking user."""
    return LLMAnswerWithCode if escape_hatch else LLMAnswer


def to_result(
    answer: LLMAnswer,
    manifest: Manifest,
    *,
    retry_count: int = 0,
    latency_ms: float | None = None,
) -> PlannerResult:
    """The planner-protocol result for a validated answer. Plans get their canonical source
    label (the model may write 'shop.Order')."""
    body = answer.answer
    if isinstance(body, PlanAnswer):
        plan = validate_plan(body.plan, manifest)
        return PlanProposal(
            plan=plan,
            confidence=body.confidence,
            candidate_models=[plan.source],
            retry_count=retry_count,
            llm_latency_ms=latency_ms,
            notes=list(body.notes),
        )
    if isinstance(body, CodeAnswer):
        return CodeProposal(
            code=body.code,
            confidence=body.confidence,
            retry_count=retry_count,
            llm_latency_ms=latency_ms,
            notes=list(body.notes),
        )
    if isinstance(body, ClarifyAnswer):
        options = [_option(i, choice, manifest) for i, choice in enumerate(body.options, 1)]
        models = list(dict.fromkeys(o.plan.source for o in options if o.plan is not None))
        return Clarification(
            question=body.question,
            options=options,
            confidence=body.confidence,
            candidate_models=models,
        )
    return OutOfScope(
        reason=body.reason,
        how_to_rephrase=body.how_to_rephrase,
        confidence=body.confidence,
        intent_label=body.label,
    )


def _option(index: int, choice: ClarifyChoice, manifest: Manifest) -> ClarifyOption:
    plan = validate_plan(choice.plan, manifest) if choice.plan is not None else None
    return ClarifyOption(
        id=str(index), label=choice.label, plan=plan, question=choice.question or ""
    )


def refusal_answer(text: str) -> LLMAnswer:
    """The answer standing for a provider-side refusal (the model declined outright,
    outside the schema, or a content filter stopped it)."""
    reason = " ".join(text.split())[:480] or "The language model declined to answer."
    return LLMAnswer(
        answer=OutOfScopeAnswer(
            kind="out_of_scope",
            reason=reason,
            how_to_rephrase="Ask a question about the data you can see, e.g. how many "
            "records match a condition, or a total per month.",
            confidence=1.0,
        )
    )


def dump_answer(answer: LLMAnswer) -> dict[str, Any]:
    """The answer as JSON-able data, as the model would have sent it."""
    return answer.model_dump(mode="json", exclude_none=True)
