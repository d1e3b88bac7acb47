"""``manage.py djai query`` and ``manage.py djai explain``, through call_command as a user
would run them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from demo.shop.models import Order

pytestmark = pytest.mark.django_db

NOW = "2026-06-15T10:30:00+00:00"


def djai(*args: str) -> str:
    out = StringIO()
    call_command("djai", *args, stdout=out)
    return out.getvalue()


def test_query_prints_explanation_table_and_row_count() -> None:
    out = djai(
        "query",
        "from shop.order group by status aggregate n = count() sort n desc",
        "--now",
        NOW,
        "--tz",
        "Europe/Berlin",
    )
    lines = out.splitlines()
    assert lines[0].startswith("For each status: n = number of orders")
    assert lines[2].split() == ["status", "n"]
    expected = {
        row["status"]: row["n"] for row in Order.objects.values("status").annotate(n=Count("pk"))
    }
    table = {ln.split()[0]: int(ln.split()[1]) for ln in lines[4 : 4 + len(expected)]}
    assert table == expected
    assert f"({len(expected)} rows)" in out


def test_query_json_and_sql() -> None:
    out = djai(
        "query",
        "from shop.order where created_at in last 30 days aggregate revenue = sum(total)",
        "--json",
        "--sql",
        "--now",
        NOW,
        "--tz",
        "Europe/Berlin",
    )
    data = json.loads(out)
    assert data["result"]["columns"] == [{"name": "revenue", "type": "decimal", "label": "revenue"}]
    (revenue,) = data["result"]["rows"][0]
    # The window is 2026-05-17 00:00 to 2026-06-16 00:00 in Berlin (today counts).
    import datetime as dt
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    expected = Order.objects.filter(
        created_at__gte=dt.datetime(2026, 5, 17, tzinfo=berlin),
        created_at__lt=dt.datetime(2026, 6, 16, tzinfo=berlin),
    ).aggregate(s=Sum("total"))["s"]
    assert revenue == f"{expected:.2f}"
    assert (
        data["plan"]
        == "from shop.order\nwhere created_at in last 30 days\naggregate revenue = sum(total)"
    )
    assert "2026-05-17 to 2026-06-15; today counts" in data["explanation"]
    assert data["code"].startswith("SELECT")
    assert data["truncated"] is False and data["next_cursor"] is None


def test_query_pages_with_cursor() -> None:
    text = "from shop.order select id sort id"
    first = json.loads(djai("query", text, "--json", "--page-size", "3", "--now", NOW))
    assert first["truncated"] is True
    second = json.loads(
        djai(
            "query",
            text,
            "--json",
            "--page-size",
            "3",
            "--now",
            NOW,
            "--cursor",
            first["next_cursor"],
        )
    )
    ids = [r[0] for r in first["result"]["rows"] + second["result"]["rows"]]
    assert ids == list(Order.objects.order_by("id").values_list("id", flat=True)[:6])


def test_explain_prints_canonical_dsl_explanation_and_sql_without_running() -> None:
    out = djai("explain", "FROM shop.order WHERE total > 100 AGGREGATE n = count()", "--now", NOW)
    dsl, explanation, sql = out.split("\n\n", 2)
    assert dsl == "from shop.order\nwhere total > 100\naggregate n = count()"
    assert explanation == "Computes n = number of orders over orders where total is more than 100."
    assert sql.startswith("SELECT COUNT(")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("from shop.order wher total > 1", "dsl_syntax_error"),
        ("from shop.order where totl > 1", "plan_invalid"),
        ("from shop.customer select api_token", "plan_invalid"),
        ("from shop.order select id limit 999999999", "limit_exceeded"),
    ],
)
def test_errors_are_typed_command_errors(text: str, code: str) -> None:
    with pytest.raises(CommandError, match=rf"^\[{code}\]"):
        djai("query", text)


def test_query_as_a_user_sees_only_their_models() -> None:
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    out = djai("query", "from shop.order aggregate n = count()", "--user", "clerk", "--now", NOW)
    assert str(Order.objects.count()) in out
    with pytest.raises(CommandError, match=r"^\[plan_invalid\]"):
        djai("query", "from shop.customer aggregate n = count()", "--user", "clerk")
    with pytest.raises(CommandError, match="no user"):
        djai("query", "from shop.order aggregate n = count()", "--user", "nobody")


def test_bad_time_zone_and_now() -> None:
    with pytest.raises(CommandError, match="Unknown time zone"):
        djai("query", "from shop.order aggregate n = count()", "--tz", "Mars/Olympus")
    with pytest.raises(CommandError, match="ISO date-time"):
        djai("query", "from shop.order aggregate n = count()", "--now", "yesterday")
