"""Helpers a host project uses to pin down its own questions and plans in tests.

They run the same stages as the API (manifest for a user, validation, compilation) with an
injected clock and time zone, so that snapshots do not change from day to day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from djai_dsl.compiler import CompiledQuery, compile_plan
from djai_dsl.executor import compiled_sql
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest import Manifest, build_manifest
from djai_dsl.planners.base import Clarification, OutOfScope, PlannerContext, PlanProposal

DEFAULT_NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
DEFAULT_TZ = ZoneInfo("UTC")


def compile_dsl(
    text: str,
    *,
    user: Any = None,
    manifest: Manifest | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
    now: dt.datetime = DEFAULT_NOW,
) -> CompiledQuery:
    """Parse, validate and compile ``text`` as ``user`` would (default: no user, all models)."""
    manifest = manifest if manifest is not None else build_manifest(user)
    return compile_plan(parse(text, manifest=manifest), manifest, tz=tz, now=now)


def assert_dsl_matches_queryset(
    text: str, queryset: QuerySet[Any], *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any
) -> None:
    """Assert that ``text`` returns the same rows as a hand-written ``queryset``.

    Rows are compared as tuples of values in column order; order matters only when the DSL
    sorts (``sort ...``)."""
    compiled = compile_dsl(text, **kwargs)
    ours = [tuple(row[c.key] for c in compiled.columns) for row in compiled.queryset.using(using)]
    theirs = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in queryset]
    if not compiled.plan.sort:
        ours, theirs = sorted(ours, key=repr), sorted(theirs, key=repr)
    assert ours == theirs, (
        f"DSL rows differ from the QuerySet's:\n  dsl: {ours[:5]}\n  orm: {theirs[:5]}"
    )


def plan_snapshot(
    question: str,
    *,
    planner: Any = None,
    user: Any = None,
    tz: ZoneInfo = DEFAULT_TZ,
    now: dt.datetime = DEFAULT_NOW,
) -> dict[str, Any]:
    """What a planner makes of ``question``, as a dict that snapshots well: the kind of
    answer, and for a plan its canonical DSL, explanation and SQL."""
    from djai_dsl.planners.select import get_planner

    planner = planner or get_planner()
    manifest = build_manifest(user)
    result = planner.plan(question, PlannerContext(tz=tz, now=now), manifest)
    if isinstance(result, PlanProposal):
        compiled = compile_plan(result.plan, manifest, tz=tz, now=now)
        sql, params = compiled_sql(compiled)
        return {
            "kind": "plan",
            "dsl": format_plan(compiled.plan),
            "explanation": compiled.explanation,
            "sql": sql,
            "params": [str(p) for p in params],
        }
    if isinstance(result, Clarification):
        return {
            "kind": "clarification",
            "question": result.question,
            "options": [o.label for o in result.options],
        }
    assert isinstance(result, OutOfScope)
    return {
        "kind": "out_of_scope",
        "reason": result.reason,
        "how_to_rephrase": result.how_to_rephrase,
    }
