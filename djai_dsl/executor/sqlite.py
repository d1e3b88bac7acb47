"""SQLite read-only guard. Mode ``"authorizer"``.

A connection authorizer that allows reads only (no INSERT/UPDATE/DELETE, DDL, ATTACH,
PRAGMA) and a progress handler that aborts at the deadline; both are removed when the block
ends. SQLite has no read-only transaction to ask for: the authorizer is the guarantee.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from contextlib import ExitStack
from typing import Any

from djai_dsl.executor.base import MODE_AUTHORIZER, ErrorKind, ReadOnlyGuard

_ALLOWED_ACTIONS = frozenset(
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
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit"})


class SqliteGuard(ReadOnlyGuard):
    mode = MODE_AUTHORIZER
    #: VM instructions between two looks at the clock.
    PROGRESS_STEPS = 1000

    def begin(self, nested: bool, stack: ExitStack) -> None:
        raw = self.connection.connection
        deadline = time.monotonic() + self.timeout_ms / 1000

        def past_deadline() -> int:
            return 1 if time.monotonic() > deadline else 0

        raw.set_authorizer(authorizer)
        stack.callback(_remove_authorizer, raw)
        raw.set_progress_handler(past_deadline, self.PROGRESS_STEPS)
        stack.callback(raw.set_progress_handler, None, self.PROGRESS_STEPS)

    def classify_error(self, error: BaseException) -> tuple[ErrorKind, str]:
        # sqlite_errorname: Python 3.11+; older versions only have the message.
        name = getattr(error, "sqlite_errorname", "")
        text = str(error).lower()
        detail = name or type(error).__name__
        if name == "SQLITE_INTERRUPT" or text == "interrupted":
            return "timeout", detail
        if name in {"SQLITE_AUTH", "SQLITE_READONLY"} or "not authorized" in text:
            return "read_only", detail
        return "failed", detail


def authorizer(action: int, arg1: Any, arg2: Any, db_name: Any, trigger: Any) -> int:
    """Allow reads only. Everything else (writes, DDL, ATTACH/DETACH, BEGIN/COMMIT/ROLLBACK,
    every PRAGMA, since a PRAGMA can switch ``query_only`` off) is denied."""
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _allow_everything(*args: Any) -> int:
    return sqlite3.SQLITE_OK


def _remove_authorizer(raw: Any) -> None:
    # Python 3.11 unsets the authorizer on None. Python 3.10 accepts None without error and
    # then denies every statement (calling None fails inside the callback), including the
    # COMMIT Django sends when it restores autocommit: a permissive one is equivalent there.
    if sys.version_info >= (3, 11):
        raw.set_authorizer(None)
    else:
        raw.set_authorizer(_allow_everything)
