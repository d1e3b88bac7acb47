"""``manage.py djai run-plan``: a QueryPlan as JSON in, rows out, typed errors by code."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from djai_dsl.grammar import parse

pytestmark = pytest.mark.django_db

NOW = "2026-06-15T10:30:00+00:00"

ORDERS_BY_STATUS = {
    "source": "shop.order",
    "group_by": [{"field": "status"}],
    "aggregates": [{"kind": "aggregate", "name": "orders", "func": "count"}],
    "sort": [{"key": "orders", "descending": True}],
}


def run(*args: str, stdin: str | None = None, monkeypatch: Any = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("djai", "run-plan", *args, "--now", NOW, stdout=out)
    return out.getvalue()


@pytest.fixture
def plan_file(tmp_path):  # type: ignore[no-untyped-def]
    def write(data: Any, name: str = "plan.json") -> str:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)

    return write


def test_runs_a_plan_file_and_prints_a_table(plan_file):
    text = run(plan_file(ORDERS_BY_STATUS))
    assert text.startswith(
        "from shop.order\ngroup by status\naggregate orders = count()\nsort orders desc\n"
    )
    lines = text.splitlines()
    assert lines[4] == ""
    assert lines[5].startswith("For each status: orders = number of orders")
    assert lines[7].split() == ["status", "orders"]
    assert "delivered" in text
    assert text.rstrip().endswith("(6 rows)")


def test_json_output_matches_the_query_command(plan_file):
    data = json.loads(run(plan_file(ORDERS_BY_STATUS), "--json", "--sql"))
    assert [c["name"] for c in data["result"]["columns"]] == ["status", "orders"]
    counts = [row[1] for row in data["result"]["rows"]]
    assert counts == sorted(counts, reverse=True) and sum(counts) > 0
    assert data["truncated"] is False
    assert data["plan"].startswith("from shop.order")
    assert "SELECT" in data["code"].upper()

    dsl = "from shop.order group by status aggregate orders = count() sort orders desc"
    out = io.StringIO()
    call_command("djai", "query", dsl, "--json", "--now", NOW, stdout=out)
    assert json.loads(out.getvalue())["result"] == data["result"]


def test_reads_stdin(monkeypatch):
    plan = parse("from shop.customer aggregate customers = count()").model_dump(mode="json")
    data = json.loads(run("-", "--json", stdin=json.dumps(plan), monkeypatch=monkeypatch))
    assert data["result"]["rows"][0][0] > 0


def test_not_json_is_bad_request(plan_file):
    with pytest.raises(
        CommandError, match=r"^\[bad_request\] line 1, column 2: The plan is not JSON"
    ):
        run(plan_file("{source: shop.order}"))


def test_wrong_shape_is_plan_invalid(plan_file):
    with pytest.raises(CommandError, match=r"\[plan_invalid\] source: Field required"):
        run(plan_file({"aggregates": []}))
    with pytest.raises(CommandError, match=r"\[plan_invalid\].*(sql|Extra inputs)"):
        run(plan_file({**ORDERS_BY_STATUS, "sql": "DELETE FROM shop_order"}))


def test_unknown_field_is_plan_invalid_with_a_suggestion(plan_file):
    bad = {**ORDERS_BY_STATUS, "group_by": [{"field": "stauts"}]}
    with pytest.raises(CommandError, match=r"\[plan_invalid\].*did you mean 'status'"):
        run(plan_file(bad))


def test_limit_over_the_maximum(plan_file):
    with pytest.raises(CommandError, match=r"\[limit_exceeded\]"):
        run(plan_file({"source": "shop.order", "limit": 10**9}))


def test_json_errors_are_a_document_on_stdout(plan_file):
    out = io.StringIO()
    bad = {**ORDERS_BY_STATUS, "group_by": [{"field": "stauts"}]}
    with pytest.raises(CommandError):
        call_command("djai", "run-plan", plan_file(bad), "--json", stdout=out)
    error = json.loads(out.getvalue())
    assert error["type"] == "error"
    assert error["data"]["error_code"] == "plan_invalid"
    assert error["data"]["retryable"] is False


def test_users_see_only_their_models(plan_file, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    assert "delivered" in run(plan_file(ORDERS_BY_STATUS), "--user", "clerk")
    customers = {"source": "shop.customer", "aggregates": [ORDERS_BY_STATUS["aggregates"][0]]}
    with pytest.raises(CommandError, match=r"\[plan_invalid\]"):
        run(plan_file(customers), "--user", "clerk")


def test_missing_file():
    with pytest.raises(CommandError, match=r"\[bad_request\] cannot read"):
        run("/nonexistent/plan.json")
