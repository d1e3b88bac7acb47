"""Gold answers written as SQL: run read-only, the same way as a user's query.

A benchmark whose gold is SQL is independent of the DSL it measures: the gold can be written
before the DSL can express the question (windows, medians), by someone who never looked at
a plan. The SQL is run as it is, with no parameters, inside the executor's
:func:`~djai_dsl.executor.read_only` block (read-only transaction or authorizer, statement
timeout, always rolled back), so a gold can read but never write. Its values are normalised
as answers are (:func:`~djai_dsl.executor.normalize_value`), so they compare alike.

The SQL holds literal dates, written for the set's fixed ``now``: a gold does not move with
the clock, which is why a set with SQL golds refuses another ``now`` or time zone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections

from djai_dsl.conf import get_config
from djai_dsl.errors import DjaiError
from djai_dsl.evaluation.gold import TIE_LOOKAHEAD, GoldError
from djai_dsl.evaluation.questions import SqlGold
from djai_dsl.evaluation.scoring import GoldAnswer, Table
from djai_dsl.executor import normalize_value, read_only


def backend_key(alias: str | None = None) -> str:
    """The ``gold_sql`` key of the database behind ``alias``: sqlite, postgres, mariadb or
    mysql (other vendors use their Django vendor name)."""
    connection = connections[alias or get_config()["DATABASE_ALIAS"]]
    if connection.vendor == "mysql":
        return "mariadb" if connection.mysql_is_mariadb else "mysql"
    return {"postgresql": "postgres"}.get(connection.vendor, connection.vendor)


def sql_gold_answer(
    gold: SqlGold,
    *,
    tz: ZoneInfo,
    ordered: bool,
    sort_keys: tuple[str, ...] = (),
    limit: int | None = None,
    alias: str | None = None,
) -> GoldAnswer:
    """The expected result of ``gold`` on the database behind ``alias``.

    ``ordered``: whether the row order is part of the answer; ``sort_keys``: the columns the
    order is defined by (rows equal on them may come in any order); ``limit``: the question
    asks for the first ``limit`` rows, and rows after them that tie with the last one on
    the sort keys are accepted in its place, as for a DSL gold."""
    alias = alias or get_config()["DATABASE_ALIAS"]
    backend = backend_key(alias)
    sql = gold.for_backend(backend)
    if sql is None:
        raise GoldError(f"gold SQL has no variant for {backend} and no 'default'")
    cap = get_config()["MAX_PAGE_SIZE"] if limit is None else limit + TIE_LOOKAHEAD
    try:
        columns, rows = _fetch(sql, alias, cap + 1)
    except DjaiError as exc:
        # The executor keeps the database's own message out of what users see; a gold is
        # the benchmark author's SQL, and the message is what they need to fix it.
        cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
        raise GoldError(
            f"gold SQL does not run on {backend}: {exc.message}{cause}", hint=exc.hint
        ) from exc
    if limit is None and len(rows) > cap:
        raise GoldError(
            f"gold SQL has more than {cap} rows",
            hint="benchmarks compare whole results: narrow the question",
        )
    missing = [k for k in sort_keys if k not in columns]
    if missing:
        raise GoldError(f"sort keys {missing} are not columns of the gold SQL ({columns})")
    table = Table(columns, [[normalize_value(v, tz) for v in row] for row in rows])
    sort_columns = [columns.index(k) for k in sort_keys] if ordered else []
    ties: list[list[Any]] = []
    if limit is not None and len(table.rows) > limit:
        last = [table.rows[limit - 1][i] for i in sort_columns]
        ties = [r for r in table.rows[limit:] if [r[i] for i in sort_columns] == last]
        table.rows = table.rows[:limit]
    return GoldAnswer(table, ordered, sort_columns, ties)


def _fetch(sql: str, alias: str, at_most: int) -> tuple[list[str], list[list[Any]]]:
    # No parameters: the text is run as written (a literal % needs no escaping).
    with read_only(alias) as session, session.connection.cursor() as cursor:
        cursor.execute(sql)
        columns = [str(d[0]) for d in cursor.description or ()]
        rows = [list(row) for row in cursor.fetchmany(at_most)]
    return columns, rows
