"""Database enforcement on PostgreSQL: hostile SQL inside ``read_only()`` fails or leaves
nothing behind.

``read_only()`` runs ``SET TRANSACTION READ ONLY`` and a transaction-local statement
timeout, lets only single SELECT statements through Django's cursor, rolls back always, and
releases session-level advisory locks the block took. After every attack the session must
be as before: the statement timeout is the session's own again, the next transaction is
read-write, no advisory lock is held, nothing is being listened to, no temporary table,
large object, prepared statement or cursor is left, no file was written, and every table is
unchanged. Attacks run both with the executor owning the transaction and nested in the
test's transaction.

The suite connects as a superuser (PostgreSQL's ``postgres``), the worst case: some
functions (``pg_read_file``, ``COPY ... TO PROGRAM``, ``pg_terminate_backend``) are out of
reach only for an unprivileged role, which is why SECURITY.md recommends one
(``test_database_role.py`` proves it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from djai_dsl.errors import QueryTimeout, ReadOnlyViolation
from djai_dsl.executor import read_only
from tests.security.conftest import MODES, VENDOR, attack

pytestmark = pytest.mark.skipif(
    VENDOR != "postgresql", reason="PostgreSQL's read-only transaction (DJAI_TEST_DB=postgres)"
)

READ_ONLY = "read_only_violation"
INSERT = "INSERT INTO auth_group (name) VALUES ('intruder')"
SCRATCH = Path("/tmp") / f"djai-security-pg-{os.getpid()}"
SESSION_TIMEOUT = "54321ms"  # the session's own setting, which every block must give back

#: name -> (statements, the typed error they end in, or None when they run harmlessly)
ATTACKS: dict[str, tuple[list[str], str | None]] = {
    "insert": ([INSERT], READ_ONLY),
    "update": (["UPDATE auth_group SET name = 'changed'"], READ_ONLY),
    "delete": (["DELETE FROM auth_group"], READ_ONLY),
    "truncate": (["TRUNCATE auth_group CASCADE"], READ_ONLY),
    "create-table": (["CREATE TABLE djai_intruder (x int)"], READ_ONLY),
    "create-temp-table": (["CREATE TEMP TABLE djai_intruder (x int)"], READ_ONLY),
    "set-transaction-read-write": (["SET TRANSACTION READ WRITE", INSERT], READ_ONLY),
    "set-session-characteristics": (
        ["SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", INSERT],
        READ_ONLY,
    ),
    "set-default-read-only-off": (["SET default_transaction_read_only = off", INSERT], READ_ONLY),
    "set-local-timeout-off": (["SET LOCAL statement_timeout = 0"], READ_ONLY),
    "commit-smuggling": ([f"COMMIT; {INSERT}"], READ_ONLY),
    "select-then-commit-smuggling": ([f"SELECT 1; COMMIT; {INSERT}; COMMIT"], READ_ONLY),
    "rollback-smuggling": ([f"ROLLBACK; {INSERT}"], READ_ONLY),
    "commit-then-insert": (["COMMIT", INSERT], READ_ONLY),
    "savepoint-release-smuggling": ([f"SELECT 1; RELEASE SAVEPOINT x; {INSERT}"], READ_ONLY),
    "notify": (["NOTIFY djai_security, 'leak'"], READ_ONLY),
    "listen": (["LISTEN djai_security"], READ_ONLY),
    "lock-table": (["LOCK TABLE auth_group IN ACCESS EXCLUSIVE MODE"], READ_ONLY),
    "copy-to-file": ([f"COPY (SELECT 1) TO '{SCRATCH}-copy.txt'"], READ_ONLY),
    "copy-to-program": ([f"COPY (SELECT 1) TO PROGRAM 'touch {SCRATCH}-program.txt'"], READ_ONLY),
    "copy-from-stdin": (["COPY auth_group (name) FROM STDIN"], READ_ONLY),
    "do-block": (["DO $$ BEGIN INSERT INTO auth_group (name) VALUES ('x'); END $$"], READ_ONLY),
    "prepare": (["PREPARE djai_p AS SELECT 1"], READ_ONLY),
    "declare-cursor-with-hold": (["DECLARE djai_c CURSOR WITH HOLD FOR SELECT 1"], READ_ONLY),
    "call": (["CALL pg_catalog.pg_sleep(0)"], READ_ONLY),
    "vacuum": (["VACUUM auth_group"], READ_ONLY),
    "select-into-new-table": (["SELECT 1 AS x INTO djai_intruder"], READ_ONLY),
    "writable-cte": (
        ["WITH d AS (DELETE FROM auth_group RETURNING 1) SELECT count(*) FROM d"],
        READ_ONLY,
    ),
    "select-for-update": (["SELECT * FROM auth_group FOR UPDATE"], READ_ONLY),
    "select-for-share": (["SELECT * FROM auth_group FOR SHARE"], READ_ONLY),
    "nextval": (["SELECT nextval('auth_group_id_seq')"], READ_ONLY),
    "setval": (["SELECT setval('auth_group_id_seq', 999999)"], READ_ONLY),
    "txid-current": (["SELECT txid_current()"], None),
    "lo-import": (["SELECT lo_import('/etc/hostname')"], None),
    "lo-from-bytea": (["SELECT lo_from_bytea(0, 'x')"], None),
    # Allowed in a read-only transaction, but undone by the rollback (checked afterwards):
    "lo-create": (["SELECT lo_create(0)"], None),
    "pg-notify-function": (["SELECT pg_notify('djai_security', 'leak')"], None),
    "set-config-session-timeout-off": (
        ["SELECT set_config('statement_timeout', '0', false)"],
        None,
    ),
    "set-config-read-write": (
        ["SELECT set_config('default_transaction_read_only', 'off', false)"],
        None,
    ),
    "advisory-lock": (["SELECT pg_advisory_lock(1)"], None),
    "advisory-lock-twice": (["SELECT pg_advisory_lock(1)", "SELECT pg_advisory_lock(1)"], None),
    "advisory-lock-shared": (["SELECT pg_advisory_lock_shared(2)"], None),
    "advisory-try-lock-pair": (["SELECT pg_try_advisory_lock(3, 4)"], None),
    "advisory-xact-lock": (["SELECT pg_advisory_xact_lock(5)"], None),
    "temp-schema-function": (["SELECT pg_my_temp_schema()"], None),
    "endless-query": (["SELECT count(*) FROM generate_series(1, 10000000000)"], "query_timeout"),
}

#: Through the driver's own cursor, which Django's statement guard does not see: the
#: read-only transaction still refuses writes.
RAW_ATTACKS: dict[str, tuple[list[str], str | None]] = {
    "raw-insert": ([INSERT], READ_ONLY),
    "raw-writable-cte": (["WITH d AS (DELETE FROM auth_group RETURNING 1) SELECT 1"], READ_ONLY),
    "raw-set-transaction-read-write": (["SET TRANSACTION READ WRITE", INSERT], "query_failed"),
    "raw-advisory-lock": (["SELECT pg_advisory_lock(6)"], None),
}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, db: Any) -> Any:
    Group.objects.get_or_create(name="keep")
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{SESSION_TIMEOUT}'")
    yield request.param
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")


def session_state() -> dict[str, Any]:
    queries = {
        "statement_timeout": "SHOW statement_timeout",
        "transaction_read_only": "SHOW transaction_read_only",
        "default_transaction_read_only": "SHOW default_transaction_read_only",
        "advisory_locks": "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
        "AND pid = pg_backend_pid()",
        "listening": "SELECT count(*) FROM pg_listening_channels()",
        "temporary_tables": "SELECT count(*) FROM pg_class WHERE relpersistence = 't'",
        "large_objects": "SELECT count(*) FROM pg_largeobject_metadata",
        "prepared_statements": "SELECT count(*) FROM pg_prepared_statements",
        "cursors": "SELECT count(*) FROM pg_cursors",
    }
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            out[name] = cursor.fetchone()[0]
    return out


NORMAL = {
    "statement_timeout": SESSION_TIMEOUT,
    "transaction_read_only": "off",
    "default_transaction_read_only": "off",
    "advisory_locks": 0,
    "listening": 0,
    "temporary_tables": 0,
    "large_objects": 0,
    "prepared_statements": 0,
    "cursors": 0,
}


def assert_session_is_back_to_normal() -> None:
    assert session_state() == NORMAL
    assert not list(Path("/tmp").glob(f"{SCRATCH.name}*"))
    with transaction.atomic():  # the connection can write again (rolled back by the test)
        Group.objects.create(name="after")
        transaction.set_rollback(True)


def check(
    statements: list[str], expected: str | None, database_unchanged: Any, **options: Any
) -> None:
    assert session_state() == NORMAL
    with database_unchanged():
        error = attack(statements, timeout_ms=500, **options)
    if expected is None:
        assert error is None, f"{error.code}: {error}"
    else:
        assert error is not None, "the attack ran without an error"
        assert error.code == expected, f"{error.code}: {error}"
        assert "intruder" not in str(error)
    assert_session_is_back_to_normal()


@pytest.mark.parametrize(("statements", "expected"), ATTACKS.values(), ids=list(ATTACKS))
def test_attack_fails_or_leaves_nothing_behind(mode, statements, expected, database_unchanged):
    check(statements, expected, database_unchanged)


@pytest.mark.parametrize(("statements", "expected"), RAW_ATTACKS.values(), ids=list(RAW_ATTACKS))
def test_the_read_only_transaction_also_binds_the_drivers_cursor(
    mode, statements, expected, database_unchanged
):
    check(statements, expected, database_unchanged, raw=True)


@pytest.mark.django_db(transaction=True)
def test_notifications_sent_in_the_block_are_never_delivered(database_unchanged):
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute("LISTEN djai_security")
        assert attack(["SELECT pg_notify('djai_security', 'leak')"]) is None
        listener.execute("SELECT 1")  # let the listener read what arrived
        assert list(listener.notifies(timeout=0.3)) == []
        # The channel works: a committed notification does arrive.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify('djai_security', 'ok')")
        assert [n.payload for n in listener.notifies(timeout=2, stop_after=1)] == ["ok"]


@pytest.mark.django_db(transaction=True)
def test_switching_the_timeout_off_lasts_only_until_the_block_ends():
    """Inside one block, hostile SQL could call set_config() to lift its own timeout (djai's
    compiler never emits function calls of its own choosing). The change is rolled back with
    the block: the next block is cut at its limit again."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{SESSION_TIMEOUT}'")
    assert (
        attack(
            ["SELECT set_config('statement_timeout', '0', false)", "SELECT pg_sleep(0.6)"],
            timeout_ms=300,
        )
        is None
    )
    assert session_state()["statement_timeout"] == SESSION_TIMEOUT
    began = time.monotonic()
    error = attack(["SELECT pg_sleep(5)"], timeout_ms=300)
    assert isinstance(error, QueryTimeout) and time.monotonic() - began < 1.5
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")


@pytest.mark.django_db
def test_advisory_locks_held_by_the_caller_are_kept(database_unchanged):
    """The clean-up releases advisory locks only when the block took new ones."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(42)")
    try:
        assert attack(["SELECT 1"]) is None
        assert session_state()["advisory_locks"] == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")


@pytest.mark.django_db
def test_hostile_querysets_handed_to_the_executor_are_refused(database_unchanged):
    """A queryset is only SQL: one that calls nextval() through a raw expression is refused
    by the read-only transaction like the statement it is."""
    from zoneinfo import ZoneInfo

    from django.db.models import F
    from django.db.models.expressions import RawSQL

    from djai_dsl.compiler.types import Column, CompiledQuery
    from djai_dsl.executor import ReadOnlyExecutor

    Group.objects.create(name="one row, so that the expression is evaluated")
    for sql, error in [
        ("nextval('auth_group_id_seq')", ReadOnlyViolation),
        ("pg_sleep(5)", QueryTimeout),
    ]:
        queryset = Group.objects.annotate(x=RawSQL(sql, [])).values(c0=F("x")).order_by()
        compiled = CompiledQuery(
            queryset, [Column("x", "c0", "string")], [], None, None, "", "fp", "auth.group"
        )
        with database_unchanged(), pytest.raises(error):
            ReadOnlyExecutor(timeout_ms=500).run(compiled, tz=ZoneInfo("UTC"))


@pytest.mark.django_db
def test_releasing_the_blocks_savepoint_does_not_lift_read_only(database_unchanged):
    """Nested in the caller's transaction, the block is a savepoint. Releasing it from
    inside (through the driver's cursor, past the statement guard) merges the read-only
    setting into the caller's transaction rather than escaping it: the write still fails,
    and the caller's transaction is left in an error state, never written to."""
    with database_unchanged():
        error = None
        try:
            with transaction.atomic():
                Group.objects.create(name="the caller's pending row")
                with read_only() as session:
                    savepoint = connection.savepoint_ids[-1]
                    raw = session.connection.connection.cursor()
                    raw.execute(f'RELEASE SAVEPOINT "{savepoint}"')
                    raw.execute(INSERT)
        except Exception as exc:
            error = exc
        assert error is not None
    assert not Group.objects.filter(name="intruder").exists()
