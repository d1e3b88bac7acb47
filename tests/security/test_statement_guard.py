"""The statement guard of PostgreSQL and MariaDB, as a function (no database needed): what
it lets through Django's cursor inside ``read_only()``, and what it refuses.

It sees Django's SQL with placeholders, values travelling separately, so a ``;`` in the
text can only separate statements (or sit in a quoted name, refused as well).
"""

from __future__ import annotations

from unittest import mock

import pytest

from djai_dsl.errors import ReadOnlyViolation
from djai_dsl.executor.statement_guard import select_only

ALLOWED = [
    'SELECT "shop_order"."id" AS "c0" FROM "shop_order" WHERE "shop_order"."total" > %s',
    "SELECT 1;",
    "SELECT 1 ;  \n",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "(SELECT 1) UNION (SELECT 2)",
    "  /* a comment */ SELECT 1",
    'SAVEPOINT "s140234_x1"',
    'RELEASE SAVEPOINT "s140234_x1"',
    'ROLLBACK TO SAVEPOINT "s140234_x1"',
    "SAVEPOINT `s1_x1`",
]

REFUSED = [
    "COMMIT; INSERT INTO auth_group (name) VALUES ('x')",
    "SELECT 1; COMMIT; INSERT INTO auth_group (name) VALUES ('x'); COMMIT",
    "SELECT 1; SET SESSION max_statement_time = 0",
    "SELECT 1;; DELETE FROM t",
    "SELECT 1 /* ; */",
    'SELECT "a;b" FROM t',
    'SAVEPOINT "x"; DELETE FROM t',
    "RELEASE SAVEPOINT x; INSERT INTO t VALUES (1)",
    "COMMIT",
    "ROLLBACK",
    "BEGIN",
    "SET TRANSACTION READ WRITE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "SET statement_timeout = 0",
    "INSERT INTO t VALUES (1)",
    "UPDATE t SET x = 1",
    "DELETE FROM t",
    "CREATE TABLE t (x int)",
    "DROP TABLE t",
    "TRUNCATE t",
    "COPY (SELECT 1) TO '/tmp/x'",
    "NOTIFY x",
    "LISTEN x",
    "LOCK TABLE t",
    "DO $$ BEGIN END $$",
    "PREPARE p AS SELECT 1",
    "EXPLAIN ANALYZE DELETE FROM t",
    "SELECT * FROM t FOR UPDATE",
    "SELECT * FROM t FOR SHARE",
    "SELECT * FROM t LOCK IN SHARE MODE",
    "SELECT 1 INTO OUTFILE '/tmp/x'",
    "SELECT 1 INTO DUMPFILE '/tmp/x'",
    "SELECT 1 INTO @v",
    "SELECT GET_LOCK('x', 0)",
    "SELECT get_lock ('x', 0)",
    "/* SELECT */ DELETE FROM t",
    "-- SELECT\nDELETE FROM t",
    "",
    "   ",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_single_selects_and_savepoints_pass(sql):
    execute = mock.Mock(return_value="ran")
    assert select_only(execute, sql, (), False, {}) == "ran"
    execute.assert_called_once()


@pytest.mark.parametrize("sql", REFUSED)
def test_everything_else_is_refused_before_it_reaches_the_server(sql):
    execute = mock.Mock(return_value="ran")
    with pytest.raises(ReadOnlyViolation):
        select_only(execute, sql, (), False, {})
    execute.assert_not_called()


def test_executemany_is_refused():
    execute = mock.Mock()
    with pytest.raises(ReadOnlyViolation):
        select_only(execute, "SELECT %s", [(1,), (2,)], True, {})
    execute.assert_not_called()
