"""Planners: question + context + manifest -> plan | clarification | out of scope."""

from djai_dsl.planners.base import (
    Clarification,
    ClarifyOption,
    IntentLabel,
    OutOfScope,
    Planner,
    PlannerContext,
    PlannerResult,
    PlanProposal,
    Turn,
)

__all__ = [
    "Clarification",
    "ClarifyOption",
    "IntentLabel",
    "OutOfScope",
    "PlanProposal",
    "Planner",
    "PlannerContext",
    "PlannerResult",
    "Turn",
]
