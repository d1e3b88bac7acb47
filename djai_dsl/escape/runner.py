"""Run a compiled snippet through the read-only executor.

Rows go through :class:`~djai_dsl.executor.ReadOnlyExecutor` exactly as a plan's do (its
read-only transaction, statement timeout, row cap, keyset cursor and normalisation). A
one-row answer (``count()``, ``exists()``, ``aggregate()``) runs inside the same
:func:`~djai_dsl.executor.read_only` block with the executor's alias and timeout, and its
value is normalised the same way. Both run in the request's time zone
(``timezone.override``), which is what ``Extract*``/``Trunc*`` use.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from djai_dsl.compiler.types import Column
from djai_dsl.errors import CodeInvalid, CursorInvalid
from djai_dsl.escape.interpreter import DJANGO_BUILD_ERRORS
from djai_dsl.escape.shape import CompiledSnippet, TerminalQuery
from djai_dsl.executor import ReadOnlyExecutor, Result, normalize_value, read_only

__all__ = ["run_compiled_snippet"]


def run_compiled_snippet(
    snippet: CompiledSnippet,
    executor: ReadOnlyExecutor,
    *,
    tz: ZoneInfo,
    page_size: int | None = None,
    cursor: str | None = None,
) -> Result:
    with timezone.override(tz):
        if snippet.compiled is not None:
            return executor.run(snippet.compiled, tz=tz, page_size=page_size, cursor=cursor)
        assert snippet.terminal is not None
        if cursor is not None:
            raise CursorInvalid(hint="this answer has a single page")
        return _run_terminal(snippet.terminal, executor, tz)


def _run_terminal(terminal: TerminalQuery, executor: ReadOnlyExecutor, tz: ZoneInfo) -> Result:
    queryset = terminal.queryset.using(executor.alias)
    try:
        with read_only(executor.alias, executor.timeout_ms) as session:
            began = time.perf_counter()
            if terminal.method == "count":
                values = [queryset.count()]
            elif terminal.method == "exists":
                values = [queryset.exists()]
            else:
                row = queryset.aggregate(*terminal.positional, **terminal.aggregates)
                values = [row[c.key] for c in terminal.columns]
            latency_ms = round((time.perf_counter() - began) * 1000, 3)
    except DJANGO_BUILD_ERRORS as exc:  # what only shows when Django builds the aggregate
        text = " ".join(str(exc).split()).split("Choices are", 1)[0]
        raise CodeInvalid(f"Django cannot build this query: {text[:300]}") from None
    row_values = [_normal(v, c, tz) for v, c in zip(values, terminal.columns, strict=True)]
    return Result(
        columns=list(terminal.columns),
        rows=[row_values],
        truncated=False,
        next_cursor=None,
        row_count=1,
        db_latency_ms=latency_ms,
        page=1,
        read_only_mode=session.mode,
    )


def _normal(value: Any, column: Column, tz: ZoneInfo) -> Any:
    # As the executor does for its columns: decimals to the field's scale, so that SQLite's
    # floating-point sums read like PostgreSQL's exact ones.
    if column.scale is not None and isinstance(value, (Decimal, float)):
        value = Decimal(str(value)).quantize(Decimal(1).scaleb(-column.scale))
    return normalize_value(value, tz)
