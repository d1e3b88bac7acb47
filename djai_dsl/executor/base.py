"""What every vendor's read-only guard shares: the interface ``read_only()`` drives and the
modes it reports.

A guard makes one connection refuse writes and stop at a deadline for the length of a
``read_only()`` block, and says how that vendor's driver reports a timeout or a refused
write. It runs no query of the user's and knows nothing of plans, pages or cursors. One
subclass per Django vendor name (``sqlite``, ``postgresql``, ``mysql``), as in Django's
``db/backends/``; ``core.GUARDS`` maps ``connection.vendor`` to it.
"""

from __future__ import annotations

import abc
from contextlib import ExitStack
from typing import Any, Literal

#: Read-only modes reported in ``Result.read_only_mode`` / ``ReadOnlySession.mode``.
MODE_TRANSACTION = "transaction"  # the database refuses writes for the transaction
MODE_AUTHORIZER = "authorizer"  # SQLite's authorizer refuses writes
MODE_ROLLBACK_ONLY = "rollback_only"  # statement guard + a savepoint that is always undone

#: What a database error means to the user: the deadline passed, a write was refused, or
#: the query failed for another reason.
ErrorKind = Literal["timeout", "read_only", "failed"]


class ReadOnlyGuard(abc.ABC):
    """Per-vendor read-only set-up. ``prepare``/``restore`` run outside the transaction,
    ``begin`` inside it before the caller's first statement."""

    mode = MODE_TRANSACTION

    def __init__(self, connection: Any, timeout_ms: int) -> None:
        self.connection = connection
        self.timeout_ms = timeout_ms

    def prepare(self) -> None:  # noqa: B027 (optional hook)
        """Before the transaction opens: change session settings that ``restore`` puts
        back."""

    @abc.abstractmethod
    def begin(self, nested: bool, stack: ExitStack) -> None:
        """Make the open transaction (a savepoint when ``nested``) read-only and
        time-limited; clean-ups pushed on ``stack`` run before its rollback."""

    def restore(self) -> None:  # noqa: B027 (optional hook)
        """After the rollback: undo what ``prepare`` and the block left on the session."""

    @abc.abstractmethod
    def classify_error(self, error: BaseException) -> tuple[ErrorKind, str]:
        """What the driver's ``error`` means, and a detail to show that holds no SQL text
        or values (an error code or the error's class name)."""
