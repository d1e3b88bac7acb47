"""Test doubles and fixtures for the chat service and the HTTP API.

:class:`ScriptedPlanner` is selected with ``DJAI["PLANNER"] = "tests.fakes.ScriptedPlanner"``
(the ``scripted`` fixture does it) and answers from a per-test script; questions that are DSL
text ("from shop.order ...") are proposed as plans without a script, so most tests need none.
Import the fixtures into a test module: ``from tests.fakes import api, scripted, staff  # noqa``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from djai_dsl.grammar import parse
from djai_dsl.manifest.types import Manifest
from djai_dsl.planners.base import (
    Clarification,
    ClarifyOption,
    OutOfScope,
    PlannerContext,
    PlannerResult,
    PlanProposal,
)
from tests.conftest import NOW

PREFIX = "/ai-assistant/api"

Scripted = PlannerResult | Callable[[str, PlannerContext, Manifest], PlannerResult] | Exception


def fixed_now() -> dt.datetime:
    """``DJAI["CLOCK"]`` for tests: the clock the demo data was seeded for."""
    return NOW


class ScriptedPlanner:
    """Answers each question from :attr:`script` (question -> result, callable or exception
    to raise); DSL text is proposed as a plan with confidence 0.95; anything else is out of
    scope. Every call is kept in :attr:`calls` for assertions on the context."""

    name = "scripted"
    script: ClassVar[dict[str, Scripted]] = {}
    calls: ClassVar[list[tuple[str, PlannerContext]]] = []

    def plan(self, question: str, context: PlannerContext, manifest: Manifest) -> PlannerResult:
        ScriptedPlanner.calls.append((question, context))
        entry = self.script.get(question)
        if isinstance(entry, Exception):
            raise entry
        if callable(entry):
            return entry(question, context, manifest)
        if entry is not None:
            return entry
        if question.lstrip().lower().startswith("from "):
            plan = parse(question)
            return PlanProposal(plan=plan, confidence=0.95, candidate_models=[plan.source])
        return OutOfScope(
            reason="The scripted planner does not know this question.",
            how_to_rephrase="Script it in the test.",
            confidence=0.2,
        )

    @classmethod
    def reset(cls) -> None:
        cls.script = {}
        cls.calls = []


def proposal(dsl: str, confidence: float = 0.95, **kwargs: Any) -> PlanProposal:
    plan = parse(dsl)
    return PlanProposal(plan=plan, confidence=confidence, candidate_models=[plan.source], **kwargs)


def clarification(question: str, *options: tuple[str, str, str]) -> Clarification:
    """Options as (id, label, dsl-or-question); text starting with "from " is a plan."""
    built = []
    for option_id, label, target in options:
        if target.startswith("from "):
            built.append(ClarifyOption(option_id, label, plan=parse(target)))
        else:
            built.append(ClarifyOption(option_id, label, question=target))
    return Clarification(question=question, options=built, confidence=0.5)


# --------------------------------------------------------------------------- fixtures

TEST_DJAI = {
    "PLANNER": "tests.fakes.ScriptedPlanner",
    "CLOCK": "tests.fakes.fixed_now",
    "RATE_LIMIT_PER_MINUTE": None,
}


@pytest.fixture
def scripted(settings: Any) -> type[ScriptedPlanner]:
    """Select the scripted planner and the fixed clock; returns the planner class."""
    settings.DJAI = {**settings.DJAI, **TEST_DJAI}
    ScriptedPlanner.reset()
    yield ScriptedPlanner
    ScriptedPlanner.reset()


def make_staff(username: str, *, assistant: bool = True, code: bool = False, **flags: Any) -> User:
    """A staff user who may view every demo model (and use the assistant, see the SQL)."""
    flags.setdefault("is_staff", True)
    user = User.objects.create_user(username, password="pw", **flags)
    perms = Permission.objects.filter(
        content_type__app_label__in=["shop", "chinook"], codename__startswith="view_"
    )
    user.user_permissions.add(*perms)
    wanted = (["use_assistant"] if assistant else []) + (["view_generated_code"] if code else [])
    if wanted:
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="djai_dsl", codename__in=wanted)
        )
    return User.objects.get(pk=user.pk)  # fresh: no stale permission cache


@pytest.fixture
def staff(db: Any) -> User:
    return make_staff("analyst")


class Api:
    """A logged-in test client speaking JSON to ``/ai-assistant/api``."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(PREFIX + path, params)

    def send(self, method: str, path: str, body: Any = None, **headers: Any) -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body or {})
        return getattr(self.client, method.lower())(
            PREFIX + path, data=data, content_type="application/json", headers=headers or None
        )

    def post(self, path: str, body: Any = None, **headers: Any) -> Any:
        return self.send("POST", path, body, **headers)

    def new_chat(self, title: str = "") -> int:
        response = self.post("/chats", {"title": title})
        assert response.status_code == 201, response.content
        return int(response.json()["id"])

    def ask(self, chat_id: int, content: str, **body: Any) -> Any:
        return self.post(f"/chats/{chat_id}/message", {"content": content, **body})


@pytest.fixture
def api(client: Client, staff: User, scripted: Any) -> Api:
    client.force_login(staff)
    return Api(client)
