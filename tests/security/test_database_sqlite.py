"""Database enforcement on SQLite: even SQL that djai's compiler would never produce cannot
change anything inside ``read_only()``.

The executor sets a connection authorizer that allows reads only and a progress handler
that stops a statement at the deadline. The authorizer sits on the driver's connection, so
it also judges SQL sent through the driver's own cursor. Each attack runs with the executor
owning the transaction (``transaction=True``: pytest-django flushes the tables afterwards
and runs these tests last) and nested in an open transaction (the test's), and afterwards
the database, the attached databases and the connection's hooks are as they were.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from djai_dsl.errors import QueryTimeout, ReadOnlyViolation
from djai_dsl.executor import ReadOnlyExecutor, read_only
from tests.security.conftest import MODES, VENDOR, attack

pytestmark = pytest.mark.skipif(
    VENDOR != "sqlite", reason="SQLite's authorizer (DJAI_TEST_DB=sqlite)"
)

SCRATCH = Path("/tmp") / f"djai-security-{os.getpid()}"

READ_ONLY = "read_only_violation"

ATTACKS: dict[str, tuple[list[str], str]] = {
    "insert": (["INSERT INTO auth_group (name) VALUES ('intruder')"], READ_ONLY),
    "insert-or-ignore": (["INSERT OR IGNORE INTO auth_group (name) VALUES ('x')"], READ_ONLY),
    "replace": (["REPLACE INTO auth_group (id, name) VALUES (1, 'x')"], READ_ONLY),
    "update": (["UPDATE auth_group SET name = 'changed'"], READ_ONLY),
    "delete": (["DELETE FROM auth_group"], READ_ONLY),
    "upsert": (
        [
            "INSERT INTO auth_group (name) VALUES ('keep') ON CONFLICT(name) DO UPDATE SET name = 'x'"
        ],
        READ_ONLY,
    ),
    "create-table": (["CREATE TABLE djai_intruder (x integer)"], READ_ONLY),
    "create-temp-table": (["CREATE TEMP TABLE djai_intruder (x integer)"], READ_ONLY),
    "create-view": (["CREATE VIEW djai_view AS SELECT 1"], READ_ONLY),
    "create-trigger": (
        [
            "CREATE TRIGGER djai_trigger AFTER INSERT ON auth_group "
            "BEGIN DELETE FROM auth_group; END"
        ],
        READ_ONLY,
    ),
    "create-index": (["CREATE INDEX djai_index ON auth_group (name)"], READ_ONLY),
    "drop-table": (["DROP TABLE auth_group"], READ_ONLY),
    "alter-table": (["ALTER TABLE auth_group ADD COLUMN djai integer"], READ_ONLY),
    "attach": ([f"ATTACH DATABASE '{SCRATCH}-attach.db' AS other"], READ_ONLY),
    "attach-memory": (["ATTACH DATABASE ':memory:' AS other"], READ_ONLY),
    "detach": (["DETACH DATABASE main"], READ_ONLY),
    # SQLite refuses VACUUM inside a transaction before asking the authorizer (which would
    # deny VACUUM INTO as an ATTACH: see test_the_authorizer_alone_denies_vacuum_into).
    "vacuum": (["VACUUM"], "query_failed"),
    "vacuum-into": ([f"VACUUM INTO '{SCRATCH}-vacuum.db'"], "query_failed"),
    "reindex": (["REINDEX"], READ_ONLY),
    "analyze": (["ANALYZE"], READ_ONLY),
    "pragma-query-only-off": (["PRAGMA query_only = 0"], READ_ONLY),
    "pragma-writable-schema": (["PRAGMA writable_schema = 1"], READ_ONLY),
    "pragma-foreign-keys-off": (["PRAGMA foreign_keys = OFF"], READ_ONLY),
    "pragma-journal-mode": (["PRAGMA journal_mode = OFF"], READ_ONLY),
    "pragma-read": (["PRAGMA table_info(auth_user)"], READ_ONLY),
    "load-extension": (["SELECT load_extension('/nonexistent/evil')"], READ_ONLY),
    "commit": (["COMMIT"], READ_ONLY),
    "rollback": (["ROLLBACK"], READ_ONLY),
    "begin": (["BEGIN IMMEDIATE"], READ_ONLY),
    "end": (["END"], READ_ONLY),
    "commit-then-insert": (["COMMIT", "INSERT INTO auth_group (name) VALUES ('x')"], READ_ONLY),
    "insert-in-cte": (
        ["WITH x AS (SELECT 1) INSERT INTO auth_group (name) SELECT 'x' FROM x"],
        READ_ONLY,
    ),
    "commit-smuggled-in-one-string": (
        ["COMMIT; INSERT INTO auth_group (name) VALUES ('smuggled')"],
        READ_ONLY,
    ),
    "endless-recursive-cte": (
        ["WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"],
        "query_timeout",
    ),
}

#: Through the driver's own cursor; ``executescript`` runs several statements.
RAW_ATTACKS: dict[str, tuple[str, str]] = {
    "raw-insert": ("INSERT INTO auth_group (name) VALUES ('raw')", READ_ONLY),
    "raw-commit-then-insert": ("COMMIT; INSERT INTO auth_group (name) VALUES ('raw')", READ_ONLY),
    "raw-commit-then-vacuum-into": (f"COMMIT; VACUUM INTO '{SCRATCH}-raw-vacuum.db'", READ_ONLY),
    "raw-attach": (f"ATTACH DATABASE '{SCRATCH}-raw-attach.db' AS other", READ_ONLY),
    "raw-pragma": (
        "PRAGMA query_only = 0; INSERT INTO auth_group (name) VALUES ('raw')",
        READ_ONLY,
    ),
}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, db: Any) -> str:
    Group.objects.get_or_create(name="keep")
    return request.param


def database_files() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        return sorted(row[1] for row in cursor.fetchall())


def assert_connection_is_back_to_normal(mode: str) -> None:
    # "temp" is SQLite's own scratch schema, opened on demand; it must hold nothing.
    assert set(database_files()) <= {"main", "temp"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_temp_master")
        assert cursor.fetchone() == (0,)
    assert not list(Path("/tmp").glob(f"{SCRATCH.name}*"))
    # The progress handler is gone: its deadline has passed, so a statement of more than a
    # thousand VM steps would be interrupted if it were still set.
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000) "
            "SELECT count(*) FROM c"
        )
        assert cursor.fetchone() == (50000,)
    # The authorizer is gone: writing works again (in the nested mode, inside the test's
    # own transaction, which is rolled back afterwards).
    with transaction.atomic():
        Group.objects.create(name=f"after-{mode}")
    assert connection.in_atomic_block == (mode == "nested")


def run_attack(
    statements: list[str], expected: str, database_unchanged: Any, **options: Any
) -> None:
    with database_unchanged():
        error = attack(statements, timeout_ms=500, **options)
    assert error is not None, "the attack ran without an error"
    assert error.code == expected, f"{error.code}: {error}"
    assert "intruder" not in str(error) and "INSERT" not in str(error)


@pytest.mark.parametrize(("statements", "expected"), ATTACKS.values(), ids=list(ATTACKS))
def test_attack_fails_and_changes_nothing(mode, statements, expected, database_unchanged):
    run_attack(statements, expected, database_unchanged)
    assert_connection_is_back_to_normal(mode)


@pytest.mark.parametrize(("script", "expected"), RAW_ATTACKS.values(), ids=list(RAW_ATTACKS))
def test_the_authorizer_also_judges_the_drivers_own_cursor(
    mode, script, expected, database_unchanged
):
    def executescript() -> None:
        raw = connection.connection.cursor()
        try:
            raw.executescript(script)
        finally:
            raw.close()

    with database_unchanged(), pytest.raises(ReadOnlyViolation), read_only(timeout_ms=500):
        executescript()
    assert_connection_is_back_to_normal(mode)


def test_a_caller_transaction_is_not_committed_by_the_block(db, database_unchanged):
    """Nested in a caller's transaction, a COMMIT in the block would have committed the
    caller's pending writes. It is refused, and the caller's transaction stays its own."""
    with database_unchanged():
        try:
            with transaction.atomic():
                Group.objects.create(name="pending, never committed")
                assert attack(["COMMIT"]).code == READ_ONLY
                raise RuntimeError("the caller changes its mind")
        except RuntimeError:
            pass
    assert not Group.objects.filter(name="pending, never committed").exists()


def test_the_authorizer_alone_denies_vacuum_into_and_attach(tmp_path):
    """Outside any transaction (where SQLite would refuse VACUUM anyway), the authorizer
    itself denies VACUUM INTO, which attaches the target file first."""
    import sqlite3

    from djai_dsl.executor.sqlite import authorizer

    raw = sqlite3.connect(":memory:", isolation_level=None)
    raw.execute("CREATE TABLE t (x integer)")
    raw.set_authorizer(authorizer)
    for sql in (
        f"VACUUM INTO '{tmp_path / 'copy.db'}'",
        f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other",
        "INSERT INTO t VALUES (1)",
    ):
        with pytest.raises(sqlite3.DatabaseError, match=r"not authorized|authorization denied"):
            raw.execute(sql)
    assert not list(tmp_path.iterdir())
    raw.close()


@pytest.mark.parametrize("name", ["writefile", "readfile", "edit"])
def test_functions_that_reach_outside_are_denied_by_name(db, name, database_unchanged):
    """sqlite3's shell registers ``writefile``/``readfile``/``edit``; an application might
    too. Registered or not, the authorizer denies them inside read_only()."""
    raw = connection.connection
    raw.create_function(name, -1, lambda *args: "called")
    try:
        with (
            database_unchanged(),
            pytest.raises(ReadOnlyViolation),
            read_only(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"SELECT {name}('/tmp/djai-security-x', 'x')")
        with connection.cursor() as cursor:  # outside the block the function works again
            cursor.execute(f"SELECT {name}('x')")
            assert cursor.fetchone() == ("called",)
    finally:
        raw.create_function(name, -1, None)  # the connection is shared with later tests


def test_hostile_querysets_handed_to_the_executor_are_refused(db, database_unchanged):
    """The executor runs whatever queryset it is given read-only: a raw SQL expression
    calling a denied function fails like the SQL it contains."""
    from django.db.models import F
    from django.db.models.expressions import RawSQL

    from djai_dsl.compiler.types import Column, CompiledQuery

    queryset = (
        Group.objects.annotate(x=RawSQL("load_extension('/nonexistent/evil')", []))
        .values(c0=F("x"))
        .order_by()
    )
    Group.objects.create(name="one row, so that the expression is evaluated")
    compiled = CompiledQuery(
        queryset, [Column("x", "c0", "string")], [], None, None, "", "fp", "auth.group"
    )
    with database_unchanged(), pytest.raises(ReadOnlyViolation):
        ReadOnlyExecutor(timeout_ms=500).run(compiled, tz=__import__("zoneinfo").ZoneInfo("UTC"))

    slow = (
        Group.objects.annotate(
            x=RawSQL(
                "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                "SELECT count(*) FROM c)",
                [],
            )
        )
        .values(c0=F("x"))
        .order_by()
    )
    compiled = CompiledQuery(
        slow, [Column("x", "c0", "integer")], [], None, None, "", "fp", "auth.group"
    )
    with database_unchanged(), pytest.raises(QueryTimeout):
        ReadOnlyExecutor(timeout_ms=500).run(compiled, tz=__import__("zoneinfo").ZoneInfo("UTC"))
