"""IntentRouter: labels, confidences and candidate models, before any planner runs."""

from __future__ import annotations

import datetime as dt

import pytest

from djai_dsl.chat.clarification import PendingClarification, PendingOption
from djai_dsl.chat.router import IntentRouter, singular, words
from djai_dsl.manifest.types import Manifest

ROUTER = IntentRouter()


def route(manifest: Manifest, text: str, **kwargs):  # type: ignore[no-untyped-def]
    return ROUTER.route(text, manifest, **kwargs)


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("How many orders were placed last month?", ["shop.order"]),
        ("revenue by customer country", ["chinook.customer", "shop.customer"]),
        ("top 5 products by units sold", ["shop.product"]),
        ("order items per product", ["shop.orderitem", "shop.order", "shop.product"]),
        ("How many support tickets are unresolved?", ["shop.supportticket"]),
        ("list of refunds this year", ["shop.refund"]),
        ("sales per genre", ["chinook.genre", "chinook.invoice", "shop.order"]),
    ],
)
def test_data_questions_name_their_models(
    manifest: Manifest, text: str, candidates: list[str]
) -> None:
    intent = route(manifest, text)
    assert intent.label == "DATA_QUERY"
    assert intent.candidate_models[: len(candidates)] == candidates
    assert 0.6 <= intent.confidence <= 0.95


@pytest.mark.parametrize(
    ("text", "label", "at_least"),
    [
        ("hello", "GENERAL_HELP", 0.8),
        ("What can you do?", "GENERAL_HELP", 0.8),
        ("Write me a poem about the sea", "OUT_OF_SCOPE", 0.8),
        ("what's the weather in Paris tomorrow", "OUT_OF_SCOPE", 0.8),
        ("delete all orders from last year", "OUT_OF_SCOPE", 0.9),
        ("please update the customer emails", "OUT_OF_SCOPE", 0.9),
    ],
)
def test_help_and_out_of_scope(manifest: Manifest, text: str, label: str, at_least: float) -> None:
    intent = route(manifest, text)
    assert intent.label == label
    assert intent.confidence >= at_least


def test_vague_text_goes_to_the_planner(manifest: Manifest) -> None:
    # Below OUT_OF_SCOPE_CONFIDENCE: the planner, which knows the schema, decides.
    intent = route(manifest, "blorp the frobnicator")
    assert intent.label == "OUT_OF_SCOPE" and intent.confidence < 0.8
    intent = route(manifest, "how many per week?")
    assert intent.label == "DATA_QUERY" and intent.confidence == 0.5


@pytest.mark.parametrize(
    "text", ["and by month?", "only Germany", "what about refunds?", "sort by revenue"]
)
def test_follow_ups_keep_the_topic(manifest: Manifest, text: str) -> None:
    intent = route(manifest, text, current_topic="shop.order", has_previous_plan=True)
    assert intent.label == "DATA_QUERY" and intent.follow_up
    if "refund" in text:
        assert intent.candidate_models == ["shop.refund"]
    else:
        assert intent.candidate_models == ["shop.order"]


def test_without_a_previous_answer_short_text_is_no_follow_up(manifest: Manifest) -> None:
    intent = route(manifest, "only Germany")
    assert not intent.follow_up and intent.label == "OUT_OF_SCOPE"


def _pending() -> PendingClarification:
    now = dt.datetime(2026, 6, 15, tzinfo=dt.timezone.utc)
    return PendingClarification(
        id="abc",
        question="Which revenue?",
        options=[
            PendingOption(
                "gross", "Gross revenue", plan="from shop.order aggregate r = sum(total)"
            ),
            PendingOption("net", "Net of refunds", question="net revenue"),
        ],
        original_question="revenue",
        created_at=now,
        expires_at=now + dt.timedelta(hours=1),
        candidate_models=["shop.order"],
    )


@pytest.mark.parametrize(
    "reply", ["gross", "1", "Gross revenue", "gross revenue.", "option 1", "#1"]
)
def test_a_reply_naming_an_option_is_a_clarification_answer(manifest: Manifest, reply: str) -> None:
    intent = route(manifest, reply, pending=_pending())
    assert intent.label == "CLARIFICATION" and intent.confidence == 1.0
    assert intent.option is not None and intent.option.id == "gross"


def test_any_other_reply_to_a_pending_question_is_free_text(manifest: Manifest) -> None:
    intent = route(manifest, "the one without refunds", pending=_pending())
    assert intent.label == "CLARIFICATION" and intent.option is None
    assert intent.candidate_models == ["shop.refund"]
    assert route(manifest, "3", pending=_pending()).option is None


def test_words_are_singular() -> None:
    assert words("Orders, categories; this STATUS boxes") == [
        "order",
        "category",
        "this",
        "status",
        "box",
    ]
    assert singular("analysis") == "analysis" and singular("days") == "day"
