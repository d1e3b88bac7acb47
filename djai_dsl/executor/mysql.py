"""MariaDB/MySQL read-only guard (Django's ``mysql`` vendor covers both).

``SET TRANSACTION READ ONLY`` before the transaction's first statement and
``SET SESSION max_statement_time`` (MySQL: ``max_execution_time``), restored afterwards.
Mode ``"transaction"``. MariaDB refuses to change a transaction that is already open, so a
nested block relies on its savepoint, always rolled back: mode ``"rollback_only"``. In both
modes the statement guard lets only single SELECTs through Django's cursor, because DDL
commits the transaction implicitly and then runs, read-only or not, and the driver accepts
several statements in one string. For a guarantee that does not depend on djai (the guard
does not see the driver's own cursor), point ``DATABASE_ALIAS`` at a read-only account
(SECURITY.md).
"""

from __future__ import annotations

from contextlib import ExitStack

from django.db import DatabaseError

from djai_dsl.executor.base import MODE_ROLLBACK_ONLY, MODE_TRANSACTION, ErrorKind, ReadOnlyGuard
from djai_dsl.executor.errors import driver_error
from djai_dsl.executor.statement_guard import select_only

_TIMEOUT_CODES = {1969, 3024, 1317}  # MariaDB max_statement_time, MySQL max_execution_time
_READ_ONLY_CODES = {1792, 1290, 1836}  # read-only transaction, --read-only server
_TRANSACTION_IN_PROGRESS = 1568  # SET TRANSACTION inside an open transaction


def _error_code(error: BaseException) -> int | None:
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


class MysqlGuard(ReadOnlyGuard):
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
                # A transaction is already in progress (AUTOCOMMIT=False hosts).
                if _error_code(driver_error(exc)) != _TRANSACTION_IN_PROGRESS:
                    raise
        # DDL commits the open transaction implicitly and then runs, read-only or not:
        # only SELECTs may reach the server, in both modes.
        stack.enter_context(self.connection.execute_wrapper(select_only))

    def restore(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SET SESSION {self.variable} = %s", [self.previous])
            cursor.execute("SET SESSION div_precision_increment = %s", [self.previous_precision])

    def classify_error(self, error: BaseException) -> tuple[ErrorKind, str]:
        code = _error_code(error)
        detail = f"error {code}" if code is not None else type(error).__name__
        if code in _TIMEOUT_CODES:
            return "timeout", detail
        if code in _READ_ONLY_CODES:
            return "read_only", detail
        return "failed", detail
