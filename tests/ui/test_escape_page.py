"""The escape hatch on the chat page, in a real browser: an answer computed by an ORM snippet
is marked as such, shows the snippet (to users who may see code), and a permitted analyst
edits it, sees a refusal at its line and column, fixes it and re-runs it. With the hatch
off nothing of it appears."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from demo.shop.models import Order
from djai_dsl.planners.base import CodeProposal
from tests.fakes import ScriptedPlanner, make_staff
from tests.ui.conftest import ChatPage, log_in

QUESTION = "Which is the biggest order of each country?"
SNIPPET = (
    'Order.objects.annotate(rank=Window(expression=Rank(), partition_by=F("shipping_country"), '
    'order_by=F("total").desc())).filter(rank=1).values("shipping_country", "total")'
    '.order_by("shipping_country")'
)
PAID = 'Order.objects.filter(status="paid").count()'


@pytest.fixture
def scripted_code(ui_settings: Any) -> Iterator[type[ScriptedPlanner]]:
    ui_settings.DJAI = {
        **ui_settings.DJAI,
        "PLANNER": "tests.fakes.ScriptedPlanner",
        "ESCAPE_HATCH": {"ENABLED": True},
    }
    ScriptedPlanner.reset()
    ScriptedPlanner.script[QUESTION] = CodeProposal(code=SNIPPET, confidence=0.9)
    yield ScriptedPlanner
    ScriptedPlanner.reset()


def coder() -> User:
    user = make_staff("coder", code=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="djai_dsl", codename="use_escape_hatch")
    )
    return User.objects.get(pk=user.pk)


def test_an_analyst_edits_and_reruns_a_snippet(
    live_server: Any, page: Any, seeded: None, scripted_code: Any
) -> None:
    log_in(page.context, live_server.url, coder())
    chat_page = ChatPage(page, live_server.url, "escape").open()
    answer = chat_page.ask(QUESTION)
    expect(answer.locator(".djai-from-code")).to_have_text("From an ORM snippet")
    expect(answer.locator("a.djai-csv")).to_have_count(0)  # CSV export is for plan answers
    countries = Order.objects.values("shipping_country").distinct().count()
    expect(answer.locator("table.djai-table tbody tr")).to_have_count(countries)
    answer.locator("details.djai-code-snippet summary").click()
    expect(answer.locator(".djai-snippet")).to_have_text(SNIPPET)
    chat_page.screenshot("code-answer")

    answer.get_by_role("button", name="Edit and run").click()
    editor = answer.get_by_role(
        "textbox", name="ORM snippet (checked and interpreted by djai, never executed)"
    )
    expect(editor).to_be_focused()
    editor.fill('Order.objects.filter(status="paid")\n    .delete()'.replace("\n    ", ""))
    answer.get_by_role("button", name="Run", exact=True).click()
    error = answer.locator(".djai-dsl-feedback.djai-error")
    expect(error).to_contain_text("Line 1, column 1")
    expect(error).to_contain_text("changes data")
    chat_page.screenshot("code-refused")

    editor.fill(PAID)
    answer.get_by_role("button", name="Check").click()
    expect(answer.locator(".djai-dsl-feedback.djai-ok")).to_be_visible()
    before = chat_page.assistant_messages().count()
    editor.press("Control+Enter")
    result = chat_page.wait_for_reply(before)
    paid = Order.objects.filter(status="paid").count()
    expect(result.locator(".djai-from-code")).to_be_visible()
    expect(result.locator(".djai-summary")).to_have_text(f"count: {paid}.")
    expect(chat_page.page.locator("#djai-log .djai-user pre").last).to_have_text(PAID)
    chat_page.screenshot("code-rerun")
    assert chat_page.script_errors == []


def test_with_the_hatch_off_the_page_offers_no_code(chat_page: ChatPage) -> None:
    answer = chat_page.ask("How many orders per month this year?")
    expect(answer.locator("table.djai-table")).to_be_visible()
    expect(answer.locator(".djai-from-code")).to_have_count(0)
    expect(answer.locator("details.djai-code-snippet")).to_have_count(0)
    assert chat_page.page.evaluate("() => document.body.innerText").count("ORM snippet") == 0
