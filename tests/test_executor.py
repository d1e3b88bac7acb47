"""The read-only executor, on whichever backend DJAI_TEST_DB selects.

Queries are built by hand from values() querysets over django.contrib.auth models, so these
tests depend neither on the compiler nor on the demo apps.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.core import signing
from django.db import DatabaseError, connection
from django.db.models import Count, F, Max, Min
from django.db.models.functions import TruncDay
from django.test.utils import CaptureQueriesContext

from djai_dsl.compiler.types import Column, CompiledQuery, OrderKey
from djai_dsl.errors import (
    BadRequest,
    ConfigurationError,
    CursorInvalid,
    LimitExceeded,
    QueryFailed,
    QueryTimeout,
    ReadOnlyViolation,
)
from djai_dsl.executor import (
    ReadOnlyExecutor,
    Result,
    compiled_sql,
    display_sql,
    normalize_value,
    read_only,
)

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
VENDOR = connection.vendor
BASE = dt.datetime(2024, 3, 30, 22, 30, tzinfo=dt.timezone.utc)  # DST starts in Berlin next night


def make_query(
    queryset,
    columns,
    order_keys,
    *,
    limit=None,
    offset=None,
    fingerprint="fp-users",
):
    return CompiledQuery(
        queryset=queryset,
        columns=[Column(name=name, key=key, type=type_) for name, key, type_ in columns],
        order_keys=[OrderKey(key, descending) for key, descending in order_keys],
        limit=limit,
        offset=offset,
        explanation="hand-built",
        fingerprint=fingerprint,
        model_label="auth.user",
    )


def ordering(order_keys):
    """order_by() arguments with NULLs smallest, as the compiler promises."""
    return [
        F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_first=True)
        for key, descending in order_keys
    ]


def all_pages(executor, compiled, page_size, tz=UTC):
    pages, cursor = [], None
    while True:
        result = executor.run(compiled, tz=tz, page_size=page_size, cursor=cursor)
        pages.append(result)
        assert result.page == len(pages)
        if result.next_cursor is None:
            assert not result.truncated
            return pages
        assert result.truncated and result.row_count == page_size
        cursor = result.next_cursor
        assert len(pages) < 100, "pagination does not end"


def flat(pages):
    return [row for page in pages for row in page.rows]


@pytest.fixture
def users(db):
    """23 users; last_login has NULLs and ties, first_name has ties."""
    names = ["ann", "bob", "cy"]
    created = []
    for i in range(23):
        created.append(
            User.objects.create(
                username=f"djx{i:02d}",
                first_name=names[i % 3],
                last_login=None if i % 4 == 0 else BASE + dt.timedelta(days=i % 3),
                date_joined=BASE + dt.timedelta(hours=i),
                is_staff=i % 2 == 0,
            )
        )
    return created


USER_KEYS = [("c1", False), ("c2", True), ("k_pk", False)]
USER_COLUMNS = [("username", "c0", "string"), ("last_login", "c1", "datetime")]


def user_query(order_keys, **kwargs):
    queryset = (
        User.objects.filter(username__startswith="djx")
        .values(c0=F("username"), c1=F("last_login"), c2=F("first_name"), k_pk=F("pk"))
        .order_by(*ordering(order_keys))
    )
    return make_query(queryset, USER_COLUMNS, order_keys, **kwargs)


def expected_usernames(users, order_keys):
    """The order the database must produce, computed in Python (NULL smallest)."""
    attrs = {"c1": "last_login", "c2": "first_name", "k_pk": "pk"}
    rows = list(users)
    for key, descending in reversed(order_keys):  # stable sorts, last key first
        attr = attrs[key]
        rows.sort(
            key=lambda u, a=attr: (getattr(u, a) is not None, getattr(u, a) or 0),
            reverse=descending,
        )
    return [u.username for u in rows]


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize(
    "order_keys",
    [
        [("c1", False), ("c2", True), ("k_pk", False)],
        [("c1", True), ("c2", False), ("k_pk", True)],
        [("c2", False), ("c1", True), ("k_pk", False)],
    ],
    ids=["nulls-first-asc", "nulls-last-desc", "ties-then-nulls"],
)
@pytest.mark.parametrize("page_size", [1, 4, 7])
def test_pages_together_equal_the_unpaginated_result(users, order_keys, page_size):
    compiled = user_query(order_keys)
    executor = ReadOnlyExecutor()
    whole = executor.run(compiled, tz=UTC, page_size=1000)
    assert not whole.truncated and whole.next_cursor is None
    assert [r[0] for r in whole.rows] == expected_usernames(users, order_keys)

    pages = all_pages(executor, compiled, page_size)
    assert flat(pages) == whole.rows
    assert len(pages) == -(-23 // page_size)


def test_limit_and_offset_span_pages(users):
    compiled = user_query(USER_KEYS, limit=7, offset=3)
    executor = ReadOnlyExecutor()
    everything = executor.run(user_query(USER_KEYS), tz=UTC, page_size=1000).rows
    pages = all_pages(executor, compiled, page_size=3)
    assert [p.row_count for p in pages] == [3, 3, 1]
    assert flat(pages) == everything[3:10]


def test_limit_equal_to_page_size_is_not_truncated(users):
    result = ReadOnlyExecutor().run(user_query(USER_KEYS, limit=5), tz=UTC, page_size=5)
    assert result.row_count == 5 and not result.truncated and result.next_cursor is None


def test_limit_zero_returns_no_rows(users):
    result = ReadOnlyExecutor().run(user_query(USER_KEYS, limit=0), tz=UTC)
    assert result.rows == [] and not result.truncated


def test_offset_past_the_end(users):
    result = ReadOnlyExecutor().run(user_query(USER_KEYS, offset=50), tz=UTC)
    assert result.rows == [] and not result.truncated


def test_grouped_aggregates_paginate_with_having(users):
    """Order keys on aggregates (ties and NULLs) filter in HAVING on the next pages."""
    groups = [Group.objects.create(name=f"djx-g{i}") for i in range(7)]
    for i, user in enumerate(users[:15]):
        user.groups.add(groups[i % 4])  # g0..g3 have members (tied counts), g4..g6 none
    order_keys = [("m", True), ("n", False), ("c0", False)]
    queryset = (
        Group.objects.filter(name__startswith="djx-")
        .values(c0=F("name"))
        .annotate(n=Count("user"), m=Max("user__last_login"))
        .order_by(*ordering(order_keys))
    )
    compiled = make_query(
        queryset,
        [("group", "c0", "string"), ("users", "n", "integer"), ("latest", "m", "datetime")],
        order_keys,
        fingerprint="fp-groups",
    )
    executor = ReadOnlyExecutor()
    whole = executor.run(compiled, tz=UTC)
    # NULL maximum sorts last when descending; ties on it fall to the next keys.
    assert [r[0] for r in whole.rows] == [f"djx-g{i}" for i in (3, 1, 2, 4, 5, 6, 0)]
    for size in (1, 2, 3):
        assert flat(all_pages(executor, compiled, size)) == whole.rows


def test_day_buckets_in_a_time_zone_paginate(users):
    """A datetime truncated in a zone is a wall-clock time in SQL; the keyset must compare
    it as such (Django alone would shift the parameter by the UTC offset)."""
    order_keys = [("d", False), ("k_pk", False)]
    queryset = (
        User.objects.filter(username__startswith="djx")
        .values(c0=F("username"), d=TruncDay("date_joined", tzinfo=BERLIN), k_pk=F("pk"))
        .order_by(*ordering(order_keys))
    )
    compiled = make_query(
        queryset, [("username", "c0", "string"), ("day", "d", "datetime")], order_keys
    )
    executor = ReadOnlyExecutor()
    whole = executor.run(compiled, tz=BERLIN)
    assert len(whole.rows) == 23
    assert whole.rows[0] == ["djx00", "2024-03-30T00:00:00+01:00"]
    assert whole.rows[-1][1] == "2024-03-31T00:00:00+01:00"
    pages = all_pages(executor, compiled, page_size=2, tz=BERLIN)
    assert flat(pages) == whole.rows

    grouped = make_query(
        User.objects.filter(username__startswith="djx")
        .values(d=TruncDay("date_joined", tzinfo=BERLIN))
        .annotate(n=Count("id"))
        .order_by("d"),
        [("day", "d", "datetime"), ("users", "n", "integer")],
        [("d", False)],
    )
    pages = all_pages(executor, grouped, page_size=1, tz=BERLIN)
    assert flat(pages) == [["2024-03-30T00:00:00+01:00", 1], ["2024-03-31T00:00:00+01:00", 22]]


def test_no_order_keys_means_a_single_page(users):
    mine = User.objects.filter(username__startswith="djx")
    compiled = make_query(mine.values(c0=F("username")), [("u", "c0", "string")], [])
    result = ReadOnlyExecutor().run(compiled, tz=UTC, page_size=5)
    assert result.row_count == 5 and result.truncated and result.next_cursor is None


def global_aggregate(queryset):
    """Aggregates without grouping, shaped as the compiler shapes them: one row always."""
    queryset = queryset.annotate(n=Count("id"), first=Min("date_joined")).values("n", "first")
    queryset.query.group_by = None
    return make_query(
        queryset, [("users", "n", "integer"), ("first", "first", "datetime")], [], limit=None
    )


def test_aggregates_return_one_row_even_without_data(db):
    nobody = User.objects.filter(username__startswith="djx")
    result = ReadOnlyExecutor().run(global_aggregate(nobody), tz=UTC)
    assert result.rows == [[0, None]] and not result.truncated


def test_aggregates_with_data(users):
    compiled = global_aggregate(User.objects.filter(username__startswith="djx", is_staff=True))
    result = ReadOnlyExecutor().run(compiled, tz=BERLIN)
    assert result.rows == [[12, "2024-03-30T23:30:00+01:00"]]
    assert result.as_dict() == {
        "columns": [
            {"name": "users", "type": "integer", "label": ""},
            {"name": "first", "type": "datetime", "label": ""},
        ],
        "rows": [[12, "2024-03-30T23:30:00+01:00"]],
    }


# --------------------------------------------------------------------------- sizes


def test_page_size_defaults_and_is_clamped(users, settings):
    settings.DJAI = {"PAGE_SIZE": 4, "MAX_PAGE_SIZE": 6}
    executor = ReadOnlyExecutor()
    assert executor.run(user_query(USER_KEYS), tz=UTC).row_count == 4
    assert executor.run(user_query(USER_KEYS), tz=UTC, page_size=500).row_count == 6


@pytest.mark.parametrize("page_size", [0, -1, "10", True])
def test_bad_page_size_is_a_bad_request(db, page_size):
    with pytest.raises(BadRequest):
        ReadOnlyExecutor().run(user_query(USER_KEYS), tz=UTC, page_size=page_size)


def test_limit_above_max_is_refused(db, settings):
    settings.DJAI = {"MAX_LIMIT": 50}
    with pytest.raises(LimitExceeded) as info:
        ReadOnlyExecutor().run(user_query(USER_KEYS, limit=51), tz=UTC)
    assert info.value.code == "limit_exceeded"
    assert ReadOnlyExecutor().run(user_query(USER_KEYS, limit=50), tz=UTC).rows == []


@pytest.mark.parametrize("timeout", [0, -5, 1.5, "100", True])
def test_bad_timeout_is_a_configuration_error(timeout):
    with pytest.raises(ConfigurationError):
        ReadOnlyExecutor(timeout_ms=timeout)


# --------------------------------------------------------------------------- cursors


def first_cursor(compiled):
    result = ReadOnlyExecutor().run(compiled, tz=UTC, page_size=5)
    assert result.next_cursor
    return result.next_cursor


def test_cursor_for_another_query_is_refused(users):
    cursor = first_cursor(user_query(USER_KEYS))
    other = user_query(USER_KEYS, fingerprint="fp-other")
    with pytest.raises(CursorInvalid):
        ReadOnlyExecutor().run(other, tz=UTC, cursor=cursor)


def test_tampered_cursor_is_refused(users):
    cursor = first_cursor(user_query(USER_KEYS))
    payload, signature = cursor.rsplit(":", 1)
    for forged in (payload + ":" + signature[::-1], "x" + cursor, "garbage", ""):
        with pytest.raises(CursorInvalid):
            ReadOnlyExecutor().run(user_query(USER_KEYS), tz=UTC, cursor=forged)


def test_cursor_signed_with_another_salt_is_refused(users):
    forged = signing.dumps({"f": "fp-users", "p": 2, "n": 0, "k": [["n"], ["n"], ["i", 1]]})
    with pytest.raises(CursorInvalid):
        ReadOnlyExecutor().run(user_query(USER_KEYS), tz=UTC, cursor=forged)


@pytest.mark.parametrize(
    "payload",
    [
        {"f": "fp-users", "p": 2, "n": 0, "k": [["n"], ["n"]]},  # wrong number of keys
        {"f": "fp-users", "p": 1, "n": 0, "k": [["n"], ["n"], ["i", 1]]},  # page 1 has none
        {"f": "fp-users", "p": 2, "n": -1, "k": [["n"], ["n"], ["i", 1]]},
        {"f": "fp-users", "p": 2, "n": 0, "k": [["zz", 1], ["n"], ["i", 1]]},
        {"f": "fp-users", "p": 2, "k": [["n"], ["n"], ["i", 1]]},
        ["not", "a", "dict"],
    ],
)
def test_well_signed_but_malformed_cursor_is_refused(users, payload):
    forged = signing.dumps(payload, salt="djai.cursor", compress=True)
    with pytest.raises(CursorInvalid):
        ReadOnlyExecutor().run(user_query(USER_KEYS), tz=UTC, cursor=forged)


def test_expired_cursor_is_refused(users):
    cursor = first_cursor(user_query(USER_KEYS))
    later = time.time() + 3601
    with (
        mock.patch("django.core.signing.time.time", return_value=later),
        pytest.raises(CursorInvalid) as info,
    ):
        ReadOnlyExecutor().run(user_query(USER_KEYS), tz=UTC, cursor=cursor)
    assert "expired" in info.value.message


def test_cursor_on_a_single_page_query_is_refused(users):
    cursor = first_cursor(user_query(USER_KEYS))
    single = make_query(User.objects.values(c0=F("username")), [("u", "c0", "string")], [])
    with pytest.raises(CursorInvalid):
        ReadOnlyExecutor().run(single, tz=UTC, cursor=cursor)


# Issued by djai 0.1.0 (tests/settings.py's SECRET_KEY, salt "djai.cursor") for page 3 after
# 40 rows, with one order key of every kind a cursor holds. Clients keep cursors across an
# upgrade: the token format is a contract.
CURSOR_FROM_0_1_0 = (
    ".eJxtjsEKwjAQRP9lLh7chElSEfY7vIUeFC2IIEUrKOK_u9sUTw5hMzN5CXljgGIYA2OKhGCEFsEV2lFwgdZqoZeKA"
    "2S6PU5uz5Ct74PxKW7m47v55-o1-2Pr2cJkKTN3gSUU7nLWQiXXTDYbsv8hydbc-S0nsrJEurrW2-M1JKGU3vPDuUX"
    "hz1hkn-w_X6N7NVk:1xYl7M:kRv58zFl3eXg4zmESRAFhhVCSqY8aBrgQrNUwFi-F_U"
)
CURSOR_FROM_0_1_0_LAST_ROW = (
    None,
    True,
    7,
    1.5,
    "x'y",
    Decimal("1.50"),
    dt.datetime(2024, 3, 30, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.date(2024, 1, 1),
    dt.time(1, 2, 3, 4),
    dt.timedelta(days=-1, microseconds=3),
    uuid.UUID(int=5),
)


def test_a_cursor_issued_by_an_earlier_version_still_decodes():
    from djai_dsl.executor.cursor import Position, decode_cursor, encode_cursor

    last = CURSOR_FROM_0_1_0_LAST_ROW
    compiled = make_query(
        User.objects.none(),
        [],
        [(f"k{i}", False) for i in range(len(last))],
        fingerprint="fp-0.1.0",
    )
    issued_at = signing.b62_decode(CURSOR_FROM_0_1_0.split(":")[1])
    with mock.patch("django.core.signing.time.time", return_value=issued_at + 1):
        position = decode_cursor(CURSOR_FROM_0_1_0, compiled)
    assert (position.page, position.served) == (3, 40)
    assert position.last == last
    assert [type(value) for value in position.last] == [type(value) for value in last]
    # And today's encoding of the same position carries the same payload.
    issued_now = encode_cursor("fp-0.1.0", Position(3, 40, last))
    assert signing.loads(issued_now, salt="djai.cursor") == signing.loads(
        CURSOR_FROM_0_1_0, salt="djai.cursor"
    )


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (7, 7),
        ("text", "text"),
        (Decimal("1234.50"), "1234.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("NaN"), "NaN"),
        (1 / 3, 0.333333),
        (-0.0, 0.0),
        (-1e-9, 0.0),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (float("nan"), "NaN"),
        (dt.datetime(2024, 7, 1, 10, 0, tzinfo=dt.timezone.utc), "2024-07-01T12:00:00+02:00"),
        (dt.datetime(2024, 1, 1, 10, 0), "2024-01-01T11:00:00+01:00"),  # naive = UTC
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.time(8, 5, 3, 120), "08:05:03.000120"),
        (dt.timedelta(days=1, seconds=30, microseconds=5), 86430.000005),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), "12345678-1234-5678-1234-567812345678"),
        (b"\x00\xff", "00ff"),
        (memoryview(b"ab"), "6162"),
        ({"a": [1, 2]}, {"a": [1, 2]}),
        (frozenset(), "frozenset()"),
    ],
)
def test_normalize_value(value, expected):
    result = normalize_value(value, BERLIN)
    assert result == expected and type(result) is type(expected)


def test_rows_are_normalised_in_the_client_zone_and_hide_keys(users):
    compiled = user_query(USER_KEYS)
    result = ReadOnlyExecutor().run(compiled, tz=ZoneInfo("America/New_York"), page_size=1000)
    assert all(len(row) == 2 for row in result.rows)  # c2 and k_pk are not columns
    with_login = [row for row in result.rows if row[1] is not None]
    assert with_login[0][1] == "2024-03-30T18:30:00-04:00"
    assert [c.name for c in result.columns] == ["username", "last_login"]
    assert result.db_latency_ms >= 0


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        0.1 + 0.2,
        "s",
        Decimal("1.50"),
        dt.date(2024, 1, 1),
        dt.time(1, 2, 3, 4),
        dt.datetime(2024, 1, 1, 0, 0, 0, 7, tzinfo=BERLIN),
        dt.datetime(2024, 1, 1),
        dt.timedelta(days=-1, microseconds=3),
        uuid.UUID(int=5),
    ],
)
def test_cursor_values_round_trip_exactly(value):
    from djai_dsl.executor.cursor import _tag, _untag

    back = _untag(_tag(value))
    assert back == value and type(back) is type(value)
    if isinstance(value, dt.datetime):
        assert back.utcoffset() == value.utcoffset()


def test_key_of_an_unsupported_type_cannot_paginate():
    from djai_dsl.executor.cursor import _tag

    with pytest.raises(QueryFailed):
        _tag({"json": 1})


# --------------------------------------------------------------------------- read-only

WRITES = {
    "insert": "INSERT INTO auth_group (name) VALUES ('intruder')",
    "update": "UPDATE auth_group SET name = 'changed'",
    "delete": "DELETE FROM auth_group",
    "create": "CREATE TABLE djai_intruder (x integer)",
}
if VENDOR == "sqlite":
    WRITES["attach"] = "ATTACH DATABASE ':memory:' AS other"
    WRITES["pragma"] = "PRAGMA query_only = 0"


def group_names():
    return sorted(Group.objects.values_list("name", flat=True))


def assert_unchanged(before):
    assert group_names() == before
    assert "djai_intruder" not in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("statement", list(WRITES.values()), ids=list(WRITES))
def test_writes_are_refused_when_the_executor_owns_the_transaction(statement):
    Group.objects.create(name="keep")
    before = group_names()
    with pytest.raises(ReadOnlyViolation), read_only() as session:
        assert session.mode == ("authorizer" if VENDOR == "sqlite" else "transaction")
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert_unchanged(before)


@pytest.mark.django_db
@pytest.mark.parametrize("statement", list(WRITES.values()), ids=list(WRITES))
def test_writes_are_refused_inside_an_open_transaction(statement):
    """pytest-django wraps this test in a transaction: read_only() nests in a savepoint."""
    Group.objects.create(name="keep")
    before = group_names()
    with pytest.raises(ReadOnlyViolation), read_only() as session:
        expected = {"sqlite": "authorizer", "postgresql": "transaction"}
        assert session.mode == expected.get(VENDOR, "rollback_only")
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert_unchanged(before)
    Group.objects.create(name="after")  # the outer transaction can still write


@pytest.mark.skipif(VENDOR != "mysql", reason="MariaDB's statement guard and server check")
@pytest.mark.django_db(transaction=True)
def test_mariadb_server_refuses_writes_that_bypass_the_guard():
    Group.objects.create(name="keep")
    before = group_names()
    with pytest.raises(ReadOnlyViolation), read_only():
        raw = connection.connection.cursor()  # the driver's cursor: no Django wrappers
        raw.execute("INSERT INTO auth_group (name) VALUES ('intruder')")
    assert_unchanged(before)


@pytest.mark.skipif(VENDOR != "mysql", reason="MariaDB's nested mode")
@pytest.mark.django_db
def test_mariadb_nested_mode_rolls_back_what_the_guard_lets_through():
    Group.objects.create(name="keep")
    before = group_names()
    with read_only() as session:
        assert session.mode == "rollback_only"
        raw = connection.connection.cursor()
        raw.execute("INSERT INTO auth_group (name) VALUES ('intruder')")
    assert_unchanged(before)


@pytest.mark.django_db(transaction=True)
def test_reads_work_and_the_executor_reports_its_mode(users):
    result = ReadOnlyExecutor().run(user_query(USER_KEYS), tz=UTC, page_size=3)
    assert result.read_only_mode == ("authorizer" if VENDOR == "sqlite" else "transaction")
    assert User.objects.create(username="writable-after")  # nothing left switched on


SLOW = {
    "sqlite": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) "
        "SELECT count(*) FROM c"
    ),
    "postgresql": "SELECT pg_sleep(5)",
    "mysql": "SELECT SLEEP(5)",
}


def timeout_setting():
    with connection.cursor() as cursor:
        if VENDOR == "postgresql":
            cursor.execute("SHOW statement_timeout")
        elif VENDOR == "mysql":
            cursor.execute("SELECT @@SESSION.max_statement_time")
        else:
            return None
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "db_mode", ["owned", "nested"], ids=["executor-owns-transaction", "inside-transaction"]
)
def test_slow_query_times_out_close_to_the_limit(request, db_mode):
    request.getfixturevalue("transactional_db" if db_mode == "owned" else "db")
    before = timeout_setting()
    began = time.monotonic()
    with (
        pytest.raises(QueryTimeout) as info,
        read_only(timeout_ms=300),
        connection.cursor() as cursor,
    ):
        cursor.execute(SLOW[VENDOR])
        cursor.fetchall()
    elapsed = time.monotonic() - began
    assert 0.25 < elapsed < 2.5
    assert info.value.code == "query_timeout" and info.value.retryable
    assert "300 ms" in info.value.message
    assert timeout_setting() == before  # restored for the connection's next user
    assert Group.objects.create(name="usable")


def test_database_errors_become_query_failed_without_sql(db):
    with pytest.raises(QueryFailed) as info, read_only(), connection.cursor() as cursor:
        cursor.execute("SELECT secret_column FROM no_such_table WHERE x = %s", ["hunter2"])
    text = str(info.value) + repr(info.value.as_dict())
    assert "no_such_table" not in text and "hunter2" not in text
    assert info.value.code == "query_failed"


def test_errors_inside_run_are_typed(db, settings):
    settings.DJAI = {"STATEMENT_TIMEOUT_MS": 300}
    queryset = Group.objects.values(c0=F("name")).filter(name__in=["x"]).order_by("c0")
    compiled = make_query(queryset, [("name", "c0", "string")], [("c0", False)])
    with (
        mock.patch("django.db.models.query.QuerySet.__iter__", _raise_db_error),
        pytest.raises(QueryFailed) as info,
    ):
        ReadOnlyExecutor().run(compiled, tz=UTC)
    assert "auth_user" not in str(info.value)


def _raise_db_error(*args):
    raise DatabaseError("boom: SELECT * FROM auth_user")


def test_unsupported_backend_is_a_configuration_error():
    from djai_dsl.executor.core import guard_for

    with pytest.raises(ConfigurationError):
        guard_for(mock.Mock(vendor="oracle"), 100)


# --------------------------------------------------------------------------- SQL


def test_compiled_sql_has_placeholders_and_display_sql_inlines(db):
    queryset = (
        User.objects.filter(first_name="O'Brien", is_staff=True)
        .values(c0=F("username"))
        .order_by("c0")
    )
    compiled = make_query(queryset, [("u", "c0", "string")], [("c0", False)], limit=5, offset=2)
    sql, params = compiled_sql(compiled)
    assert "O'Brien" not in sql and "O'Brien" in params
    assert "%s" in sql and isinstance(params, tuple)
    shown = display_sql(compiled)
    assert "'O''Brien'" in shown and "%s" not in shown
    assert "LIMIT 5" in shown.upper()


def test_compiled_sql_is_what_runs(users):
    compiled = global_aggregate(User.objects.filter(username__startswith="djx0"))
    sql, params = compiled_sql(compiled)
    assert "COUNT(" in sql.upper() and params == ("djx0%",)
    with CaptureQueriesContext(connection) as captured:
        executed = ReadOnlyExecutor().run(compiled, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone()[0] == executed.rows[0][0] == 10
    assert any(sql.split(" FROM ")[0] in q["sql"] for q in captured.captured_queries)
    assert "'djx0%'" in display_sql(compiled)


def test_compiled_sql_of_an_impossible_filter(db):
    compiled = make_query(
        User.objects.filter(pk__in=[]).values(c0=F("username")), [("u", "c0", "string")], []
    )
    assert compiled_sql(compiled) == ("-- no rows can match", ())
    assert ReadOnlyExecutor().run(compiled, tz=UTC).rows == []


def test_display_sql_literals():
    from djai_dsl.executor.sql import _sql_literal

    assert _sql_literal(None) == "NULL"
    assert _sql_literal(False) == "FALSE"
    assert _sql_literal(Decimal("1.50")) == "1.50"
    assert _sql_literal(b"\x01") == "X'01'"
    assert _sql_literal([1, "a"]) == "ARRAY[1, 'a']"
    assert _sql_literal(dt.datetime(2024, 1, 1, 5)) == "'2024-01-01 05:00:00'"
    assert _sql_literal(dt.date(2024, 1, 1)) == "'2024-01-01'"
    assert _sql_literal(uuid.UUID(int=0)) == "'00000000-0000-0000-0000-000000000000'"


def test_result_is_a_plain_dataclass():
    result = Result(
        columns=[], rows=[], truncated=False, next_cursor=None, row_count=0, db_latency_ms=0.0
    )
    assert result.page == 1 and result.as_dict() == {"columns": [], "rows": []}


@pytest.mark.parametrize(
    ("sql", "allowed"),
    [
        ("SELECT 1", True),
        ("  /* c */ (SELECT a FROM t) UNION (SELECT b FROM u)", True),
        ("-- note\nWITH x AS (SELECT 1) SELECT * FROM x", True),
        ("SAVEPOINT `s1_x1`", True),
        ("ROLLBACK TO SAVEPOINT `s1_x1`", True),
        ("RELEASE SAVEPOINT `s1_x1`", True),
        ("ROLLBACK", False),
        ("COMMIT", False),
        ("INSERT INTO t VALUES (1)", False),
        ("CREATE TABLE t (x int)", False),
        ("SELECT * FROM t FOR UPDATE", False),
        ("SELECT * FROM t LOCK IN SHARE MODE", False),
        ("SELECT * INTO OUTFILE '/tmp/x' FROM t", False),
        ("SELECT 1 INTO @v", False),
        ("", False),
    ],
)
def test_mariadb_statement_guard(sql, allowed):
    from djai_dsl.executor.statement_guard import select_only

    execute = mock.Mock(return_value="ran")
    if allowed:
        assert select_only(execute, sql, (), False, {}) == "ran"
    else:
        with pytest.raises(ReadOnlyViolation):
            select_only(execute, sql, (), False, {})
        execute.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_atomic_blocks_inside_read_only_work(users):
    from django.db import transaction

    with read_only(), transaction.atomic():
        assert User.objects.filter(username__startswith="djx").count() == 23


def test_nothing_sorts_after_null_in_descending_order(users):
    order_keys = [("c1", True)]
    queryset = (
        User.objects.filter(username__startswith="djx")
        .values(c0=F("username"), c1=F("last_login"))
        .order_by(*ordering(order_keys))
    )
    compiled = make_query(queryset, USER_COLUMNS, order_keys)
    cursor = signing.dumps(
        {"f": "fp-users", "p": 2, "n": 1, "k": [["n"]]}, salt="djai.cursor", compress=True
    )
    result = ReadOnlyExecutor().run(compiled, tz=UTC, cursor=cursor)
    assert result.rows == [] and result.page == 2 and not result.truncated


def test_negative_offset_is_refused(db):
    with pytest.raises(LimitExceeded):
        ReadOnlyExecutor().run(user_query(USER_KEYS, offset=-1), tz=UTC)


def test_display_sql_without_parameters(db):
    compiled = make_query(
        User.objects.values(c0=F("username")).order_by("c0"), [("u", "c0", "string")], []
    )
    sql, params = compiled_sql(compiled)
    assert params == () and display_sql(compiled) == sql


@pytest.mark.skipif(VENDOR != "sqlite", reason="SQLite's authorizer")
@pytest.mark.django_db
def test_sqlite_functions_that_reach_outside_are_denied():
    with pytest.raises(ReadOnlyViolation), read_only(), connection.cursor() as cursor:
        cursor.execute("SELECT load_extension('/nonexistent')")
