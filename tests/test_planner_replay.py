"""The replay planner: recorded answers served without a model, checked against the asking
user's manifest, and recorded by the LLM planner (against the fake server) for later CI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import Permission

from djai_dsl.errors import ConfigurationError, LLMBadOutput, ReplayMiss
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest import build_manifest
from djai_dsl.planners import Clarification, OutOfScope, PlannerContext, PlanProposal
from djai_dsl.planners.answer import LLMAnswer
from djai_dsl.planners.llm import LLMPlanner
from djai_dsl.planners.replay import ReplayPlanner, ReplayStore, record_answer
from djai_dsl.planners.select import get_planner
from tests.conftest import NOW, TZ
from tests.fake_openai import FakeOpenAI, serve, tool_call

pytestmark = pytest.mark.django_db

BY_COUNTRY = "from shop.order\ngroup by customer.country\naggregate orders = count()\n"
BY_MONTH = (
    "from shop.order\ngroup by customer.country, created_at by month\naggregate orders = count()\n"
)


@pytest.fixture
def fake_openai(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    yield from serve(settings, monkeypatch)


@pytest.fixture
def context() -> PlannerContext:
    return PlannerContext(tz=TZ, now=NOW)


def write(path: Path, entries: list[dict[str, Any]]) -> Path:
    data = {"version": 1, "entries": entries}
    if path.suffix == ".json":
        path.write_text(json.dumps(data))
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def plan_entry(question: str, plan: Any, previous: str | None = None) -> dict[str, Any]:
    return {
        "question": question,
        "previous_plan": previous,
        "answer": {"kind": "plan", "plan": plan, "confidence": 0.9},
    }


# -- serving ---------------------------------------------------------------------------------


def test_json_file_with_plan_objects(tmp_path, context, manifest):
    plan_json = parse(BY_COUNTRY).model_dump(mode="json")
    path = write(tmp_path / "replay.json", [plan_entry("orders by country", plan_json)])

    result = ReplayPlanner(path).plan("orders by country", context, manifest)

    assert isinstance(result, PlanProposal)
    assert result.plan == parse(BY_COUNTRY)
    assert result.confidence == 0.9
    assert result.candidate_models == ["shop.order"]


def test_yaml_file_with_dsl_text_and_loose_question_matching(tmp_path, context, manifest):
    path = write(tmp_path / "replay.yaml", [plan_entry("Orders by country", BY_COUNTRY)])
    result = ReplayPlanner(path).plan("  orders   BY country ", context, manifest)
    assert result.plan == parse(BY_COUNTRY)


def test_previous_plan_is_part_of_the_key(tmp_path, manifest):
    path = write(
        tmp_path / "replay.yaml",
        [
            plan_entry("and by month?", BY_MONTH, previous=BY_COUNTRY),
            # same question after another plan: a different recording
            plan_entry(
                "and by month?",
                "from shop.refund\ngroup by created_at by month\naggregate refunds = count()",
                previous="from shop.refund aggregate refunds = count()",
            ),
        ],
    )
    planner = ReplayPlanner(path)
    # the previous plan matches on its canonical text, however it was spaced in the file
    after_orders = PlannerContext(tz=TZ, now=NOW, previous_plan=parse(BY_COUNTRY))
    after_refunds = PlannerContext(
        tz=TZ, now=NOW, previous_plan=parse("from shop.refund\naggregate refunds = count()")
    )
    assert planner.plan("and by month?", after_orders, manifest).plan == parse(BY_MONTH)
    assert planner.plan("and by month?", after_refunds, manifest).plan.source == "shop.refund"
    with pytest.raises(ReplayMiss, match=r"'and by month\?'\.\n"):
        planner.plan("and by month?", PlannerContext(tz=TZ, now=NOW), manifest)
    after_other = PlannerContext(tz=TZ, now=NOW, previous_plan=parse(BY_MONTH))
    with pytest.raises(ReplayMiss, match="after this previous plan"):
        planner.plan("and by month?", after_other, manifest)


def test_clarification_and_out_of_scope_entries(tmp_path, context, manifest):
    path = write(
        tmp_path / "replay.yaml",
        [
            {
                "question": "revenue last month",
                "answer": {
                    "kind": "clarify",
                    "question": "By order date or by payment date?",
                    "options": [
                        {
                            "label": "Order date",
                            "plan": "from shop.order where created_at in previous 1 month "
                            "aggregate revenue = sum(total)",
                        },
                        {"label": "Payment date", "question": "payments collected last month"},
                    ],
                    "confidence": 0.5,
                },
            },
            {
                "question": "delete old orders",
                "answer": {
                    "kind": "out_of_scope",
                    "reason": "djai only reads data.",
                    "how_to_rephrase": "Ask how many orders are older than a year.",
                    "confidence": 0.99,
                },
            },
        ],
    )
    planner = ReplayPlanner(path)

    clarification = planner.plan("revenue last month", context, manifest)
    assert isinstance(clarification, Clarification)
    assert [o.label for o in clarification.options] == ["Order date", "Payment date"]
    assert clarification.options[0].plan is not None
    assert clarification.options[1].question == "payments collected last month"

    refusal = planner.plan("delete old orders", context, manifest)
    assert isinstance(refusal, OutOfScope)
    assert refusal.intent_label == "OUT_OF_SCOPE"


def test_recorded_plans_are_checked_against_the_asking_users_manifest(
    tmp_path, context, django_user_model
):
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    clerk = django_user_model.objects.get(pk=clerk.pk)
    path = write(tmp_path / "replay.yaml", [plan_entry("orders by country", BY_COUNTRY)])

    # customer.country leads to shop.customer, which the clerk may not view
    with pytest.raises(LLMBadOutput) as caught:
        ReplayPlanner(path).plan("orders by country", context, build_manifest(clerk))
    assert caught.value.code == "llm_bad_output"
    assert "does not fit this user's schema" in caught.value.message


def test_recorded_plan_with_an_unknown_field(tmp_path, context, manifest):
    bad = BY_COUNTRY.replace("customer.country", "customer.planet")
    path = write(tmp_path / "replay.yaml", [plan_entry("orders by planet", bad)])
    with pytest.raises(LLMBadOutput) as caught:
        ReplayPlanner(path).plan("orders by planet", context, manifest)
    assert "planet" in str(caught.value)


def test_miss_is_a_typed_error(tmp_path, context, manifest):
    path = write(tmp_path / "replay.yaml", [plan_entry("orders by country", BY_COUNTRY)])
    with pytest.raises(ReplayMiss) as caught:
        ReplayPlanner(path).plan("refunds by reason", context, manifest)
    assert caught.value.code == "replay_miss"
    assert not caught.value.retryable
    assert str(path) in caught.value.hint


class CountingPlanner:
    """A stand-in fallback planner."""

    name = "counting"
    calls: list[str] = []

    def plan(self, question, context, manifest):  # type: ignore[no-untyped-def]
        self.calls.append(question)
        return OutOfScope(reason="fallback", how_to_rephrase="", confidence=1.0)


def test_miss_asks_the_fallback_planner(tmp_path, context, manifest):
    path = write(tmp_path / "replay.yaml", [])
    planner = ReplayPlanner(path, fallback="tests.test_planner_replay.CountingPlanner")
    CountingPlanner.calls.clear()
    assert planner.plan("anything", context, manifest).reason == "fallback"
    assert CountingPlanner.calls == ["anything"]


def test_missing_file_is_empty_until_recorded(tmp_path, context, manifest):
    with pytest.raises(ReplayMiss):
        ReplayPlanner(tmp_path / "none-yet.yaml").plan("orders", context, manifest)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.json", "{not json", "cannot be read"),
        ("broken.yaml", "entries: [", "cannot be read"),
        ("shape.yaml", "entries: {a: 1}", "must be a list"),
        ("entry.yaml", "entries: [{answer: {}}]", "needs a 'question'"),
        ("notes.txt", "", "must end in .json, .yaml or .yml"),
    ],
)
def test_bad_files_are_configuration_errors(tmp_path, context, manifest, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        ReplayPlanner(path).plan("orders", context, manifest)


def test_get_planner_replay_reads_the_settings(settings, tmp_path, context, manifest):
    path = write(tmp_path / "replay.yaml", [plan_entry("orders by country", BY_COUNTRY)])
    settings.DJAI = {"PLANNER": "replay", "REPLAY_FILE": str(path)}
    planner = get_planner()
    assert isinstance(planner, ReplayPlanner)
    assert isinstance(planner.plan("orders by country", context, manifest), PlanProposal)


def test_replay_planner_needs_a_file(settings):
    settings.DJAI = {"PLANNER": "replay"}
    with pytest.raises(ConfigurationError, match="REPLAY_FILE"):
        get_planner()


def test_edited_file_is_read_again(tmp_path, context, manifest):
    path = write(tmp_path / "replay.yaml", [plan_entry("orders", BY_COUNTRY)])
    planner = ReplayPlanner(path)
    assert planner.plan("orders", context, manifest).plan == parse(BY_COUNTRY)
    write(path, [plan_entry("orders", BY_MONTH), plan_entry("more", BY_COUNTRY)])
    assert planner.plan("orders", context, manifest).plan == parse(BY_MONTH)


# -- recording ---------------------------------------------------------------------------------


def answer_for(dsl: str) -> LLMAnswer:
    return LLMAnswer.model_validate(
        {"answer": {"kind": "plan", "plan": parse(dsl).model_dump(), "confidence": 0.8}}
    )


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_record_then_replay(tmp_path, context, manifest, suffix):
    path = tmp_path / f"recorded{suffix}"
    record_answer("orders by country", None, answer_for(BY_COUNTRY), path=path, retry_count=1)
    previous = parse(BY_COUNTRY)
    record_answer("and by month?", previous, answer_for(BY_MONTH), path=path)

    planner = ReplayPlanner(path)
    first = planner.plan("orders by country", context, manifest)
    assert first.plan == parse(BY_COUNTRY)
    assert first.retry_count == 1  # replays the recorded re-asks for QueryLog
    follow_up = PlannerContext(tz=TZ, now=NOW, previous_plan=previous)
    assert planner.plan("and by month?", follow_up, manifest).plan == parse(BY_MONTH)


def test_recordings_are_readable_dsl_and_replace_older_answers(tmp_path):
    path = tmp_path / "recorded.yaml"
    record_answer("orders", None, answer_for(BY_COUNTRY), path=path)
    record_answer("Orders ", None, answer_for(BY_MONTH), path=path)  # same key: replaced

    text = path.read_text()
    assert (
        "plan: |\n      from shop.order\n      group by customer.country, created_at by month"
        in text
    )
    data = yaml.safe_load(text)
    assert data["version"] == 1
    [entry] = data["entries"]
    assert entry["question"] == "Orders"
    assert entry["answer"]["plan"] == format_plan(parse(BY_MONTH)) + "\n"
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind


def test_recording_needs_a_file(settings):
    settings.DJAI = {"REPLAY_FILE": ""}
    with pytest.raises(ConfigurationError, match="REPLAY_FILE"):
        record_answer("q", None, answer_for(BY_COUNTRY))


def test_llm_planner_records_and_replay_serves_without_a_model(
    fake_openai, settings, tmp_path, context, manifest
):
    path = tmp_path / "ci.yaml"
    settings.DJAI = {
        **settings.DJAI,
        "REPLAY_FILE": str(path),
        "LLM": {**settings.DJAI["LLM"], "RECORD": True},
    }
    plan_json = parse(BY_COUNTRY).model_dump(mode="json")
    bad = {**plan_json, "group_by": [{"field": "customer.contry"}]}
    fake_openai.push(
        tool_call({"answer": {"kind": "plan", "plan": bad, "confidence": 0.7}}),
        tool_call({"answer": {"kind": "plan", "plan": plan_json, "confidence": 0.7}}),
    )
    live = LLMPlanner().plan("orders by country", context, manifest)

    settings.DJAI = {"PLANNER": "replay", "REPLAY_FILE": str(path)}
    replayed = get_planner().plan("Orders by country", context, manifest)

    assert len(fake_openai.requests) == 2  # the replay asked nobody
    assert isinstance(replayed, PlanProposal)
    assert (replayed.plan, replayed.confidence, replayed.retry_count) == (
        live.plan,
        live.confidence,
        live.retry_count,
    )
    assert replayed.retry_count == 1


def test_store_lookup_by_plan_object(tmp_path):
    path = write(tmp_path / "replay.yaml", [plan_entry("and by month?", BY_MONTH, BY_COUNTRY)])
    store = ReplayStore(path)
    assert store.lookup("and by month?", parse(BY_COUNTRY)) is not None
    assert store.lookup("and by month?", None) is None
