"""Gold answers written as SQL: loading, running read-only on the current backend, ties,
several acceptable outcomes, items asked per dataset, and the two sets written with them
(benchmarks/questions/analytics.yaml and trust.yaml): every gold runs here and has rows.

Runs on whichever backend DJAI_TEST_DB selects; CI runs it on SQLite, PostgreSQL and
MariaDB, and the digest snapshot below is shared by all three, so a per-backend variant
that computes a different number fails somewhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from djai_dsl.errors import BadRequest
from djai_dsl.evaluation.gold import GoldError, gold_answer
from djai_dsl.evaluation.questions import Question, SqlGold, load_question_set
from djai_dsl.evaluation.runner import Outcome, evaluate, judge
from djai_dsl.evaluation.scoring import GoldAnswer, Table, Tolerance, compare
from djai_dsl.evaluation.sql_gold import backend_key, sql_gold_answer
from djai_dsl.planners.offline import OfflinePlanner, clear_value_index
from tests.conftest import BACKEND, NOW, ROOT, SEED_SCALE, TODAY

UTC = ZoneInfo("UTC")
QUESTIONS = ROOT / "benchmarks" / "questions"
NEW_SETS = ("analytics.yaml", "trust.yaml")


@pytest.fixture(scope="module", autouse=True)
def demo_data(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The seeded demo data, put back when a live-server test that ran earlier in the
    session flushed it."""
    from demo.chinook.loader import is_loaded
    from demo.chinook.loader import load as load_chinook
    from demo.shop.models import Order
    from demo.shop.seed import seed

    with django_db_blocker.unblock():
        if not Order.objects.exists():
            seed(seed=42, scale=SEED_SCALE, today=TODAY)
        if not is_loaded():
            load_chinook()


def sql(text: str | dict[str, str]) -> SqlGold:
    texts = text if isinstance(text, dict) else {"default": text}
    return SqlGold(tuple(texts.items()))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- loading


SQL_SET = """
name: sql
now: "2026-06-15T10:30:00+00:00"
timezone: UTC
datasets: {shop: [shop, auth], chinook: [chinook]}
questions:
  - id: plain
    question: How many orders are there?
    dataset: shop
    ordered: false
    gold_sql: SELECT COUNT(*) AS n FROM shop_order
  - id: per-backend
    question: orders per status, most first
    ordered: true
    sort_keys: [n]
    limit: 2
    gold_sql:
      default: SELECT status, COUNT(*) AS n FROM shop_order GROUP BY status ORDER BY n DESC
      sqlite: SELECT status, COUNT(*) AS n FROM shop_order GROUP BY 1 ORDER BY n DESC
    accept_sql:
      - SELECT status, COUNT(id) AS n FROM shop_order GROUP BY status ORDER BY n DESC
  - id: either
    question: median order total
    expect: [out_of_scope, answer]
    names: [[median]]
    ordered: false
    gold_sql: SELECT 1 AS x
"""


def test_sql_gold_items_load(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, SQL_SET))
    plain, per_backend, either = qs.questions
    assert qs.has_sql_gold and qs.datasets == {"shop": ("shop", "auth"), "chinook": ("chinook",)}
    assert plain.gold_sql[0].for_backend("postgres") == "SELECT COUNT(*) AS n FROM shop_order"
    assert plain.ordered is False and plain.dataset == "shop" and plain.apps == ("shop", "auth")
    assert per_backend.apps is None  # no dataset: the set's apps
    assert len(per_backend.gold_sql) == 2
    assert "GROUP BY 1" in per_backend.gold_sql[0].for_backend("sqlite")
    assert "GROUP BY status" in per_backend.gold_sql[0].for_backend("mariadb")
    assert (per_backend.sort_keys, per_backend.limit) == (("n",), 2)
    assert either.expect == "out_of_scope" and either.expectations == ("out_of_scope", "answer")
    assert either.names == (("median",),)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{id: a, question: q, gold_sql: SELECT 1}", "says whether order matters"),
        ("{id: a, question: q, ordered: true, gold_sql: SELECT 1}", "names its 'sort_keys'"),
        ("{id: a, question: q, ordered: false, limit: 3, gold_sql: SELECT 1}", "ordered gold"),
        (
            "{id: a, question: q, ordered: true, sort_keys: [x], limit: 0, gold_sql: SELECT 1}",
            "positive whole number",
        ),
        ("{id: a, question: q, ordered: maybe, gold_sql: SELECT 1}", "true or false"),
        ("{id: a, question: q, ordered: false, gold_sql: {oracle: SELECT 1}}", "unknown SQL"),
        ("{id: a, question: q, ordered: false, gold_sql: {sqlite: ''}}", "SQL text or a mapping"),
        ("{id: a, question: q, gold: x, accept_sql: [SELECT 1]}", "needs a 'gold_sql'"),
        ("{id: a, question: q, gold: x, limit: 3}", "belong to a 'gold_sql'"),
        ("{id: a, question: q, expect: [answer, answer], gold: x}", "'expect' must be"),
        ("{id: a, question: q, expect: [], gold: x}", "'expect' must be"),
        ("{id: a, question: q, expect: out_of_scope, ordered: false, gold_sql: x}", "only answer"),
        ("{id: a, question: q, dataset: music, gold: x}", "unknown dataset 'music'"),
    ],
)
def test_bad_sql_gold_items_are_reported(tmp_path: Path, item: str, message: str) -> None:
    head = 'now: "2026-06-15T10:30:00+00:00"\ndatasets: {shop: [shop]}\n'
    with pytest.raises(BadRequest, match=message):
        load_question_set(write(tmp_path, f"{head}questions:\n  - {item}\n"))


def test_a_set_with_sql_golds_needs_its_own_clock(tmp_path: Path) -> None:
    text = "questions:\n  - {id: a, question: q, ordered: false, gold_sql: SELECT 1}\n"
    with pytest.raises(BadRequest, match="needs a fixed 'now'"):
        load_question_set(write(tmp_path, text))


# --------------------------------------------------------------------------- running


@pytest.mark.django_db
def test_the_backends_own_variant_runs_else_the_default() -> None:
    here = backend_key()
    assert here == BACKEND
    other = next(b for b in ("sqlite", "postgres", "mariadb") if b != here)
    mine = sql({"default": "SELECT 'default' AS v", here: f"SELECT '{here}' AS v"})
    assert sql_gold_answer(mine, tz=UTC, ordered=False).table.rows == [[here]]
    theirs = sql({"default": "SELECT 'default' AS v", other: "SELECT 'other' AS v"})
    assert sql_gold_answer(theirs, tz=UTC, ordered=False).table.rows == [["default"]]
    with pytest.raises(GoldError, match=f"no variant for {here}"):
        sql_gold_answer(sql({other: "SELECT 1"}), tz=UTC, ordered=False)


@pytest.mark.django_db
def test_sql_and_dsl_golds_of_one_question_compare_equal(manifest: Any) -> None:
    """Values are normalised the way answers are: a SQL gold matches the rows the executor
    returns for the same question (decimals, dates, months)."""
    pairs = [
        (
            "SELECT status, COUNT(*) AS n, SUM(total) AS revenue FROM shop_order GROUP BY status",
            "from shop.order\ngroup by status\naggregate n = count(), revenue = sum(total)",
        ),
        (
            {
                "sqlite": "SELECT strftime('%Y-%m-01', created_at) AS m, COUNT(*) AS n "
                "FROM shop_order WHERE created_at >= '2025-01-01 00:00:00' "
                "AND created_at < '2026-01-01 00:00:00' GROUP BY 1",
                "postgres": "SELECT to_char(created_at, 'YYYY-MM-01') AS m, COUNT(*) AS n "
                "FROM shop_order WHERE created_at >= '2025-01-01 00:00:00' "
                "AND created_at < '2026-01-01 00:00:00' GROUP BY 1",
                "mariadb": "SELECT DATE_FORMAT(created_at, '%Y-%m-01') AS m, COUNT(*) AS n "
                "FROM shop_order WHERE created_at >= '2025-01-01 00:00:00' "
                "AND created_at < '2026-01-01 00:00:00' GROUP BY 1",
            },
            "from shop.order\nwhere created_at in 2025\ngroup by created_at by month\n"
            "aggregate n = count()",
        ),
        (
            "SELECT name, signed_up_at, city FROM shop_customer WHERE country = 'FR'",
            'from shop.customer\nwhere country = "FR"\nselect name, signed_up_at, city',
        ),
    ]
    for text, dsl in pairs:
        expected = sql_gold_answer(sql(text), tz=UTC, ordered=False)
        answer = gold_answer(dsl, manifest, tz=UTC, now=NOW)
        assert expected.table.rows
        assert compare(expected, answer.table).ok, (text, expected.table.rows[:3])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM shop_refund",
        "UPDATE shop_order SET total = 0",
        "INSERT INTO auth_group (name) VALUES ('gold')",
        "DROP TABLE shop_refund",
    ],
)
def test_a_gold_can_never_write(statement: str) -> None:
    from django.contrib.auth.models import Group

    from demo.shop.models import Order, Refund

    before = (
        Refund.objects.count(),
        Group.objects.count(),
        sorted(Order.objects.values_list("total", flat=True))[:5],
    )
    with pytest.raises(GoldError, match="does not run"):
        sql_gold_answer(sql(statement), tz=UTC, ordered=False)
    after = (
        Refund.objects.count(),
        Group.objects.count(),
        sorted(Order.objects.values_list("total", flat=True))[:5],
    )
    assert after == before


SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 300000000) SELECT count(*) AS n FROM c",
    "postgres": "SELECT pg_sleep(5) IS NULL AS slept",
    "mariadb": "SELECT SLEEP(5) AS slept",
}


@pytest.mark.django_db
def test_a_gold_runs_under_the_statement_timeout(settings: Any) -> None:
    settings.DJAI = {"STATEMENT_TIMEOUT_MS": 300}
    began = time.monotonic()
    with pytest.raises(GoldError, match="300 ms"):
        sql_gold_answer(sql(SLOW), tz=UTC, ordered=False)
    assert time.monotonic() - began < 2.5


@pytest.mark.django_db
def test_a_limit_keeps_the_first_rows_and_knows_their_ties() -> None:
    # Every leaf category has 12 products: a top 2 ties with all the others.
    text = (
        "SELECT category_id, COUNT(*) AS n FROM shop_product GROUP BY category_id "
        "ORDER BY n DESC, category_id"
    )
    answer = sql_gold_answer(sql(text), tz=UTC, ordered=True, sort_keys=("n",), limit=2)
    assert len(answer.table.rows) == 2 and answer.ordered and answer.sort_columns == [1]
    assert len(answer.tied_beyond_limit) == 13
    other_two = Table(["c", "n"], [row[:] for row in answer.tied_beyond_limit[-2:]])
    assert compare(answer, other_two).ok  # any two of the tied categories answer it
    with pytest.raises(GoldError, match="sort keys"):
        sql_gold_answer(sql(text), tz=UTC, ordered=True, sort_keys=("count",), limit=2)


@pytest.mark.django_db
def test_a_gold_with_too_many_rows_is_refused(settings: Any) -> None:
    settings.DJAI = {"MAX_PAGE_SIZE": 10}
    with pytest.raises(GoldError, match="more than 10 rows"):
        sql_gold_answer(sql("SELECT id FROM shop_order"), tz=UTC, ordered=False)


@pytest.mark.django_db
def test_the_database_message_says_what_is_wrong_with_a_gold() -> None:
    with pytest.raises(GoldError, match="no_such_table"):
        sql_gold_answer(sql("SELECT x FROM no_such_table"), tz=UTC, ordered=False)


# --------------------------------------------------------------------------- judging


def q(expect: Any = "answer", **kwargs: Any) -> Question:
    expectations = expect if isinstance(expect, tuple) else (expect,)
    return Question(
        id="x",
        category="c",
        question="?",
        expect=expectations[0],
        also_expect=expectations[1:],
        **kwargs,
    )


def test_any_listed_outcome_is_right_and_refusals_name_what_is_missing() -> None:
    golds = [GoldAnswer(Table(["median"], [[193.99]]))]
    item = q(("out_of_scope", "answer"), gold_sql=(sql("SELECT 1"),), names=(("median",),))
    named = Outcome("out_of_scope", message="djai cannot compute a median yet.")
    assert judge(item, named, golds, Tolerance()).correct
    vague = Outcome("out_of_scope", message="I cannot answer that.")
    verdict = judge(item, vague, golds, Tolerance())
    assert not verdict.correct and "does not name 'median'" in verdict.reason
    right = Outcome("answer", table=Table(["m"], [["193.99"]]))
    assert judge(item, right, golds, Tolerance()).correct
    wrong = Outcome("answer", table=Table(["m"], [[200]]))
    assert not judge(item, wrong, golds, Tolerance()).correct

    asks = q(("out_of_scope", "clarification"), names=(("margin", "cost"),))
    clarified = Outcome(
        "clarification", options=[{"label": "There is no cost price; show prices instead?"}]
    )
    assert judge(asks, clarified, [], Tolerance()).correct
    assert not judge(asks, Outcome("answer", table=Table(["x"], [[1]])), [], Tolerance()).correct


def test_a_month_bucket_equals_the_date_sql_writes_for_it() -> None:
    gold = GoldAnswer(Table(["month", "n"], [["2026-05-01", 3], ["2026-04-01", 2]]))
    buckets = Table(
        ["m", "n"], [["2026-04-01T00:00:00+00:00", 2], ["2026-05-01T00:00:00+02:00", 3]]
    )
    assert compare(gold, buckets).ok
    not_midnight = Table(["m", "n"], [["2026-04-01T10:00:00+00:00", 2], ["2026-05-01", 3]])
    assert not compare(gold, not_midnight).ok


# --------------------------------------------------------------------------- end to end


SMALL_SQL_SET = """
name: small-sql
now: "2026-06-15T10:30:00+00:00"
timezone: UTC
apps: [shop, auth, chinook]
datasets: {shop: [shop, auth], chinook: [chinook], both: [shop, auth, chinook]}
questions:
  - id: shop-customers
    dataset: shop
    question: How many customers are there?
    ordered: false
    gold_sql: SELECT COUNT(*) AS n FROM shop_customer
  - id: music-customers
    dataset: chinook
    question: How many customers are there?
    ordered: false
    gold_sql: SELECT COUNT(*) AS n FROM chinook_customer
  - id: which-customers
    dataset: both
    question: How many customers are there?
    expect: clarification
    options: [[shop.customer], [chinook.customer]]
  - id: wrong-on-purpose
    dataset: shop
    question: How many orders are there?
    ordered: false
    gold_sql: SELECT COUNT(*) + 1 AS n FROM shop_order
"""


@pytest.fixture
def fresh_value_index() -> None:
    clear_value_index()


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_value_index")
def test_evaluate_scores_against_sql_golds_asking_per_dataset(tmp_path: Path) -> None:
    run = evaluate(load_question_set(write(tmp_path, SMALL_SQL_SET)), OfflinePlanner())
    verdicts = {v.question.id: v for v in run.verdicts}
    # The same words, asked by users who see one dataset each, get each dataset's count;
    # asked by a user who sees both, they need a clarification.
    assert verdicts["shop-customers"].correct and verdicts["music-customers"].correct
    assert verdicts["which-customers"].correct
    wrong = verdicts["wrong-on-purpose"]
    assert not wrong.correct and wrong.outcome.kind == "answer"


@pytest.mark.django_db
def test_a_sql_gold_set_refuses_another_clock(tmp_path: Path) -> None:
    question_set = load_question_set(write(tmp_path, SMALL_SQL_SET))
    with pytest.raises(BadRequest, match="written for now"):
        evaluate(
            question_set, OfflinePlanner(), now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        )
    with pytest.raises(BadRequest, match="time zone UTC"):
        evaluate(question_set, OfflinePlanner(), tz_name="Europe/Berlin")


# --------------------------------------------------------------------------- the sets


def sql_golds() -> list[Any]:
    out = []
    for name in NEW_SETS:
        for item in load_question_set(QUESTIONS / name).questions:
            for k, gold in enumerate(item.gold_sql):
                out.append(pytest.param(item, gold, id=f"{name.split('.')[0]}-{item.id}-{k}"))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize(("item", "gold"), sql_golds())
def test_every_sql_gold_runs_here_and_has_rows(item: Question, gold: SqlGold) -> None:
    answer = sql_gold_answer(
        gold, tz=UTC, ordered=bool(item.ordered), sort_keys=item.sort_keys, limit=item.limit
    )
    assert answer.table.rows, f"{item.id}: no rows on the test seed"
    assert any(v is not None for row in answer.table.rows for v in row), item.id
    if item.limit is not None:
        assert len(answer.table.rows) <= item.limit


def digest(answer: GoldAnswer) -> str:
    """Rows in a canonical order, numbers to 6 decimal places (floats come normalised to 6
    places, exact decimals do not), hashed: the same on every backend when the
    per-backend variants compute the same thing."""

    def cell(value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return value
        try:
            return format(round(float(value), 6) + 0.0, ".6f")
        except (TypeError, ValueError):
            return value

    rows = sorted(json.dumps([cell(v) for v in row]) for row in answer.table.rows)
    ties = sorted(json.dumps([cell(v) for v in row]) for row in answer.tied_beyond_limit)
    text = json.dumps([rows, ties])
    return f"{len(rows)} rows, {len(ties)} ties, {hashlib.sha256(text.encode()).hexdigest()[:16]}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", NEW_SETS)
def test_sql_golds_give_the_same_rows_on_every_backend(name: str, snapshot_common: Any) -> None:
    digests = {}
    for item in load_question_set(QUESTIONS / name).questions:
        for k, gold in enumerate(item.gold_sql):
            answer = sql_gold_answer(
                gold, tz=UTC, ordered=bool(item.ordered), sort_keys=item.sort_keys, limit=item.limit
            )
            digests[f"{item.id}#{k}"] = digest(answer)
    assert digests == snapshot_common


ISSUE_14_CATEGORIES = {
    "row_arithmetic", "date_parts", "date_difference", "coalesce", "field_vs_field",
    "vs_aggregate", "share_of_total", "windows", "statistics", "count_distinct",
    "case_insensitive", "calendar_range", "group_by_record", "ties_at_limit",
}  # fmt: skip
TRUST_CATEGORIES = {
    "windowed_ranking", "age_condition", "measure_elsewhere", "several_dimensions",
    "sort_words", "currency_threshold", "named_entity", "cannot_answer", "ambiguous",
    "followup",
}  # fmt: skip


def test_the_new_sets_are_well_formed() -> None:
    analytics = load_question_set(QUESTIONS / "analytics.yaml")
    trust = load_question_set(QUESTIONS / "trust.yaml")
    for qs, categories in ((analytics, ISSUE_14_CATEGORIES), (trust, TRUST_CATEGORIES)):
        assert len(qs.questions) >= 60
        assert categories <= set(qs.categories())
        assert qs.timezone == UTC and qs.now == NOW
        assert all(item.dataset in qs.datasets for item in qs.questions)
        assert all(item.gold_sql for item in qs.questions if "answer" in item.expectations)
        assert {item.dataset for item in qs.questions} >= {"shop", "chinook"}
    unanswerable = [i for i in trust.questions if i.expect in ("out_of_scope", "clarification")]
    assert len(unanswerable) >= 10
    assert all(i.names or i.options for i in unanswerable)
    assert sum(bool(i.history) for i in trust.questions) >= 10


@pytest.mark.django_db
def test_eval_golds_only_asks_nothing_and_reports_each_gold(tmp_path: Path) -> None:
    from djai_dsl.models import Chat

    chats = Chat.objects.count()
    path = write(tmp_path, SMALL_SQL_SET)
    out = StringIO()
    call_command("djai", "eval", str(path), "--golds-only", stdout=out)
    text = out.getvalue()
    assert "shop-customers: 1 rows" in text and "which-customers: no gold" in text
    assert "3 golds, 0 errors, 0 empty" in text
    assert Chat.objects.count() == chats

    broken = SMALL_SQL_SET + (
        "  - id: broken\n    question: q\n    ordered: false\n"
        "    gold_sql: SELECT missing_column FROM no_such_table\n"
    )
    path.write_text(broken, encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="small-sql: broken"):
        call_command("djai", "eval", str(path), "--golds-only", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["set"] == "small-sql"
    failing = [g for g in report["golds"] if "error" in g]
    assert [g["id"] for g in failing] == ["broken"] and "no_such_table" in failing[0]["error"]


def test_an_answer_an_item_also_accepts_is_not_an_execution_out_of_scope() -> None:
    from djai_dsl.evaluation.report import metrics
    from djai_dsl.evaluation.runner import Verdict

    either = q(("out_of_scope", "answer"), gold_sql=(sql("SELECT 1"),))
    refuse_only = q("out_of_scope")
    answered = Outcome("answer", table=Table(["x"], [[1]]))
    m = metrics([Verdict(either, answered, True), Verdict(refuse_only, answered, False)])
    assert (m.out_of_scope, m.executed_out_of_scope, m.correct) == (2, 1, 1)
