"""Database error -> typed djai error, for everything raised inside ``read_only()``.

Timeouts become ``QueryTimeout``, refused writes ``ReadOnlyViolation``, anything else
``QueryFailed``. Which driver error is which is the vendor guard's knowledge
(``classify_error``); this module only builds the error the user sees, and never puts SQL
text or values in it.
"""

from __future__ import annotations

from django.db import DatabaseError

from djai_dsl.errors import DjaiError, QueryFailed, QueryTimeout, ReadOnlyViolation
from djai_dsl.executor.base import ReadOnlyGuard


def driver_error(exc: BaseException) -> BaseException:
    """The driver's own error: Django wraps driver errors and keeps the original as the
    cause."""
    return exc.__cause__ if isinstance(exc, DatabaseError) and exc.__cause__ else exc


def translate_error(exc: BaseException, guard: ReadOnlyGuard) -> DjaiError:
    """Map a database error raised under ``guard`` to a typed one."""
    kind, detail = guard.classify_error(driver_error(exc))
    if kind == "timeout":
        return QueryTimeout(
            f"The query took longer than {guard.timeout_ms} ms and was stopped.",
            hint="Narrow it down: a shorter period, more filters, or fewer groups.",
        )
    if kind == "read_only":
        return ReadOnlyViolation()
    return QueryFailed(hint=f"database error ({detail})")
