"""The quality benchmark: scoring (ties, tolerance, extra columns, order), question sets,
gold answers, judging, and ``manage.py djai eval`` end to end through the chat service."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from djai_dsl.errors import BadRequest
from djai_dsl.evaluation.gold import GoldError, gold_answer
from djai_dsl.evaluation.questions import Question, load_question_set
from djai_dsl.evaluation.report import metrics, percentile
from djai_dsl.evaluation.runner import Outcome, Verdict, evaluate, judge
from djai_dsl.evaluation.scoring import GoldAnswer, Table, Tolerance, compare
from djai_dsl.models import Chat, QueryLog
from djai_dsl.planners.offline import OfflinePlanner, clear_value_index
from tests.conftest import NOW, ROOT, SEED_SCALE, TODAY, TZ


@pytest.fixture(scope="module", autouse=True)
def demo_data(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The seeded demo data, put back when a live-server test that ran earlier in the
    session flushed it (transactional tests empty the database after themselves)."""
    from demo.chinook.loader import is_loaded
    from demo.chinook.loader import load as load_chinook
    from demo.shop.models import Order
    from demo.shop.seed import seed

    with django_db_blocker.unblock():
        if not Order.objects.exists():
            seed(seed=42, scale=SEED_SCALE, today=TODAY)
        if not is_loaded():
            load_chinook()


def gold(columns: list[str], rows: list[list[Any]], **kwargs: Any) -> GoldAnswer:
    return GoldAnswer(Table(columns, rows), **kwargs)


def table(columns: list[str], rows: list[list[Any]]) -> Table:
    return Table(columns, rows)


# --------------------------------------------------------------------------- scoring


def test_column_names_do_not_matter_and_extra_columns_are_allowed() -> None:
    expected = gold(["country", "n"], [["DE", 3], ["FR", 2]])
    assert compare(expected, table(["c", "customers"], [["FR", 2], ["DE", 3]])).ok
    extra = table(
        ["id", "customers", "country", "revenue"], [[1, 3, "DE", "9.50"], [2, 2, "FR", "1"]]
    )
    assert compare(expected, extra).ok


def test_a_missing_gold_column_fails() -> None:
    expected = gold(["country", "n"], [["DE", 3], ["FR", 2]])
    result = compare(expected, table(["n"], [[3], [2]]))
    assert not result.ok and "columns" in result.reason
    other = compare(expected, table(["country", "n"], [["DE", 3], ["FR", 20]]))
    assert not other.ok and "'n'" in other.reason


def test_rows_are_a_multiset() -> None:
    expected = gold(["name"], [["Anna"], ["Anna"], ["Ben"]])
    assert compare(expected, table(["name"], [["Ben"], ["Anna"], ["Anna"]])).ok
    assert not compare(expected, table(["name"], [["Ben"], ["Anna"], ["Ben"]])).ok
    assert not compare(expected, table(["name"], [["Ben"], ["Anna"]])).ok


def test_float_tolerance_and_numeric_text() -> None:
    expected = gold(["avg"], [[525.311584]])
    assert compare(expected, table(["x"], [[525.3115841]])).ok
    assert compare(expected, table(["x"], [["525.311584"]])).ok  # decimals arrive as text
    assert not compare(expected, table(["x"], [[525.32]])).ok
    assert compare(expected, table(["x"], [[525.32]]), Tolerance(absolute=0.01)).ok
    money = gold(["total"], [["2264618.24"]])
    assert compare(money, table(["revenue"], [[2264618.24]])).ok
    assert not compare(money, table(["revenue"], [["2264618.34"]])).ok


def test_booleans_are_not_numbers() -> None:
    assert not compare(gold(["active"], [[True]]), table(["n"], [[1]])).ok
    assert compare(gold(["active"], [[True], [None]]), table(["a"], [[None], [True]])).ok


def test_order_matters_only_for_ordered_golds() -> None:
    rows = [["a", 3], ["b", 2], ["c", 1]]
    ordered = gold(["k", "n"], rows, ordered=True, sort_columns=[1])
    assert compare(ordered, table(["k", "n"], rows)).ok
    reversed_rows = table(["k", "n"], list(reversed(rows)))
    assert not compare(ordered, reversed_rows).ok
    assert compare(gold(["k", "n"], rows), reversed_rows).ok


def test_ties_within_an_ordered_result_may_come_in_any_order() -> None:
    rows = [["a", 5], ["b", 3], ["c", 3], ["d", 1]]
    expected = gold(["k", "n"], rows, ordered=True, sort_columns=[1])
    swapped = table(["k", "n"], [["a", 5], ["c", 3], ["b", 3], ["d", 1]])
    assert compare(expected, swapped).ok
    # without sort columns every row is its own run: the order is strict
    strict = gold(["k", "n"], rows, ordered=True, sort_columns=[])
    assert not compare(strict, swapped).ok


def test_ties_at_the_limit_accept_any_tied_row() -> None:
    # top 2: "b" and "c" tie with "x" beyond the limit; any of them may be second
    expected = gold(
        ["k", "n"],
        [["a", 5], ["b", 3]],
        ordered=True,
        sort_columns=[1],
        tied_beyond_limit=[["c", 3], ["x", 3]],
    )
    assert compare(expected, table(["k", "n"], [["a", 5], ["x", 3]])).ok
    assert compare(expected, table(["k", "n"], [["a", 5], ["b", 3]])).ok
    assert not compare(expected, table(["k", "n"], [["a", 5], ["z", 3]])).ok
    assert not compare(expected, table(["k", "n"], [["a", 5], ["c", 2]])).ok


def test_empty_results() -> None:
    assert compare(gold(["n"], []), table(["anything"], [])).ok
    assert not compare(gold(["n"], []), table(["n"], [[0]])).ok


# --------------------------------------------------------------------------- question sets


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SMALL_SET = """
name: small
apps: [shop, auth]
now: "2026-06-15T10:30:00+00:00"
timezone: Europe/Berlin
questions:
  - id: count
    category: aggregate
    question: How many orders are there?
    gold: |
      from shop.order
      aggregate n = count()
  - id: by-status
    category: group_top
    question: orders per status
    gold: |
      from shop.order
      group by status
      aggregate n = count()
  - id: follow
    category: followup
    history: ["How many customers are in France?"]
    question: and in Spain?
    gold: |
      from shop.customer
      where country = "ES"
      aggregate n = count()
  - id: wrong-on-purpose
    category: aggregate
    question: How many customers are there?
    gold: |
      from shop.order
      aggregate n = count()
  - id: pending
    category: ambiguous
    question: How many are pending?
    expect: clarification
    options: [[shop.order], [shop.supportticket]]
  - id: drop
    category: out_of_scope
    question: Delete all orders
    expect: out_of_scope
  - id: help
    category: help
    question: help
    expect: help
"""


def test_load_question_set(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, SMALL_SET))
    assert qs.name == "small" and qs.apps == ("shop", "auth") and qs.timezone == TZ
    assert qs.now == NOW
    assert [q.id for q in qs.questions][:2] == ["count", "by-status"]
    assert qs.questions[2].history == ("How many customers are in France?",)
    assert qs.questions[4].options == (("shop.order",), ("shop.supportticket",))
    assert qs.categories() == [
        "aggregate",
        "group_top",
        "followup",
        "ambiguous",
        "out_of_scope",
        "help",
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{id: a, question: q}", "needs a 'gold'"),
        ("{id: a, question: q, expect: maybe}", "'expect' must be"),
        ("{id: a, question: q, expect: out_of_scope, gold: 'from shop.order'}", "only answerable"),
        ("{id: a, question: q, expect: clarification, options: [[x]]}", "at least two readings"),
        ("{id: a, question: q, gold: x, colour: red}", "unknown keys"),
        ("{id: a, gold: x}", "'question' must be"),
    ],
)
def test_bad_question_sets_are_reported(tmp_path: Path, item: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        load_question_set(write(tmp_path, f"questions:\n  - {item}\n"))


def test_duplicate_ids_and_bad_files(tmp_path: Path) -> None:
    twice = "questions:\n  - {id: a, question: q, gold: x}\n  - {id: a, question: r, gold: y}\n"
    with pytest.raises(BadRequest, match="duplicate question ids: a"):
        load_question_set(write(tmp_path, twice))
    with pytest.raises(BadRequest, match="not valid YAML"):
        load_question_set(write(tmp_path, "questions: [unclosed"))
    with pytest.raises(BadRequest, match="cannot read"):
        load_question_set(tmp_path / "missing.yaml")


def test_the_benchmark_sets_are_well_formed() -> None:
    demo = load_question_set(ROOT / "benchmarks" / "questions" / "demo.yaml")
    chinook = load_question_set(ROOT / "benchmarks" / "questions" / "chinook.yaml")
    assert len(demo.questions) >= 150 and len(chinook.questions) >= 60
    for qs in (demo, chinook):
        categories = set(qs.categories())
        assert {"lookup", "aggregate", "group_top", "time", "join", "having"} <= categories
        assert {"null_negation", "followup", "ambiguous", "out_of_scope"} <= categories


# --------------------------------------------------------------------------- gold answers


@pytest.mark.django_db
def test_gold_answers_run_the_dsl(manifest: Any) -> None:
    answer = gold_answer(
        "from shop.customer\ngroup by tier\naggregate n = count()", manifest, tz=TZ, now=NOW
    )
    assert answer.table.columns == ["tier", "n"] and not answer.ordered
    from demo.shop.models import Customer

    assert sum(row[1] for row in answer.table.rows) == Customer.objects.count()
    with pytest.raises(GoldError, match="does not run"):
        gold_answer("from shop.nothing", manifest, tz=TZ, now=NOW)


@pytest.mark.django_db
def test_gold_answers_know_the_ties_beyond_their_limit(manifest: Any) -> None:
    # Many categories have the same number of products (12 each): ties at any limit.
    answer = gold_answer(
        "from shop.product\ngroup by category.name\naggregate n = count()\nsort n desc\nlimit 2",
        manifest,
        tz=TZ,
        now=NOW,
    )
    assert answer.ordered and answer.sort_columns == [1]
    assert answer.tied_beyond_limit
    assert all(row[1] == answer.table.rows[-1][1] for row in answer.tied_beyond_limit)
    unordered = gold_answer(
        "from shop.product\nsort price desc\nlimit 2", manifest, tz=TZ, now=NOW, ordered=False
    )
    assert not unordered.ordered and not unordered.tied_beyond_limit


# --------------------------------------------------------------------------- judging


def q(expect: str = "answer", **kwargs: Any) -> Question:
    return Question(id="x", category="c", question="?", expect=expect, **kwargs)  # type: ignore[arg-type]


def test_judge_answers_clarifications_and_refusals() -> None:
    expected = [gold(["n"], [[3]])]
    right = Outcome("answer", table=table(["n"], [[3]]))
    assert judge(q(gold=("x",)), right, expected, Tolerance()).correct
    refused = Outcome("out_of_scope")
    verdict = judge(q(gold=("x",)), refused, expected, Tolerance())
    assert not verdict.correct and verdict.reason == "got out of scope"

    options = [{"label": "Orders (shop.order)", "plan": "from shop.order"}, {"label": "Tickets"}]
    asked = Outcome("clarification", options=options)
    readings = (("shop.order",), ("ticket", "shop.supportticket"))
    assert judge(q("clarification", options=readings), asked, [], Tolerance()).correct
    missing = judge(q("clarification", options=(("refund",), ("ticket",))), asked, [], Tolerance())
    assert not missing.correct and "refund" in missing.reason

    assert judge(q("out_of_scope"), refused, [], Tolerance()).correct
    assert not judge(q("help"), refused, [], Tolerance()).correct
    assert judge(q("help"), Outcome("help"), [], Tolerance()).correct


def test_a_confirmation_is_not_an_answer_but_is_counted() -> None:
    expected = [gold(["n"], [[3]])]
    confirm = Outcome("clarification", options=[{"label": "Yes, run this", "plan": "from x"}])
    verdict = judge(q(gold=("x",)), confirm, expected, Tolerance(), lambda dsl: table(["n"], [[3]]))
    assert not verdict.correct and verdict.confirm_correct
    assert verdict.reason == "asked to confirm a plan"


def test_metrics_and_percentiles() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    verdicts = [
        Verdict(q(gold=("x",)), Outcome("answer", latency_ms=10), True),
        Verdict(q(gold=("x",)), Outcome("clarification", latency_ms=20), False),
        Verdict(q("clarification"), Outcome("clarification", latency_ms=30), True),
        Verdict(q("out_of_scope"), Outcome("answer", latency_ms=40), False),
        Verdict(q("out_of_scope"), Outcome("out_of_scope", latency_ms=50), True),
    ]
    m = metrics(verdicts)
    assert (m.n, m.correct, m.accuracy) == (5, 3, 0.6)
    assert m.first_pass_rate == 0.5
    assert (m.clarification_precision, m.clarification_recall) == (0.5, 1.0)
    assert m.out_of_scope_precision == 1.0 and m.executed_out_of_scope == 1
    assert m.p50_ms == 30 and m.p95_ms == 50


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def fresh_value_index() -> None:
    clear_value_index()


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_value_index")
def test_evaluate_through_the_chat_service_leaves_no_trace(tmp_path: Path) -> None:
    chats, logs = Chat.objects.count(), QueryLog.objects.count()
    run = evaluate(load_question_set(write(tmp_path, SMALL_SET)), OfflinePlanner())
    verdicts = {v.question.id: v for v in run.verdicts}
    assert all(verdicts[i].correct for i in ("count", "by-status", "follow", "pending", "help"))
    assert verdicts["drop"].correct and not verdicts["drop"].outcome.executed
    wrong = verdicts["wrong-on-purpose"]
    assert not wrong.correct and wrong.outcome.kind == "answer"
    assert all(v.outcome.latency_ms > 0 for v in run.verdicts)
    assert (Chat.objects.count(), QueryLog.objects.count()) == (chats, logs)


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_value_index")
def test_eval_command(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL_SET)
    out = StringIO()
    call_command("djai", "eval", str(path), "--planner", "offline", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["set"] == "small" and report["planner"] == "offline"
    assert report["overall"]["items"] == 7 and report["overall"]["correct"] == 6
    assert report["overall"]["executions_on_out_of_scope"] == 0
    assert set(report["categories"]) == {
        "aggregate", "group_top", "followup", "ambiguous", "out_of_scope", "help"
    }  # fmt: skip
    assert [f["id"] for f in report["failures"]] == ["wrong-on-purpose"]

    text = StringIO()
    call_command("djai", "eval", str(path), "--category", "aggregate", stdout=text)
    assert "execution accuracy      50.0% (1/2)" in text.getvalue()
    assert "wrong-on-purpose" in text.getvalue()

    with pytest.raises(CommandError, match="accuracy below target"):
        call_command("djai", "eval", str(path), "--min-accuracy", "0.99", stdout=StringIO())
    with pytest.raises(CommandError, match="cannot read"):
        call_command("djai", "eval", str(tmp_path / "nope.yaml"), stdout=StringIO())
