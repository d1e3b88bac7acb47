"""The statement guard: a Django ``execute_wrapper`` that lets only one plain SELECT per call
through Django's cursor.

PostgreSQL and MariaDB/MySQL install it inside ``read_only()``, where the database's own
read-only transaction is not enough on its own (see ``select_only``). It reads Django's SQL
with placeholders, never values, and does not see the driver's own cursor: a read-only
database account is the guarantee that does not depend on djai (SECURITY.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from djai_dsl.errors import ReadOnlyViolation

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


def select_only(
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
