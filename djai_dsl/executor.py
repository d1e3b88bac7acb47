"""Run a compiled query read-only, with a timeout, a row cap and keyset pagination.

This is the only stage that runs the user's query. It trusts nothing above it: whatever the
compiler produced runs inside ``read_only()``, a transaction that the database itself keeps
from writing and that is rolled back at the end even when everything went well.

- PostgreSQL: ``SET TRANSACTION READ ONLY`` and ``set_config('statement_timeout', ms, true)``
  (``SET LOCAL``). Both are accepted inside a savepoint as well and are undone when it is
  rolled back, so a block nested in an open transaction (test transactions,
  ATOMIC_REQUESTS) is as read-only as an outer one. Mode ``"transaction"``. The statement
  guard below applies too (``COMMIT; INSERT ...`` in one string would otherwise end the
  read-only transaction and write), and session-level advisory locks taken in the block,
  which a rollback does not release, are released afterwards.
- SQLite: a connection authorizer that allows reads only (no INSERT/UPDATE/DELETE, DDL,
  ATTACH, PRAGMA) and a progress handler that aborts at the deadline; both are removed when
  the block ends. Mode ``"authorizer"``.
- MariaDB/MySQL: ``SET TRANSACTION READ ONLY`` before the transaction's first statement and
  ``SET SESSION max_statement_time`` (MySQL: ``max_execution_time``), restored afterwards.
  Mode ``"transaction"``. MariaDB refuses to change a transaction that is already open, so
  a nested block relies on its savepoint, always rolled back: mode ``"rollback_only"``. In
  both modes a statement guard lets only single SELECTs through Django's cursor, because
  DDL commits the transaction implicitly and then runs, read-only or not, and the driver
  accepts several statements in one string. For a guarantee that does not depend on djai
  (the guard does not see the driver's own cursor), point ``DATABASE_ALIAS`` at a read-only
  account (SECURITY.md).

Database errors never escape raw: timeouts become ``QueryTimeout``, refused writes
``ReadOnlyViolation``, anything else ``QueryFailed`` (without SQL text or values).

Pages are keyset-paginated: the cursor is a signed token holding the last row's order-key
values, and the next page asks for rows "after" them in the compiled total order. Rows are
normalised to JSON-friendly values in the client's time zone.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections, transaction
from django.db.models import DateTimeField, Q, QuerySet
from django.db.models.functions.datetime import TruncBase

from djai_dsl.compiler.types import Column, CompiledQuery, OrderKey
from djai_dsl.conf import get_config
from djai_dsl.errors import (
    BadRequest,
    ConfigurationError,
    CursorInvalid,
    DjaiError,
    LimitExceeded,
    QueryFailed,
    QueryTimeout,
    ReadOnlyViolation,
)

__all__ = [
    "ReadOnlyExecutor",
    "ReadOnlySession",
    "Result",
    "compiled_sql",
    "display_sql",
    "normalize_value",
    "read_only",
]

#: Read-only modes reported in ``Result.read_only_mode`` / ``ReadOnlySession.mode``.
MODE_TRANSACTION = "transaction"  # the database refuses writes for the transaction
MODE_AUTHORIZER = "authorizer"  # SQLite's authorizer refuses writes
MODE_ROLLBACK_ONLY = "rollback_only"  # statement guard + a savepoint that is always undone


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
    guard = _guard_for(connection, timeout_ms)
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
        raise _translate(exc, connection.vendor, timeout_ms) from exc


def _validated_timeout(value: Any) -> int:
    # It ends up in a SET statement on some backends: only a plain positive int may pass.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(
            "STATEMENT_TIMEOUT_MS must be a positive integer (milliseconds).",
            hint=f"got {value!r}",
        )
    return value


def _guard_for(connection: Any, timeout_ms: int) -> _Guard:
    guards: dict[str, type[_Guard]] = {
        "postgresql": _PostgresGuard,
        "sqlite": _SqliteGuard,
        "mysql": _MysqlGuard,
    }
    guard_class = guards.get(connection.vendor)
    if guard_class is None:
        raise ConfigurationError(
            f"djai cannot run queries read-only on the {connection.vendor!r} backend.",
            hint="Use PostgreSQL, SQLite, MariaDB or MySQL for DJAI['DATABASE_ALIAS'].",
        )
    return guard_class(connection, timeout_ms)


class _Guard:
    """Per-backend read-only set-up. ``prepare``/``restore`` run outside the transaction,
    ``begin`` inside it before the caller's first statement."""

    mode = MODE_TRANSACTION

    def __init__(self, connection: Any, timeout_ms: int) -> None:
        self.connection = connection
        self.timeout_ms = timeout_ms

    def prepare(self) -> None:
        pass

    def begin(self, nested: bool, stack: ExitStack) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        pass


class _PostgresGuard(_Guard):
    # Session-level advisory locks are not transactional: ``pg_advisory_lock()`` is allowed in
    # a read-only transaction and the lock outlives its rollback.
    ADVISORY_LOCKS = (
        "SELECT classid, objid, objsubid, mode FROM pg_locks "
        "WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
    )

    def prepare(self) -> None:
        self.advisory_locks = self._advisory_locks()

    def begin(self, nested: bool, stack: ExitStack) -> None:
        # Switching *to* read-only is allowed at any point, in a subtransaction too, and
        # both settings revert when the (sub)transaction is rolled back.
        with self.connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)", [str(self.timeout_ms)]
            )
        stack.enter_context(self.connection.execute_wrapper(_select_only))

    def restore(self) -> None:
        # A lock the block took is released with every other session-level advisory lock of
        # the connection: PostgreSQL cannot release one acquisition of a re-entrant lock
        # without knowing how often it was taken. djai's own queries never take one.
        if self._advisory_locks() - self.advisory_locks:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")

    def _advisory_locks(self) -> set[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(self.ADVISORY_LOCKS)
            return {tuple(row) for row in cursor.fetchall()}


class _SqliteGuard(_Guard):
    mode = MODE_AUTHORIZER
    #: VM instructions between two looks at the clock.
    PROGRESS_STEPS = 1000

    def begin(self, nested: bool, stack: ExitStack) -> None:
        raw = self.connection.connection
        deadline = time.monotonic() + self.timeout_ms / 1000

        def past_deadline() -> int:
            return 1 if time.monotonic() > deadline else 0

        raw.set_authorizer(_sqlite_authorizer)
        stack.callback(_remove_sqlite_authorizer, raw)
        raw.set_progress_handler(past_deadline, self.PROGRESS_STEPS)
        stack.callback(raw.set_progress_handler, None, self.PROGRESS_STEPS)


_SQLITE_ALLOWED_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        # Not SQLITE_TRANSACTION: atomic() issues BEGIN before the authorizer is set and
        # ROLLBACK after it is removed, and a COMMIT in the block would end the read-only
        # transaction early, or commit the caller's pending writes when the block is nested.
        sqlite3.SQLITE_SAVEPOINT,  # nested atomic()
        getattr(sqlite3, "SQLITE_RECURSIVE", 33),  # WITH RECURSIVE (a read)
    }
)
# Functions that reach outside the database; none is registered by default, deny anyway.
_SQLITE_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit"})


def _sqlite_authorizer(action: int, arg1: Any, arg2: Any, db_name: Any, trigger: Any) -> int:
    """Allow reads only. Everything else (writes, DDL, ATTACH/DETACH, BEGIN/COMMIT/ROLLBACK,
    every PRAGMA, since a PRAGMA can switch ``query_only`` off) is denied."""
    if action not in _SQLITE_ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() in _SQLITE_DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _allow_everything(*args: Any) -> int:
    return sqlite3.SQLITE_OK


def _remove_sqlite_authorizer(raw: Any) -> None:
    # Python 3.11 unsets the authorizer on None. Python 3.10 accepts None without error and
    # then denies every statement (calling None fails inside the callback), including the
    # COMMIT Django sends when it restores autocommit: a permissive one is equivalent there.
    if sys.version_info >= (3, 11):
        raw.set_authorizer(None)
    else:
        raw.set_authorizer(_allow_everything)


class _MysqlGuard(_Guard):
    # MariaDB's variable is in seconds (a decimal), MySQL's in milliseconds.
    def prepare(self) -> None:
        mariadb = self.connection.mysql_is_mariadb
        self.variable = "max_statement_time" if mariadb else "max_execution_time"
        self.value: float | int = self.timeout_ms / 1000 if mariadb else self.timeout_ms
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT @@SESSION.{self.variable}, @@SESSION.div_precision_increment")
            self.previous, self.previous_precision = cursor.fetchone()
            cursor.execute(f"SET SESSION {self.variable} = %s", [self.value])
            # Division and AVG keep only 4 more decimal places by default (1.66667 where
            # PostgreSQL and SQLite give 1.666667): ask for as many as a double holds, so
            # ratios and averages have the same digits on every backend.
            cursor.execute("SET SESSION div_precision_increment = 16")

    def begin(self, nested: bool, stack: ExitStack) -> None:
        self.mode = MODE_ROLLBACK_ONLY
        if not nested:
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                self.mode = MODE_TRANSACTION
            except DatabaseError as exc:
                # 1568: a transaction is already in progress (AUTOCOMMIT=False hosts).
                if _mysql_code(exc) != 1568:
                    raise
        # DDL commits the open transaction implicitly and then runs, read-only or not:
        # only SELECTs may reach the server, in both modes.
        stack.enter_context(self.connection.execute_wrapper(_select_only))

    def restore(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SET SESSION {self.variable} = %s", [self.previous])
            cursor.execute("SET SESSION div_precision_increment = %s", [self.previous_precision])


_LEADING_NOISE = re.compile(r"^(?:\s+|\(|--[^\n]*\n|/\*.*?\*/)*", re.DOTALL)
_SAVEPOINT_STATEMENT = re.compile(
    r"(?:SAVEPOINT|RELEASE\s+SAVEPOINT|ROLLBACK\s+TO\s+SAVEPOINT)\s+[`\"\w]+\s*;?\s*$",
    re.IGNORECASE,
)
# GET_LOCK: MariaDB's named locks belong to the session and outlive the rollback.
_WRITING_SELECT = re.compile(
    r"\bINTO\s+(?:OUTFILE|DUMPFILE|@)|\bFOR\s+(?:UPDATE|SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b"
    r"|\bGET_LOCK\s*\(",
    re.IGNORECASE,
)


def _select_only(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    """Statement guard: only one plain SELECT per call reaches the server. DDL commits
    the open transaction implicitly and then runs even in a READ ONLY transaction (MariaDB),
    in MariaDB's nested case nothing but the savepoint rollback would undo a data change,
    and both drivers run several statements sent in one string, so ``SELECT 1; COMMIT;
    INSERT ...`` would end the read-only transaction and write.

    The text checked is Django's SQL with placeholders: values travel separately, so a
    ``;`` can only come from the statement itself (or a quoted name, which is refused
    too)."""
    body = _LEADING_NOISE.sub("", sql, count=1)
    if _SAVEPOINT_STATEMENT.match(body):  # nested atomic() blocks inside the read-only one
        return execute(sql, params, many, context)
    first_word = body.split(None, 1)[0].upper() if body.strip() else ""
    several = ";" in body.rstrip().rstrip(";")
    if many or several or first_word not in {"SELECT", "WITH"} or _WRITING_SELECT.search(body):
        raise ReadOnlyViolation()
    return execute(sql, params, many, context)


# --------------------------------------------------------------------------- errors

_PG_TIMEOUT = {"57014"}  # query_canceled
_PG_READ_ONLY = {"25006"}  # read_only_sql_transaction
_MYSQL_TIMEOUT = {1969, 3024, 1317}  # MariaDB max_statement_time, MySQL max_execution_time
_MYSQL_READ_ONLY = {1792, 1290, 1836}  # read-only transaction, --read-only server


def _driver_error(exc: BaseException) -> BaseException:
    # Django wraps driver errors and keeps the original as the cause.
    return exc.__cause__ if isinstance(exc, DatabaseError) and exc.__cause__ else exc


def _mysql_code(exc: BaseException) -> int | None:
    args = getattr(_driver_error(exc), "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _translate(exc: BaseException, vendor: str, timeout_ms: int) -> DjaiError:
    """Map a database error to a typed one. Messages never include SQL text or values."""
    raw = _driver_error(exc)
    kind = "failed"
    detail = type(raw).__name__
    if vendor == "postgresql":
        state = getattr(raw, "sqlstate", None) or getattr(raw, "pgcode", None)
        kind = (
            "timeout" if state in _PG_TIMEOUT else "read_only" if state in _PG_READ_ONLY else kind
        )
        detail = f"SQLSTATE {state}" if state else detail
    elif vendor == "mysql":
        code = _mysql_code(exc)
        kind = (
            "timeout"
            if code in _MYSQL_TIMEOUT
            else "read_only"
            if code in _MYSQL_READ_ONLY
            else kind
        )
        detail = f"error {code}" if code is not None else detail
    elif vendor == "sqlite":
        name = getattr(raw, "sqlite_errorname", "")
        text = str(raw).lower()
        if name == "SQLITE_INTERRUPT" or text == "interrupted":
            kind = "timeout"
        elif name in {"SQLITE_AUTH", "SQLITE_READONLY"} or "not authorized" in text:
            kind = "read_only"
        detail = name or detail
    if kind == "timeout":
        return QueryTimeout(
            f"The query took longer than {timeout_ms} ms and was stopped.",
            hint="Narrow it down: a shorter period, more filters, or fewer groups.",
        )
    if kind == "read_only":
        return ReadOnlyViolation()
    return QueryFailed(hint=f"database error ({detail})")


# --------------------------------------------------------------------------- cursors


def _tag(value: Any) -> list[Any]:
    """Type-tag an order-key value so that it comes back as the same Python value."""
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", repr(value)]  # repr round-trips exactly, NaN and inf included
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, dt.datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, dt.date):
        return ["da", value.isoformat()]
    if isinstance(value, dt.time):
        return ["t", value.isoformat()]
    if isinstance(value, dt.timedelta):
        return ["td", [value.days, value.seconds, value.microseconds]]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    raise QueryFailed(
        "This answer cannot be split into pages.",
        hint=f"sorting by a {type(value).__name__} value is not supported for pagination",
    )


_UNTAG: dict[str, Callable[[Any], Any]] = {
    "b": bool,
    "i": int,
    "f": float,
    "s": str,
    "d": Decimal,
    "dt": dt.datetime.fromisoformat,
    "da": dt.date.fromisoformat,
    "t": dt.time.fromisoformat,
    "td": lambda parts: dt.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]),
    "u": uuid.UUID,
}


def _untag(item: Any) -> Any:
    if not isinstance(item, list) or not item or item[0] not in (*_UNTAG, "n"):
        raise ValueError("bad cursor value")
    if item[0] == "n":
        return None
    return _UNTAG[item[0]](item[1])


@dataclass(frozen=True)
class _Position:
    page: int = 1
    served: int = 0  # rows handed out on earlier pages
    last: tuple[Any, ...] | None = None  # order-key values of the last row served


def _encode_cursor(fingerprint: str, position: _Position) -> str:
    assert position.last is not None
    payload = {
        "f": fingerprint,
        "p": position.page,
        "n": position.served,
        "k": [_tag(v) for v in position.last],
    }
    return signing.dumps(payload, salt=get_config()["CURSOR_SALT"], compress=True)


def _decode_cursor(token: str, compiled: CompiledQuery) -> _Position:
    config = get_config()
    if not isinstance(token, str) or not token:
        raise CursorInvalid()
    try:
        payload = signing.loads(token, salt=config["CURSOR_SALT"], max_age=config["CURSOR_MAX_AGE"])
    except signing.SignatureExpired:
        raise CursorInvalid(
            "This page link has expired; run the query again.", hint="cursor expired"
        ) from None
    except (signing.BadSignature, ValueError):
        raise CursorInvalid(hint="the cursor was altered or is not a djai cursor") from None
    if not isinstance(payload, dict) or payload.get("f") != compiled.fingerprint:
        raise CursorInvalid(hint="the cursor belongs to a different query")
    try:
        page, served = int(payload["p"]), int(payload["n"])
        last = tuple(_untag(item) for item in payload["k"])
    except (KeyError, TypeError, ValueError):
        raise CursorInvalid(hint="the cursor is malformed") from None
    if page < 2 or served < 0 or len(last) != len(compiled.order_keys) or not last:
        raise CursorInvalid(hint="the cursor does not fit this query")
    return _Position(page=page, served=served, last=last)


# --------------------------------------------------------------------------- keyset


def _after_last_row(
    queryset: QuerySet[Any], order_keys: list[OrderKey], last: tuple[Any, ...], alias: str
) -> QuerySet[Any] | None:
    """Rows strictly after ``last`` in the total order, or None when there are none.

    OR over i of (keys before i equal to their values) AND (key i after its value), with
    NULL as the smallest value. Conditions on aggregate aliases end up in HAVING.
    """
    connection = connections[alias]
    values = [
        _comparable(queryset, key.key, value, connection)
        for key, value in zip(order_keys, last, strict=True)
    ]
    branches: list[Q] = []
    for i, (key, value) in enumerate(zip(order_keys, values, strict=True)):
        after = _after(key, value)
        if after is None:
            continue  # nothing sorts after NULL in descending order
        for earlier, earlier_value in zip(order_keys[:i], values[:i], strict=False):
            after &= _equal(earlier.key, earlier_value)
        branches.append(after)
    if not branches:
        return None
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return queryset.filter(condition)


def _after(key: OrderKey, value: Any) -> Q | None:
    if key.descending:
        if value is None:
            return None
        return Q(**{f"{key.key}__lt": value}) | Q(**{f"{key.key}__isnull": True})
    if value is None:
        return Q(**{f"{key.key}__isnull": False})
    return Q(**{f"{key.key}__gt": value})


def _equal(key: str, value: Any) -> Q:
    if value is None:
        return Q(**{f"{key}__isnull": True})
    return Q(**{f"{key}__exact": value})


def _comparable(queryset: QuerySet[Any], key: str, value: Any, connection: Any) -> Any:
    """The value to compare ``key`` with in SQL.

    A datetime truncated in a time zone is computed in SQL as a *wall-clock* time of that
    zone, but Django converts a datetime parameter to the connection's zone before comparing
    (so `key > value` would be off by the UTC offset). Hand it the same wall-clock time,
    labelled with the connection's zone, so that the conversion leaves it unchanged.
    """
    if not isinstance(value, dt.datetime) or value.tzinfo is None or not settings.USE_TZ:
        return value
    expression = queryset.query.annotations.get(key)
    if isinstance(expression, TruncBase) and isinstance(expression.output_field, DateTimeField):
        return value.replace(tzinfo=None).replace(tzinfo=connection.timezone)
    return value


# --------------------------------------------------------------------------- values


def _normalize_column(value: Any, column: Column, tz: ZoneInfo) -> Any:
    """Round decimal columns to their field's scale first: SQLite sums decimals in floating
    point (``419274.179999997``), PostgreSQL and MariaDB exactly (``419274.18``)."""
    if column.scale is not None and isinstance(value, (Decimal, float)):
        value = Decimal(str(value)).quantize(Decimal(1).scaleb(-column.scale))
    return normalize_value(value, tz)


def normalize_value(value: Any, tz: ZoneInfo) -> Any:
    """A JSON-friendly, deterministic form of one database value, in the client's zone."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        rounded = round(value, 6)
        return 0.0 if rounded == 0 else rounded  # no "-0.0"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
        return format(abs(value) if value.is_zero() else value, "f")
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
        return aware.astimezone(tz).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds(), 6)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, dict)):
        return value  # decoded JSON already
    return str(value)


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
            position = _Position()
        else:
            position = _decode_cursor(cursor, compiled) if cursor is not None else _Position()

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
            following = _Position(position.page + 1, position.served + len(page_rows), last)
            next_cursor = _encode_cursor(compiled.fingerprint, following)
        rows = [
            [_normalize_column(row[c.key], c, tz) for c in compiled.columns] for row in page_rows
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
        self, compiled: CompiledQuery, position: _Position, start: int, fetch: int
    ) -> tuple[list[dict[str, Any]], float, str]:
        queryset: QuerySet[Any] | None = compiled.queryset.using(self.alias)
        if position.last is not None:
            queryset = _after_last_row(
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


# --------------------------------------------------------------------------- SQL


def compiled_sql(compiled: CompiledQuery, alias: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """The SQL (with placeholders) and parameters for the plan's rows: its limit and offset
    applied, not the page slice. Nothing is run; it is for showing and snapshotting."""
    alias = alias or get_config()["DATABASE_ALIAS"]
    queryset = compiled.queryset.using(alias)
    offset = compiled.offset or 0
    end = None if compiled.limit is None else offset + compiled.limit
    if offset or end is not None:
        queryset = queryset[offset:end]
    try:
        sql, params = queryset.query.get_compiler(using=alias).as_sql()
    except EmptyResultSet:
        return "-- no rows can match", ()
    return sql, tuple(params)


def display_sql(compiled: CompiledQuery, alias: str | None = None) -> str:
    """``compiled_sql`` with the parameters written in, for people to read. Never run it:
    the quoting is for display only."""
    sql, params = compiled_sql(compiled, alias)
    if not params:
        return sql.replace("%%", "%")
    return sql % tuple(_sql_literal(p) for p in params)


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"X'{bytes(value).hex()}'"
    if isinstance(value, (list, tuple)):
        return "ARRAY[" + ", ".join(_sql_literal(v) for v in value) + "]"
    if isinstance(value, (dt.date, dt.time)):
        value = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    text = str(value)
    return "'" + text.replace("'", "''") + "'"
