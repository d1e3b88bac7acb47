"""compiled query + limits -> Result: one page of rows, run read-only.

The only place that runs the user's query. It trusts nothing above it: whatever the
compiler produced runs inside ``read_only()``, a transaction that the database itself keeps
from writing, under a statement timeout, and that is rolled back at the end even when
everything went well. How a database is made read-only is its vendor guard's business
(``sqlite``, ``postgresql``, ``mysql``), chosen by ``connection.vendor`` from ``GUARDS``;
pages and cursors are ``cursor``'s, value normalisation ``normalize``'s. It never builds
SQL text itself and never catches a database error without turning it into a typed one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet

from djai_dsl.compiler.types import Column, CompiledQuery
from djai_dsl.conf import get_config
from djai_dsl.errors import BadRequest, ConfigurationError, CursorInvalid, LimitExceeded
from djai_dsl.executor.base import MODE_TRANSACTION, ReadOnlyGuard
from djai_dsl.executor.cursor import Position, after_last_row, decode_cursor, encode_cursor
from djai_dsl.executor.errors import translate_error
from djai_dsl.executor.mysql import MysqlGuard
from djai_dsl.executor.normalize import normalize_column
from djai_dsl.executor.postgresql import PostgresqlGuard
from djai_dsl.executor.sqlite import SqliteGuard

#: ``connection.vendor`` -> its read-only guard (MariaDB's vendor name is ``mysql``).
GUARDS: dict[str, type[ReadOnlyGuard]] = {
    "postgresql": PostgresqlGuard,
    "sqlite": SqliteGuard,
    "mysql": MysqlGuard,
}


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """One page of an answer. ``rows`` hold normalised values in ``columns`` order."""

    columns: list[Column]
    rows: list[list[Any]]
    truncated: bool  # more rows exist after this page (within the plan's limit)
    next_cursor: str | None  # pass back to ``run`` for the next page
    row_count: int  # rows on this page
    db_latency_ms: float
    page: int = 1
    read_only_mode: str = MODE_TRANSACTION

    def as_dict(self) -> dict[str, Any]:
        """The ``data.result`` part of an answer envelope; the composer puts ``truncated``
        and the cursor beside it."""
        return {
            "columns": [{"name": c.name, "type": c.type, "label": c.label} for c in self.columns],
            "rows": [list(row) for row in self.rows],
        }


# --------------------------------------------------------------------------- read-only


@dataclass
class ReadOnlySession:
    """What ``read_only()`` yields: where queries run and how writes are being refused."""

    alias: str
    mode: str
    timeout_ms: int
    connection: Any = field(repr=False)


@contextmanager
def read_only(alias: str | None = None, timeout_ms: int | None = None) -> Iterator[ReadOnlySession]:
    """Run the block in a read-only, time-limited transaction that is always rolled back.

    Works whether or not a transaction is already open on ``alias`` (then a savepoint is
    used and rolled back). Database errors raised inside the block come out as
    ``QueryTimeout``, ``ReadOnlyViolation`` or ``QueryFailed``.
    """
    config = get_config()
    alias = alias or config["DATABASE_ALIAS"]
    timeout_ms = _validated_timeout(
        config["STATEMENT_TIMEOUT_MS"] if timeout_ms is None else timeout_ms
    )
    connection = connections[alias]
    guard = guard_for(connection, timeout_ms)
    # Errors raised by the driver's own cursor (not wrapped by Django) are mapped too.
    driver_error = getattr(getattr(connection, "Database", None), "Error", DatabaseError)
    try:
        with ExitStack() as stack:
            connection.ensure_connection()
            nested = connection.in_atomic_block or not connection.get_autocommit()
            guard.prepare()
            stack.callback(guard.restore)  # after the rollback below
            stack.enter_context(transaction.atomic(using=alias))
            stack.callback(transaction.set_rollback, True, using=alias)
            guard.begin(nested, stack)  # its own clean-ups run before the rollback
            yield ReadOnlySession(alias, guard.mode, timeout_ms, connection)
    except (DatabaseError, driver_error, OverflowError) as exc:
        # OverflowError: a parameter the driver cannot bind (SQLite, an integer beyond 64 bits)
        raise translate_error(exc, guard) from exc


def guard_for(connection: Any, timeout_ms: int) -> ReadOnlyGuard:
    """The read-only guard for ``connection``'s vendor; ``ConfigurationError`` when djai
    does not know how to make that backend read-only."""
    guard_class = GUARDS.get(connection.vendor)
    if guard_class is None:
        raise ConfigurationError(
            f"djai cannot run queries read-only on the {connection.vendor!r} backend.",
            hint="Use PostgreSQL, SQLite, MariaDB or MySQL for DJAI['DATABASE_ALIAS'].",
        )
    return guard_class(connection, timeout_ms)


def _validated_timeout(value: Any) -> int:
    # It ends up in a SET statement on some backends: only a plain positive int may pass.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(
            "STATEMENT_TIMEOUT_MS must be a positive integer (milliseconds).",
            hint=f"got {value!r}",
        )
    return value


# --------------------------------------------------------------------------- executor


class ReadOnlyExecutor:
    """Runs ``CompiledQuery`` objects read-only, one page at a time.

    ``page_size`` defaults to ``PAGE_SIZE``; a bigger one than ``MAX_PAGE_SIZE`` is clamped
    to it rather than refused (a client asking for "as many as possible" gets the most
    allowed). A plan ``limit`` above ``MAX_LIMIT`` is refused with ``LimitExceeded``.
    ``limit`` counts rows across all pages; ``offset`` applies to the first page only.
    """

    def __init__(self, alias: str | None = None, timeout_ms: int | None = None) -> None:
        config = get_config()
        self.alias: str = alias or config["DATABASE_ALIAS"]
        self.timeout_ms = _validated_timeout(
            config["STATEMENT_TIMEOUT_MS"] if timeout_ms is None else timeout_ms
        )

    def run(
        self,
        compiled: CompiledQuery,
        *,
        tz: ZoneInfo,
        page_size: int | None = None,
        cursor: str | None = None,
    ) -> Result:
        size = self._page_size(page_size)
        limit, offset = self._window(compiled)
        if not compiled.order_keys:
            if cursor is not None:
                raise CursorInvalid(hint="this answer has a single page")
            position = Position()
        else:
            position = decode_cursor(cursor, compiled) if cursor is not None else Position()

        remaining = None if limit is None else max(limit - position.served, 0)
        take = size if remaining is None else min(size, remaining)
        # One extra row tells whether another page exists (within the limit).
        fetch = take + 1 if remaining is None or remaining > take else take
        start = offset if position.last is None else 0

        raw_rows, latency_ms, mode = self._fetch(compiled, position, start, fetch)
        page_rows = raw_rows[:take]
        truncated = len(raw_rows) > take
        next_cursor = None
        if truncated and compiled.order_keys:
            last = tuple(page_rows[-1][k.key] for k in compiled.order_keys)
            following = Position(position.page + 1, position.served + len(page_rows), last)
            next_cursor = encode_cursor(compiled.fingerprint, following)
        rows = [
            [normalize_column(row[c.key], c, tz) for c in compiled.columns] for row in page_rows
        ]
        return Result(
            columns=list(compiled.columns),
            rows=rows,
            truncated=truncated,
            next_cursor=next_cursor,
            row_count=len(rows),
            db_latency_ms=latency_ms,
            page=position.page,
            read_only_mode=mode,
        )

    def _fetch(
        self, compiled: CompiledQuery, position: Position, start: int, fetch: int
    ) -> tuple[list[dict[str, Any]], float, str]:
        queryset: QuerySet[Any] | None = compiled.queryset.using(self.alias)
        if position.last is not None:
            queryset = after_last_row(
                compiled.queryset.using(self.alias), compiled.order_keys, position.last, self.alias
            )
        with read_only(self.alias, self.timeout_ms) as session:
            began = time.perf_counter()
            rows = [] if queryset is None or fetch == 0 else list(queryset[start : start + fetch])
            latency_ms = round((time.perf_counter() - began) * 1000, 3)
        return rows, latency_ms, session.mode

    @staticmethod
    def _page_size(page_size: int | None) -> int:
        config = get_config()
        if page_size is None:
            page_size = config["PAGE_SIZE"]
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise BadRequest("The page size must be a positive whole number.")
        return min(page_size, config["MAX_PAGE_SIZE"])

    @staticmethod
    def _window(compiled: CompiledQuery) -> tuple[int | None, int]:
        max_limit = get_config()["MAX_LIMIT"]
        limit, offset = compiled.limit, compiled.offset or 0
        if limit is not None and limit > max_limit:
            raise LimitExceeded(
                f"The query asks for {limit} rows; at most {max_limit} are allowed.",
                hint=f"use a limit of {max_limit} or less",
            )
        if (limit is not None and limit < 0) or offset < 0:
            raise LimitExceeded("Limit and offset cannot be negative.")
        return limit, offset
