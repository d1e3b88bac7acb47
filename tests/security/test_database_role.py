"""The recommended production setup, proven: djai's alias connects as a read-only account.

SECURITY.md recommends pointing ``DJAI["DATABASE_ALIAS"]`` at an account that may only
SELECT, and only the columns djai may show. Then the guarantee no longer depends on djai at
all: SQL that gets past every layer of djai (here: sent through the driver's own cursor,
which no Django wrapper sees, including ``COMMIT; INSERT ...`` smuggling) still cannot
write, read a secret column, write or read server files, or stop other sessions.

Each test creates the account the way SECURITY.md describes (PostgreSQL: a role with
``default_transaction_read_only``, table grants, column grants on tables with secrets;
MariaDB: per-table and per-column SELECT grants, no FILE, PROCESS or SUPER), adds a Django
alias for it, and drops both afterwards. The account sees committed data only: the seeded
demo data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection, connections

from djai_dsl.compiler import compile_plan
from djai_dsl.errors import DjaiError
from djai_dsl.executor import ReadOnlyExecutor, read_only
from djai_dsl.grammar import parse
from tests.conftest import NOW, TZ
from tests.security.conftest import VENDOR

pytestmark = [
    pytest.mark.skipif(
        VENDOR not in ("postgresql", "mysql"), reason="database accounts: PostgreSQL and MariaDB"
    ),
    pytest.mark.django_db,
]

ALIAS = "djai_reader"
ACCOUNT = f"djai_reader_{os.getpid()}"
PASSWORD = "djai-reader-test-password"

#: Columns the account must never read, whatever SQL reaches it: djai's secret patterns
#: and registry-hidden fields of the demo, and the sessions table as a whole.
SECRET_COLUMNS = {
    "auth_user": {"password"},
    "shop_customer": {"api_token", "email"},
}
NO_ACCESS_TABLES = {"django_session"}


def readable_tables() -> dict[str, list[str]]:
    """table -> columns the account may SELECT (every column for most tables)."""
    out = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in NO_ACCESS_TABLES:
            continue
        columns = [f.column for f in model._meta.concrete_fields]
        out[table] = [c for c in columns if c not in SECRET_COLUMNS.get(table, set())]
    return out


def admin_connection() -> Any:
    """A separate, autocommitting connection as the test's administrator: the account and
    its grants must be committed for the account's own connection to see them."""
    params = connection.get_connection_params()
    if VENDOR == "postgresql":
        import psycopg

        return psycopg.connect(**params, autocommit=True)
    import MySQLdb

    admin = MySQLdb.connect(**params)
    admin.autocommit(True)
    return admin


def create_account(admin: Any) -> None:
    database = connection.settings_dict["NAME"]
    cursor = admin.cursor()
    if VENDOR == "postgresql":
        statements = [
            f"CREATE ROLE {ACCOUNT} LOGIN PASSWORD '{PASSWORD}' "
            "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
            f"ALTER ROLE {ACCOUNT} SET default_transaction_read_only = on",
            f"ALTER ROLE {ACCOUNT} SET statement_timeout = '10s'",
            f'GRANT CONNECT ON DATABASE "{database}" TO {ACCOUNT}',
            f"GRANT USAGE ON SCHEMA public TO {ACCOUNT}",
        ]
        for table, columns in readable_tables().items():
            if table in SECRET_COLUMNS:
                listed = ", ".join(f'"{c}"' for c in columns)
                statements.append(f'GRANT SELECT ({listed}) ON "{table}" TO {ACCOUNT}')
            else:
                statements.append(f'GRANT SELECT ON "{table}" TO {ACCOUNT}')
    else:
        user = f"'{ACCOUNT}'@'%'"
        statements = [
            f"CREATE USER {user} IDENTIFIED BY '{PASSWORD}'",
            f"GRANT USAGE ON *.* TO {user} WITH MAX_STATEMENT_TIME 10",
        ]
        for table, columns in readable_tables().items():
            if table in SECRET_COLUMNS:
                listed = ", ".join(f"`{c}`" for c in columns)
                statements.append(f"GRANT SELECT ({listed}) ON `{database}`.`{table}` TO {user}")
            else:
                statements.append(f"GRANT SELECT ON `{database}`.`{table}` TO {user}")
    for sql in statements:
        cursor.execute(sql)
    cursor.close()


def drop_account(admin: Any) -> None:
    cursor = admin.cursor()
    if VENDOR == "postgresql":
        database = connection.settings_dict["NAME"]
        cursor.execute(f"REASSIGN OWNED BY {ACCOUNT} TO CURRENT_USER")
        cursor.execute(f"DROP OWNED BY {ACCOUNT}")
        cursor.execute(f'REVOKE ALL ON DATABASE "{database}" FROM {ACCOUNT}')
        cursor.execute(f"DROP ROLE {ACCOUNT}")
    else:
        cursor.execute(f"DROP USER '{ACCOUNT}'@'%'")
    cursor.close()


def committed_state(admin: Any) -> tuple[Any, ...]:
    """What other sessions see, read through the administrator's autocommitting connection
    (the test's own connection is inside a transaction, and under MariaDB's repeatable
    read it would not see a write committed by another session)."""
    cursor = admin.cursor()
    state = []
    for sql in (
        "SELECT count(*), max(name) FROM auth_group",
        "SELECT count(*), sum(total) FROM shop_order",
    ):
        cursor.execute(sql)
        state.append(tuple(cursor.fetchone()))
    cursor.close()
    state.append(tuple(sorted(connection.introspection.table_names())))
    return tuple(state)


@pytest.fixture
def admin() -> Iterator[Any]:
    admin = admin_connection()
    yield admin
    admin.close()


@pytest.fixture
def reader(db: Any, admin: Any) -> Iterator[str]:
    """The alias of a Django connection that logs in as the read-only account."""
    create_account(admin)
    # A connection made from settings but not listed in them: Django's test case only
    # lets a test use the aliases it declares, "dynamically created connections" aside.
    connections.settings[ALIAS] = {
        **connection.settings_dict,
        "USER": ACCOUNT,
        "PASSWORD": PASSWORD,
    }
    try:
        reader_connection = connections.create_connection(ALIAS)
    finally:
        del connections.settings[ALIAS]
    connections[ALIAS] = reader_connection
    try:
        yield ALIAS
    finally:
        reader_connection.close()
        del connections[ALIAS]
        drop_account(admin)


def hostile(alias: str, sql: str) -> DjaiError | None:
    """Send ``sql`` through the driver's own cursor inside read_only() on ``alias``."""
    try:
        with read_only(alias, timeout_ms=2000) as session:
            raw = session.connection.connection.cursor()
            try:
                raw.execute(sql)
                if raw.description:
                    return raw.fetchall()  # type: ignore[return-value]
            finally:
                raw.close()
    except DjaiError as exc:
        return exc
    return None


def test_djai_answers_through_the_read_only_account(reader, superuser_manifest):
    for text in [
        "from shop.order group by status aggregate n = count(), revenue = sum(total)",
        "from shop.customer where exists(orders where total > 500) select name, country",
        'from auth.user where username contains "." select username, is_staff',
        "from chinook.invoice aggregate n = count(), r = measure(revenue)",
    ]:
        compiled = compile_plan(parse(text), superuser_manifest, tz=TZ, now=NOW)
        expected = ReadOnlyExecutor().run(compiled, tz=TZ, page_size=1000).rows
        got = ReadOnlyExecutor(alias=reader).run(compiled, tz=TZ, page_size=1000).rows
        assert got == expected and got


@pytest.mark.parametrize(
    ("sql", "raises"),
    [
        ("INSERT INTO auth_group (name) VALUES ('intruder')", True),
        ("UPDATE shop_order SET total = 0", True),
        ("CREATE TABLE djai_intruder (x int)", True),
        # Several statements: MariaDB's driver reports the second one's error only when
        # its result is read, so the block may end without an error; nothing is written.
        (
            "COMMIT; INSERT INTO auth_group (name) VALUES ('intruder'); COMMIT",
            VENDOR == "postgresql",
        ),
        ("SELECT 1; COMMIT; DELETE FROM shop_order; COMMIT", VENDOR == "postgresql"),
    ],
)
def test_writes_fail_even_past_every_djai_layer(reader, admin, sql, raises):
    """The driver's cursor is not guarded by djai, and COMMIT ends the read-only
    transaction: only the account's privileges are left, and they are enough."""
    before = committed_state(admin)
    error = hostile(reader, sql)
    if raises:
        assert isinstance(error, DjaiError), error
    else:
        assert error is None or isinstance(error, DjaiError)
    assert committed_state(admin) == before


@pytest.mark.parametrize(
    ("table", "column"),
    [(table, column) for table, columns in SECRET_COLUMNS.items() for column in sorted(columns)],
)
def test_secret_columns_cannot_be_read_by_any_sql(reader, table, column):
    quote = connection.ops.quote_name
    error = hostile(reader, f"SELECT {quote(column)} FROM {quote(table)}")
    assert isinstance(error, DjaiError) and error.code == "query_failed"
    error = hostile(reader, "SELECT * FROM django_session")
    assert isinstance(error, DjaiError) and error.code == "query_failed"


def test_server_files_are_out_of_reach(reader):
    scratch = f"/tmp/djai-reader-{os.getpid()}.txt"
    if VENDOR == "postgresql":
        attempts = [
            f"COPY (SELECT 1) TO '{scratch}'",
            f"COPY (SELECT 1) TO PROGRAM 'touch {scratch}'",
            "SELECT pg_read_file('/etc/hostname')",
            "SELECT lo_import('/etc/hostname')",
        ]
        for sql in attempts:
            error = hostile(reader, sql)
            assert isinstance(error, DjaiError), sql
    else:
        error = hostile(reader, f"SELECT 1 INTO OUTFILE '{scratch}'")
        assert isinstance(error, DjaiError)
        # Without the FILE privilege LOAD_FILE() reads nothing.
        assert hostile(reader, "SELECT LOAD_FILE('/etc/hostname')") == ((None,),)
    assert not os.path.exists(scratch)


def test_other_sessions_cannot_be_stopped(reader):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()" if VENDOR == "postgresql" else "SELECT CONNECTION_ID()"
        )
        own_session = cursor.fetchone()[0]
    sql = (
        f"SELECT pg_terminate_backend({own_session})"
        if VENDOR == "postgresql"
        else f"KILL {own_session}"
    )
    assert isinstance(hostile(reader, sql), DjaiError)
    with connection.cursor() as cursor:  # the administrator's session is still alive
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1


def test_the_account_is_read_only_by_default(reader):
    """PostgreSQL: even outside djai's read_only(), every transaction of the account starts
    read-only (ALTER ROLE ... SET default_transaction_read_only)."""
    if VENDOR != "postgresql":
        pytest.skip("PostgreSQL's per-role setting")
    with connections[reader].cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        assert cursor.fetchone()[0] == "on"


def test_the_manifest_and_the_grants_agree(superuser_manifest):
    """Every field djai may show is a column the account may read, so the account never
    breaks a valid plan; no secret column is in the manifest."""
    readable = readable_tables()
    for info in superuser_manifest.models.values():
        table = info.model._meta.db_table
        for name in info.fields:
            column = info.model._meta.get_field(name).column
            assert column in readable.get(table, []), (table, column)
    assert ZoneInfo("UTC")  # the module's imports are all used
