"""PostgreSQL read-only guard. Mode ``"transaction"``.

``SET TRANSACTION READ ONLY`` and ``set_config('statement_timeout', ms, true)``
(``SET LOCAL``). Both are accepted inside a savepoint as well and are undone when it is
rolled back, so a block nested in an open transaction (test transactions, ATOMIC_REQUESTS)
is as read-only as an outer one. The statement guard applies too (``COMMIT; INSERT ...`` in
one string would otherwise end the read-only transaction and write), and session-level
advisory locks taken in the block, which a rollback does not release, are released
afterwards.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from djai_dsl.executor.base import ErrorKind, ReadOnlyGuard
from djai_dsl.executor.statement_guard import select_only

_TIMEOUT_STATES = {"57014"}  # query_canceled
_READ_ONLY_STATES = {"25006"}  # read_only_sql_transaction


class PostgresqlGuard(ReadOnlyGuard):
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
        stack.enter_context(self.connection.execute_wrapper(select_only))

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

    def classify_error(self, error: BaseException) -> tuple[ErrorKind, str]:
        # psycopg 3 names it sqlstate, psycopg2 pgcode.
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        detail = f"SQLSTATE {state}" if state else type(error).__name__
        if state in _TIMEOUT_STATES:
            return "timeout", detail
        if state in _READ_ONLY_STATES:
            return "read_only", detail
        return "failed", detail
