"""Gold answers: run a question's hand-written DSL on the database, read-only.

The gold is computed at evaluation time on the same database, clock and time zone as the
answers it is compared with, so a benchmark needs no stored result rows and stays right
whatever the seed data is.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from djai_dsl.compiler import compile_plan
from djai_dsl.conf import get_config
from djai_dsl.errors import DjaiError
from djai_dsl.evaluation.scoring import GoldAnswer, Table
from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.grammar import parse
from djai_dsl.manifest.types import Manifest
from djai_dsl.plan import QueryPlan

#: Rows fetched past a gold's limit to find rows that tie with its last one.
TIE_LOOKAHEAD = 100


class GoldError(DjaiError):
    """A gold DSL text that does not parse, validate or run: the benchmark is wrong."""

    code = "gold_invalid"
    http_status = 422


def gold_answer(
    dsl: str,
    manifest: Manifest,
    *,
    tz: ZoneInfo,
    now: dt.datetime,
    ordered: bool | None = None,
) -> GoldAnswer:
    """The expected result of ``dsl``. ``ordered`` overrides whether order matters (by
    default it does when the gold sorts)."""
    try:
        plan = parse(dsl, manifest=manifest)
        table = _run(plan, manifest, tz, now)
    except DjaiError as exc:
        raise GoldError(f"gold answer does not run: {exc}") from exc
    is_ordered = bool(plan.sort) if ordered is None else ordered
    names = table.columns
    sort_columns = [names.index(s.key) for s in plan.sort if s.key in names]
    ties: list[list[object]] = []
    if is_ordered and plan.limit is not None and sort_columns and len(table.rows) == plan.limit:
        ties = _tied_beyond_limit(plan, manifest, tz, now, sort_columns, table.rows[-1])
    return GoldAnswer(table, is_ordered, sort_columns if is_ordered else [], ties)


def _run(plan: QueryPlan, manifest: Manifest, tz: ZoneInfo, now: dt.datetime) -> Table:
    compiled = compile_plan(plan, manifest, tz=tz, now=now)
    result = ReadOnlyExecutor().run(compiled, tz=tz, page_size=get_config()["MAX_PAGE_SIZE"])
    if result.truncated:
        raise GoldError(
            f"gold answer has more than {result.row_count} rows",
            hint="benchmarks compare whole results: narrow the question",
        )
    return Table([c.name for c in result.columns], result.rows)


def _tied_beyond_limit(
    plan: QueryPlan,
    manifest: Manifest,
    tz: ZoneInfo,
    now: dt.datetime,
    sort_columns: list[int],
    last: list[object],
) -> list[list[object]]:
    assert plan.limit is not None
    longer = plan.model_copy(update={"limit": plan.limit + TIE_LOOKAHEAD})
    rows = _run(longer, manifest, tz, now).rows[plan.limit :]
    key = [last[i] for i in sort_columns]
    return [row for row in rows if [row[i] for i in sort_columns] == key]
