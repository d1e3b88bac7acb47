"""Database enforcement on MariaDB: hostile SQL inside ``read_only()`` fails or leaves
nothing behind.

When it owns the transaction, ``read_only()`` starts it with ``SET TRANSACTION READ ONLY``;
nested in an open transaction it cannot (MariaDB refuses to change a running transaction)
and relies on its savepoint, always rolled back. In both modes a statement guard lets only
single, plain SELECTs through Django's cursor: DDL would commit the transaction implicitly
and run anyway, and the driver runs several statements sent in one string. The session's
``max_statement_time`` is set for the block and restored afterwards.

After every attack: the session's statement time limit is its own again, the session is
not read-only, no named lock is held, no file was written, and every table is unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from tests.security.conftest import MODES, VENDOR, attack

pytestmark = pytest.mark.skipif(
    VENDOR != "mysql", reason="MariaDB's read-only transaction (DJAI_TEST_DB=mariadb)"
)

READ_ONLY = "read_only_violation"
INSERT = "INSERT INTO auth_group (name) VALUES ('intruder')"
SCRATCH = Path("/tmp") / f"djai-security-my-{os.getpid()}"
SESSION_LIMIT = 7.5  # the session's own max_statement_time, in seconds

ATTACKS: dict[str, tuple[list[str], str]] = {
    "insert": ([INSERT], READ_ONLY),
    "update": (["UPDATE auth_group SET name = 'changed'"], READ_ONLY),
    "delete": (["DELETE FROM auth_group"], READ_ONLY),
    "replace": (["REPLACE INTO auth_group (id, name) VALUES (1, 'x')"], READ_ONLY),
    "insert-select": ([f"{INSERT[:-20]} SELECT 'x' FROM DUAL"], READ_ONLY),
    "select-into-outfile": ([f"SELECT 1 INTO OUTFILE '{SCRATCH}-outfile.txt'"], READ_ONLY),
    "select-into-dumpfile": ([f"SELECT 1 INTO DUMPFILE '{SCRATCH}-dumpfile.txt'"], READ_ONLY),
    "select-star-into-outfile": (
        [f"SELECT * FROM auth_user INTO OUTFILE '{SCRATCH}-users.txt'"],
        READ_ONLY,
    ),
    "select-into-variable": (["SELECT 1 INTO @djai"], READ_ONLY),
    "select-for-update": (["SELECT * FROM auth_group FOR UPDATE"], READ_ONLY),
    "select-lock-in-share-mode": (["SELECT * FROM auth_group LOCK IN SHARE MODE"], READ_ONLY),
    "get-lock": (["SELECT GET_LOCK('djai_security', 0)"], READ_ONLY),
    "create-table": (["CREATE TABLE djai_intruder (x int)"], READ_ONLY),
    "create-temporary-table": (["CREATE TEMPORARY TABLE djai_intruder (x int)"], READ_ONLY),
    "create-table-as-select": (["CREATE TABLE djai_intruder AS SELECT 1 AS x"], READ_ONLY),
    "drop-table": (["DROP TABLE auth_group"], READ_ONLY),
    "alter-table": (["ALTER TABLE auth_group ADD COLUMN djai int"], READ_ONLY),
    "truncate": (["TRUNCATE TABLE auth_group"], READ_ONLY),
    "rename-table": (["RENAME TABLE auth_group TO djai_intruder"], READ_ONLY),
    "create-index": (["CREATE INDEX djai_index ON auth_group (name)"], READ_ONLY),
    "set-session-read-write": (["SET SESSION TRANSACTION READ WRITE", INSERT], READ_ONLY),
    "set-transaction-read-write": (["SET TRANSACTION READ WRITE", INSERT], READ_ONLY),
    "set-session-statement-time-off": (["SET SESSION max_statement_time = 0"], READ_ONLY),
    "set-statement-for": (["SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(2)"], READ_ONLY),
    "set-autocommit": (["SET autocommit = 1", INSERT], READ_ONLY),
    "commit": (["COMMIT", INSERT], READ_ONLY),
    "commit-smuggling": ([f"COMMIT; {INSERT}; COMMIT"], READ_ONLY),
    "select-then-commit-smuggling": ([f"SELECT 1; COMMIT; {INSERT}; COMMIT"], READ_ONLY),
    "select-then-set": (["SELECT 1; SET SESSION max_statement_time = 0"], READ_ONLY),
    "comment-then-statement": ([f"/* SELECT */ {INSERT}"], READ_ONLY),
    "lock-tables": (["LOCK TABLES auth_group WRITE"], READ_ONLY),
    "load-data": (["LOAD DATA INFILE '/etc/hostname' INTO TABLE auth_group (name)"], READ_ONLY),
    "handler": (["HANDLER auth_group OPEN"], READ_ONLY),
    "xa-start": (["XA START 'djai'"], READ_ONLY),
    "do-sleep": (["DO SLEEP(2)"], READ_ONLY),
    "flush": (["FLUSH TABLES"], READ_ONLY),
    "kill": (["KILL QUERY 1"], READ_ONLY),
    "call": (["CALL mysql.nonexistent()"], READ_ONLY),
    "prepare": (["PREPARE djai_p FROM 'DELETE FROM auth_group'"], READ_ONLY),
    "endless-query": (
        [
            "SELECT count(*) FROM information_schema.columns a, information_schema.columns b,"
            " information_schema.columns c"
        ],
        "query_timeout",
    ),
}

#: Through the driver's own cursor, past the statement guard: the read-only transaction
#: refuses writes when the executor owns the transaction (nested: see SECURITY.md).
RAW_OWNED_ATTACKS: dict[str, tuple[list[str], str]] = {
    "raw-insert": ([INSERT], READ_ONLY),
    "raw-update": (["UPDATE auth_group SET name = 'changed'"], READ_ONLY),
    "raw-delete": (["DELETE FROM auth_group"], READ_ONLY),
}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, db: Any) -> Any:
    Group.objects.get_or_create(name="keep")
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION max_statement_time = %s", [SESSION_LIMIT])
    yield request.param
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION max_statement_time = DEFAULT")


def session_state() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT @@SESSION.max_statement_time, @@SESSION.tx_read_only, "
            "IS_USED_LOCK('djai_security') IS NULL"
        )
        limit, read_only, unlocked = cursor.fetchone()
    return {"max_statement_time": float(limit), "tx_read_only": read_only, "unlocked": unlocked}


NORMAL = {"max_statement_time": SESSION_LIMIT, "tx_read_only": 0, "unlocked": 1}


def assert_session_is_back_to_normal(mode: str) -> None:
    assert session_state() == NORMAL
    assert not list(Path("/tmp").glob(f"{SCRATCH.name}*"))
    assert connection.get_autocommit() == (mode == "owned")
    with transaction.atomic():
        Group.objects.create(name="after")
        transaction.set_rollback(True)


def check(
    mode: str, statements: list[str], expected: str, database_unchanged: Any, **options: Any
) -> None:
    assert session_state() == NORMAL
    with database_unchanged():
        error = attack(statements, timeout_ms=500, **options)
    assert error is not None, "the attack ran without an error"
    assert error.code == expected, f"{error.code}: {error}"
    assert "intruder" not in str(error)
    assert_session_is_back_to_normal(mode)


@pytest.mark.parametrize(("statements", "expected"), ATTACKS.values(), ids=list(ATTACKS))
def test_attack_fails_and_changes_nothing(mode, statements, expected, database_unchanged):
    check(mode, statements, expected, database_unchanged)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("statements", "expected"), RAW_OWNED_ATTACKS.values(), ids=list(RAW_OWNED_ATTACKS)
)
def test_the_read_only_transaction_binds_the_drivers_cursor(
    statements, expected, database_unchanged
):
    Group.objects.get_or_create(name="keep")
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION max_statement_time = %s", [SESSION_LIMIT])
    try:
        check("owned", statements, expected, database_unchanged, raw=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION max_statement_time = DEFAULT")


@pytest.mark.django_db
def test_nested_mode_rolls_back_what_reaches_the_server(database_unchanged):
    """Nested in the caller's transaction there is no read-only transaction: a write sent
    through the driver's own cursor reaches the server and is undone by the savepoint
    rollback. The caller's own pending write survives, the intruder's does not."""
    with database_unchanged(), transaction.atomic():
        Group.objects.create(name="the caller's pending row")
        assert attack([INSERT], raw=True) is None
        assert not Group.objects.filter(name="intruder").exists()
        assert Group.objects.filter(name="the caller's pending row").exists()
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_benchmark_is_stopped_at_the_limit_without_an_error():
    """MariaDB stops BENCHMARK() at max_statement_time but reports no error (it returns 0):
    the time limit holds, only the error is missing. djai never emits BENCHMARK."""
    import time

    began = time.monotonic()
    assert attack(["SELECT BENCHMARK(10000000000, MD5('djai'))"], timeout_ms=500) is None
    assert time.monotonic() - began < 0.5 * 1.1 + 0.15
