"""Metrics of an evaluation run, per category and overall, as text tables or JSON.

- **accuracy**: items answered as expected (the gold rows, a clarification covering every
  listed reading, a refusal, a help reply) over all items;
- **first pass**: answerable items answered at once, without a planner retry or an error;
- **confirm ok**: answerable items where the planner was unsure and asked to confirm a plan
  that would have been right (not counted as accurate);
- **clarification precision / recall**: of the clarifying questions asked (confirmations
  excluded), how many were on ambiguous items; of the ambiguous items, how many got one;
- **out-of-scope precision**: of the refusals, how many were on out-of-scope items, and how
  many out-of-scope items were executed anyway (the target is none);
- **latency** p50 / p95 of the scored question, end to end through the chat service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from djai_dsl.evaluation.runner import EvalRun, Verdict, _is_confirmation


@dataclass
class Metrics:
    n: int
    correct: int
    answerable: int
    first_pass: int
    confirmations: int
    confirm_correct: int
    asked: int  # clarifying questions, confirmations excluded
    asked_right: int  # ... on ambiguous items
    ambiguous: int
    refused: int
    refused_right: int
    out_of_scope: int
    executed_out_of_scope: int
    p50_ms: float
    p95_ms: float

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.n)

    @property
    def first_pass_rate(self) -> float | None:
        return _ratio(self.first_pass, self.answerable)

    @property
    def clarification_precision(self) -> float | None:
        return _ratio(self.asked_right, self.asked)

    @property
    def clarification_recall(self) -> float | None:
        return _ratio(self.asked_right, self.ambiguous)

    @property
    def out_of_scope_precision(self) -> float | None:
        return _ratio(self.refused_right, self.refused)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "answerable": self.answerable,
            "first_pass": self.first_pass,
            "first_pass_rate": self.first_pass_rate,
            "confirmations": self.confirmations,
            "confirm_correct": self.confirm_correct,
            "clarifications_asked": self.asked,
            "clarification_precision": self.clarification_precision,
            "clarification_recall": self.clarification_recall,
            "refusals": self.refused,
            "out_of_scope_precision": self.out_of_scope_precision,
            "out_of_scope_items": self.out_of_scope,
            "executions_on_out_of_scope": self.executed_out_of_scope,
            "latency_p50_ms": self.p50_ms,
            "latency_p95_ms": self.p95_ms,
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 2)


def metrics(verdicts: list[Verdict]) -> Metrics:
    answerable = [v for v in verdicts if v.question.expect == "answer"]
    asked = [
        v for v in verdicts if v.outcome.kind == "clarification" and not _is_confirmation(v.outcome)
    ]
    refused = [v for v in verdicts if v.outcome.kind == "out_of_scope"]
    oos = [v for v in verdicts if v.question.expect == "out_of_scope"]
    latencies = [v.outcome.latency_ms for v in verdicts]
    return Metrics(
        n=len(verdicts),
        correct=sum(v.correct for v in verdicts),
        answerable=len(answerable),
        first_pass=sum(v.outcome.first_pass for v in answerable),
        confirmations=sum(_is_confirmation(v.outcome) for v in answerable),
        confirm_correct=sum(v.confirm_correct for v in answerable),
        asked=len(asked),
        asked_right=sum(v.question.expect == "clarification" for v in asked),
        ambiguous=sum(v.question.expect == "clarification" for v in verdicts),
        refused=len(refused),
        refused_right=sum(v.question.expect == "out_of_scope" for v in refused),
        out_of_scope=len(oos),
        # An item that also accepts the right answer (a median, once supported) is not
        # executed "anyway" when it is answered.
        executed_out_of_scope=sum(
            v.outcome.executed and "answer" not in v.question.expectations for v in oos
        ),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
    )


def by_category(run: EvalRun) -> dict[str, Metrics]:
    order = list(dict.fromkeys(v.question.category for v in run.verdicts))
    return {c: metrics([v for v in run.verdicts if v.question.category == c]) for c in order}


def as_json(run: EvalRun) -> dict[str, Any]:
    return {
        "set": run.question_set.name,
        "path": str(run.question_set.path),
        "planner": run.planner,
        "now": run.now.isoformat(),
        "timezone": run.timezone,
        "overall": metrics(run.verdicts).as_dict(),
        "categories": {c: m.as_dict() for c, m in by_category(run).items()},
        "failures": [_failure(v) for v in run.verdicts if not v.correct],
    }


def _failure(v: Verdict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": v.question.id,
        "category": v.question.category,
        "question": v.question.question,
        "expected": v.question.expect,
        "got": v.outcome.kind,
        "reason": v.reason,
    }
    if v.outcome.plan:
        out["plan"] = v.outcome.plan
    if v.outcome.options:
        out["options"] = [o.get("label", "") for o in v.outcome.options]
    if v.outcome.error_code:
        out["error_code"] = v.outcome.error_code
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def as_text(run: EvalRun) -> str:
    header = (
        f"{'category':<16}{'items':>6}{'correct':>8}{'accuracy':>10}{'1st pass':>10}"
        f"{'confirm':>9}{'clarify':>9}{'refused':>9}{'p50 ms':>9}{'p95 ms':>9}"
    )
    lines = [
        f"djai eval: {run.question_set.name} ({run.question_set.path}), planner {run.planner}, "
        f"now {run.now.isoformat()}, time zone {run.timezone}",
        "",
        header,
        "-" * len(header),
    ]
    rows = [*by_category(run).items(), ("overall", metrics(run.verdicts))]
    for name, m in rows:
        if name == "overall":
            lines.append("-" * len(header))
        lines.append(
            f"{name:<16}{m.n:>6}{m.correct:>8}{_pct(m.accuracy):>10}{_pct(m.first_pass_rate):>10}"
            f"{m.confirmations:>9}{m.asked:>9}{m.refused:>9}{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}"
        )
    total = metrics(run.verdicts)
    lines += [
        "",
        f"execution accuracy      {_pct(total.accuracy)} ({total.correct}/{total.n})",
        f"first-pass success      {_pct(total.first_pass_rate)} of answerable items",
        f"confirmations           {total.confirmations} asked, {total.confirm_correct} would "
        "have been right",
        f"clarification           precision {_pct(total.clarification_precision)}, "
        f"recall {_pct(total.clarification_recall)}",
        f"out of scope            precision {_pct(total.out_of_scope_precision)}, "
        f"{total.executed_out_of_scope} of {total.out_of_scope} out-of-scope items executed",
        f"latency                 p50 {total.p50_ms:.1f} ms, p95 {total.p95_ms:.1f} ms",
    ]
    failures = [v for v in run.verdicts if not v.correct]
    if failures:
        lines += ["", f"failing items ({len(failures)}):"]
        for v in failures:
            lines.append(f"  {v.question.id} [{v.question.category}] {v.question.question}")
            lines.append(f"      expected {v.question.expect}; {v.reason}")
            if v.outcome.plan:
                lines.append("      plan: " + " | ".join(v.outcome.plan.splitlines()))
            elif v.outcome.options:
                labels = "; ".join(str(o.get("label", "")) for o in v.outcome.options)
                lines.append(f"      options: {labels}")
    return "\n".join(lines)
