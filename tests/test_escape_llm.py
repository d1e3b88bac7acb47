# ruff: noqa: F811  (pytest fixtures imported from tests.fakes)
"""The escape hatch and the LLM planner, over real HTTP against the fake OpenAI server: an
``orm`` answer accepted when the hatch is open for the user; refused with a typed error
when it is off or the user lacks the permission (and then the schema and the prompt have no
``orm`` branch at all); a forbidden snippet re-asked with the guard's message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User

from djai_dsl.chat.service import ChatService
from djai_dsl.models import Message, QueryLog
from djai_dsl.observability import compute_stats
from djai_dsl.planners import PlannerContext
from djai_dsl.planners.base import CodeProposal
from tests.fake_openai import FakeOpenAI, serve, tool_call
from tests.fakes import make_staff, scripted  # noqa: F401

pytestmark = pytest.mark.django_db

QUESTION = "Which customer has the highest single order in each country?"
SNIPPET = (
    'Order.objects.annotate(rank=Window(expression=Rank(), partition_by=F("customer__country"), '
    'order_by=F("total").desc())).filter(rank=1).values("customer__country", "id", "total")'
    '.order_by("customer__country")'
)
HATCH_ON = {"ENABLED": True}


def orm_answer(code: str = SNIPPET, confidence: float = 0.9) -> dict[str, Any]:
    return {"answer": {"kind": "orm", "code": code, "confidence": confidence}}


@pytest.fixture
def fake_openai(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    yield from serve(settings, monkeypatch)
    # serve() sets DJAI; the clock is fixed so the snippet's rows are deterministic
    # (the fixture's settings are restored by pytest-django afterwards).


@pytest.fixture
def hatch(settings: Any, fake_openai: FakeOpenAI) -> None:
    settings.DJAI = {
        **settings.DJAI,
        "ESCAPE_HATCH": HATCH_ON,
        "CLOCK": "tests.fakes.fixed_now",
        "RATE_LIMIT_PER_MINUTE": None,
        # The deterministic summary: no further request to the fake server per answer.
        "SUMMARIZER": "djai_dsl.chat.context.update_summary",
    }


def hatch_user(username: str = "coder") -> User:
    user = make_staff(username, code=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="djai_dsl", codename="use_escape_hatch")
    )
    return User.objects.get(pk=user.pk)


def ask(user: User, question: str = QUESTION) -> tuple[dict[str, Any], int, int]:
    service = ChatService(user)
    chat = service.create_chat()
    reply = service.send_message(chat.pk, question)
    return reply.envelope, reply.status, chat.pk


def tool_schema(fake: FakeOpenAI, index: int = 0) -> str:
    return json.dumps(fake.requests[index].body.get("tools", []))


def test_an_orm_answer_runs_when_the_hatch_is_open(fake_openai, hatch) -> None:
    fake_openai.push(tool_call(orm_answer()))
    envelope, status, chat_id = ask(hatch_user())
    assert status == 200, envelope
    data = envelope["data"]
    assert envelope["type"] == "answer"
    assert data["source"] == "code" and data["snippet"] == SNIPPET
    assert [c["name"] for c in data["result"]["columns"]] == ["customer__country", "id", "total"]
    assert data["row_count"] > 1
    countries = [row[0] for row in data["result"]["rows"]]
    assert countries == sorted(countries) and len(set(countries)) == len(countries)
    log = QueryLog.objects.get(chat_id=chat_id, kind="message")
    assert (log.route, log.plan, log.planner) == ("escape_hatch", SNIPPET, "llm")
    assert Message.objects.get(chat_id=chat_id, kind="answer").code == SNIPPET
    stats = compute_stats()
    assert stats.by_route == {"escape_hatch": 1} and stats.first_pass_success_rate == 1.0
    request = fake_openai.requests[0]
    assert '"orm"' in tool_schema(fake_openai)
    assert 'ORM snippets (kind "orm")' in request.text()
    assert "Order = shop.order" in request.text()


def test_the_snippet_is_hidden_from_users_who_may_not_see_code(fake_openai, hatch) -> None:
    user = hatch_user()
    user.user_permissions.remove(
        Permission.objects.get(content_type__app_label="djai_dsl", codename="view_generated_code")
    )
    user = User.objects.get(pk=user.pk)
    fake_openai.push(tool_call(orm_answer()))
    envelope, status, _chat = ask(user)
    assert status == 200
    assert envelope["data"]["source"] == "code"
    assert "snippet" not in envelope["data"] and "code" not in envelope["data"]


def test_with_the_hatch_off_the_model_is_never_offered_code(fake_openai, settings) -> None:
    settings.DJAI = {
        **settings.DJAI,
        "CLOCK": "tests.fakes.fixed_now",
        "SUMMARIZER": "djai_dsl.chat.context.update_summary",
    }
    fake_openai.push(*[tool_call(orm_answer())] * 3)  # the first try and two re-asks
    envelope, status, _chat = ask(hatch_user())
    assert (status, envelope["data"]["error_code"]) == (502, "llm_bad_output")
    assert '"orm"' not in tool_schema(fake_openai)
    assert "ORM snippets" not in fake_openai.requests[0].text()
    assert not QueryLog.objects.filter(route="escape_hatch").exists()


def test_without_the_permission_the_model_is_never_offered_code(fake_openai, hatch) -> None:
    fake_openai.push(*[tool_call(orm_answer())] * 3)
    envelope, status, _chat = ask(make_staff("no_hatch", code=True))
    assert (status, envelope["data"]["error_code"]) == (502, "llm_bad_output")
    assert '"orm"' not in tool_schema(fake_openai)
    assert "ORM snippets" not in fake_openai.requests[0].text()


def test_a_planner_answering_with_code_for_a_user_without_the_permission_is_refused(
    settings, scripted
) -> None:
    settings.DJAI = {**settings.DJAI, "ESCAPE_HATCH": HATCH_ON}
    scripted.script[QUESTION] = CodeProposal(code=SNIPPET, confidence=0.9)
    envelope, status, _chat = ask(make_staff("no_hatch2", code=True))
    assert (status, envelope["data"]["error_code"]) == (403, "escape_hatch_forbidden")
    context: PlannerContext = scripted.calls[0][1]
    assert context.escape_hatch is False


def test_a_forbidden_snippet_is_re_asked_with_the_guards_message(fake_openai, hatch) -> None:
    fake_openai.push(
        tool_call(orm_answer('Order.objects.filter(status="paid").delete()')),
        tool_call(orm_answer('Order.objects.filter(status="paid").count()')),
    )
    envelope, status, chat_id = ask(hatch_user())
    assert status == 200, envelope
    assert envelope["data"]["result"]["rows"] == [
        [__import__("demo.shop.models").shop.models.Order.objects.filter(status="paid").count()]
    ]
    reask = fake_openai.requests[1].text()
    assert "code_forbidden_attribute" in reask and ".delete() changes data" in reask
    assert QueryLog.objects.get(chat_id=chat_id, kind="message").retry_count == 1


def test_a_snippet_naming_a_hidden_field_is_re_asked_without_confirming_it(
    fake_openai, hatch
) -> None:
    fake_openai.push(
        tool_call(orm_answer('Customer.objects.values("email")')),
        tool_call(orm_answer('shop_Customer.objects.values("api_token")')),
        tool_call(orm_answer('shop_Customer.objects.filter(country="DE").count()')),
    )
    envelope, status, _chat = ask(hatch_user())
    assert status == 200, envelope
    first, second = fake_openai.requests[1].text(), fake_openai.requests[2].text()
    assert "code_forbidden_name" in first  # two apps have a Customer: shop_Customer
    assert "code_unknown_field" in second and "has no field or relation 'api_token'" in second
