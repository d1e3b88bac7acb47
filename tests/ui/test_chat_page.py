"""The admin chat page in a real browser (see conftest.py): each test walks one flow a user
would, against the live server with the demo data and the offline planner, and saves a
screenshot of each state it reaches under ``build/screenshots/``."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from demo.shop.models import Order
from djai_dsl.errors import LLMUnavailable, ReplayMiss
from tests.fakes import ScriptedPlanner, make_staff, proposal
from tests.ui.conftest import ChatPage, log_in

MONTHLY = "How many orders per month this year?"
AMBIGUOUS = "revenue by country"
OFF_TOPIC = "What's the weather in Paris?"
LISTING = "list orders"
PAID_COUNT = 'from shop.order\nwhere status = "paid"\naggregate orders = count()'


def table_rows(answer: Any) -> Any:
    return answer.locator("table.djai-table tbody tr")


# --------------------------------------------------------------------------- answers


def test_question_gets_an_explained_answer_table(chat_page: ChatPage) -> None:
    page = chat_page.page
    chat_page.screenshot("welcome")
    with page.expect_request("**/api/chats/*/message") as request:
        answer = chat_page.ask(MONTHLY)
    body = request.value.post_data_json
    assert body == {
        "content": MONTHLY,
        "client_context": {"timezone": "Europe/Berlin", "locale": "en-US"},
    }

    # The explanation comes first, then the table.
    explanation = answer.locator(".djai-explanation")
    expect(explanation).to_contain_text("this year")
    order = answer.evaluate(
        "a => [...a.querySelectorAll('.djai-explanation, table')].map(e => e.tagName)"
    )
    assert order == ["P", "TABLE"]
    headers = answer.locator("thead th")
    expect(headers).to_have_text(["month of created at", "orders"])
    rows = table_rows(answer)
    expect(rows).to_have_count(6)  # January to June 2026
    expect(rows.first.locator("td").first).to_have_text("Jan 2026")
    # Numbers are right-aligned and formatted by the browser's locale.
    count_cell = rows.first.locator("td").nth(1)
    assert count_cell.evaluate("td => getComputedStyle(td).textAlign") == "right"
    first_month = Order.objects.filter(created_at__year=2026, created_at__month=1).count()
    assert int(count_cell.inner_text().replace(",", "")) in range(first_month - 5, first_month + 6)
    # This user may see the SQL; the plan panel is there, collapsed.
    expect(answer.locator("details.djai-code summary")).to_have_text("SQL")
    expect(answer.locator("details.djai-plan")).not_to_have_attribute("open", "")
    # The chat got an automatic title and is in the sidebar, and the URL points at it.
    chat = page.locator(".djai-chat-link[aria-current='page']")
    expect(chat).to_contain_text("orders")
    assert "?chat=" in page.url
    chat_page.screenshot("answer")

    # Reloading brings the same conversation back.
    page.reload()
    page.locator('#djai-app[data-state="ready"]').wait_for()
    expect(page.locator("#djai-log .djai-user")).to_have_text([MONTHLY])
    expect(table_rows(chat_page.assistant_messages().first)).to_have_count(6)


@pytest.mark.browser_context_args(locale="de-DE", timezone_id="America/New_York")
def test_dates_and_numbers_follow_the_browser_locale(chat_page: ChatPage) -> None:
    chat_page.name = "german"
    with chat_page.page.expect_request("**/api/chats/*/message") as request:
        answer = chat_page.ask(LISTING)
    assert request.value.post_data_json["client_context"] == {
        "timezone": "America/New_York",
        "locale": "de-DE",
    }
    headers = answer.locator("thead th").all_inner_texts()
    cells = table_rows(answer).first.locator("td")
    order = Order.objects.get(pk=int(cells.first.inner_text()))
    total = f"{order.total:,.2f}".translate(str.maketrans(",.", ".,"))
    expect(cells.nth(headers.index("TOTAL"))).to_have_text(total)  # 1.234,56
    # Shown in New York time, in German: "17.06.2023, 15:13".
    local = order.created_at.astimezone(ZoneInfo("America/New_York"))
    expect(cells.nth(headers.index("CREATED AT"))).to_have_text(local.strftime("%d.%m.%Y, %H:%M"))
    chat_page.screenshot("answer-de")


def test_chart_of_a_time_series(chat_page: ChatPage) -> None:
    answer = chat_page.ask(MONTHLY)
    toggle = answer.get_by_role("group", name="View")
    expect(toggle.get_by_role("button", name="Table")).to_have_attribute("aria-pressed", "true")
    toggle.get_by_role("button", name="Chart").click()
    canvas = answer.locator(".djai-chart canvas")
    expect(canvas).to_be_visible()
    expect(answer.locator("table.djai-table")).to_be_hidden()
    chart = canvas.evaluate(
        """c => {
            const chart = Chart.getChart(c);
            const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return {type: chart.config.type, labels: chart.data.labels,
                    data: chart.data.datasets[0].data, painted};
        }"""
    )
    assert chart["type"] == "line"
    assert chart["labels"][:2] == ["Jan 2026", "Feb 2026"]
    assert len(chart["data"]) == 6 and all(n > 0 for n in chart["data"])
    assert chart["painted"] > 1000  # something was drawn
    chat_page.screenshot("chart")
    toggle.get_by_role("button", name="Table").click()
    expect(answer.locator("table.djai-table")).to_be_visible()


# --------------------------------------------------------------------------- clarification


def test_ambiguous_question_offers_options(chat_page: ChatPage) -> None:
    question = chat_page.ask(AMBIGUOUS)
    expect(question).to_have_class("djai-msg djai-assistant djai-clarification")
    options = question.locator("button.djai-option")
    expect(options.first).to_be_visible()
    assert options.count() >= 2
    chat_page.screenshot("clarification")

    before = chat_page.assistant_messages().count()
    orders = options.filter(has_text="shop.order")
    label = orders.inner_text()
    with chat_page.page.expect_request("**/api/chats/*/message") as request:
        orders.click()
    answer = chat_page.wait_for_reply(before)
    sent = request.value.post_data_json
    assert sent["content"] == label
    assert sent["clarification"]["option_id"]
    expect(answer.locator("table.djai-table")).to_be_visible()
    expect(answer.locator("thead th").last).to_contain_text("revenue")
    for option in options.all():
        expect(option).to_be_disabled()  # answered: the quick actions are closed
    chat_page.screenshot("clarification-answered")


def test_clarification_can_be_answered_in_words(chat_page: ChatPage) -> None:
    chat_page.ask(AMBIGUOUS)
    answer = chat_page.ask("orders")
    expect(answer.locator("table.djai-table")).to_be_visible()
    expect(answer.locator(".djai-explanation")).to_contain_text("orders")


def test_out_of_scope_question_gets_a_hint_and_examples(chat_page: ChatPage) -> None:
    reply = chat_page.ask(OFF_TOPIC)
    expect(reply).to_have_class("djai-msg djai-assistant djai-out-of-scope")
    expect(reply.locator(".djai-reason")).not_to_be_empty()
    expect(reply.locator(".djai-hint")).not_to_be_empty()
    examples = reply.locator("button.djai-example")
    expect(examples.first).to_be_visible()
    chat_page.screenshot("out-of-scope")
    before = chat_page.assistant_messages().count()
    example = examples.first.inner_text()
    examples.first.click()
    chat_page.wait_for_reply(before)
    expect(chat_page.page.locator("#djai-log .djai-user").last).to_have_text(example)


# --------------------------------------------------------------------------- errors


def test_errors_offer_a_retry_only_when_it_can_help(chat_page: ChatPage, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "PLANNER": "tests.fakes.ScriptedPlanner"}
    ScriptedPlanner.reset()
    ScriptedPlanner.script = {
        "flaky": LLMUnavailable(),
        "unknown": ReplayMiss(),
        "fine": proposal("from shop.order aggregate orders = count()"),
    }
    try:
        error = chat_page.ask("flaky")
        expect(error).to_have_attribute("role", "alert")
        expect(error.locator(".djai-error-title")).to_have_text(
            "The assistant's language model is not available right now."
        )
        retry = error.get_by_role("button", name="Try again")
        expect(retry).to_be_visible()
        chat_page.screenshot("error-retryable")

        ScriptedPlanner.script["flaky"] = proposal("from shop.order aggregate orders = count()")
        before = chat_page.assistant_messages().count()
        retry.click()
        answer = chat_page.wait_for_reply(before)
        expect(answer.locator(".djai-summary")).to_have_text(f"orders: {Order.objects.count()}.")

        error = chat_page.ask("unknown")
        expect(error.locator(".djai-error-title")).to_have_text(
            "No recorded answer for this question."
        )
        expect(error.get_by_role("button", name="Try again")).to_have_count(0)
    finally:
        ScriptedPlanner.reset()


def test_waiting_shows_progress_and_can_be_cancelled(chat_page: ChatPage, settings: Any) -> None:
    def slow(question: str, context: Any, manifest: Any) -> Any:
        time.sleep(2)
        return proposal("from shop.order aggregate orders = count()")

    settings.DJAI = {**settings.DJAI, "PLANNER": "tests.fakes.ScriptedPlanner"}
    ScriptedPlanner.reset()
    ScriptedPlanner.script = {"slow question": slow}
    try:
        chat_page.input.fill("slow question")
        chat_page.input.press("Enter")
        progress = chat_page.page.get_by_role("status")
        expect(progress).to_be_visible()
        expect(progress).to_contain_text("Working")
        expect(chat_page.page.locator("#djai-send")).to_be_disabled()
        chat_page.screenshot("progress")
        progress.get_by_role("button", name="Cancel").click()
        expect(progress).to_be_hidden()
        expect(chat_page.page.locator("#djai-log .djai-note")).to_contain_text("Stopped waiting")
        expect(chat_page.page.locator("#djai-send")).to_be_enabled()
        time.sleep(2)  # let the server finish before the database is flushed
    finally:
        ScriptedPlanner.reset()


# --------------------------------------------------------------------------- the plan


def test_edit_the_plan_fix_a_syntax_error_and_run(chat_page: ChatPage) -> None:
    answer = chat_page.ask(MONTHLY)
    answer.locator("details.djai-plan summary").click()
    expect(answer.locator(".djai-plan .djai-dsl-view")).to_contain_text("from shop.order")
    answer.get_by_role("button", name="Edit and run").click()
    editor = answer.get_by_role("textbox", name="Query in djai DSL")
    expect(editor).to_be_focused()
    assert editor.evaluate("t => getComputedStyle(t).fontFamily").startswith("ui-monospace")

    editor.fill('from shop.order\nwhere status = = "paid"\naggregate orders = count()')
    answer.get_by_role("button", name="Run", exact=True).click()
    error = answer.locator(".djai-dsl-feedback.djai-error")
    expect(error).to_contain_text("Line 2, column 16")
    expect(error.locator(".djai-dsl-excerpt")).to_contain_text('2 | where status = = "paid"')
    caret = error.locator(".djai-caret").inner_text()
    assert len(caret) == 16 and caret.endswith("^")
    expect(editor).to_have_attribute("aria-invalid", "true")
    # The text cursor is put where the error is.
    assert editor.evaluate("t => t.selectionStart") == len("from shop.order\n") + 15
    chat_page.screenshot("dsl-syntax-error")

    editor.fill(PAID_COUNT)
    expect(error).to_be_hidden()
    answer.get_by_role("button", name="Check").click()
    expect(answer.locator(".djai-dsl-feedback.djai-ok")).to_contain_text("The query is valid.")
    before = chat_page.assistant_messages().count()
    editor.press("Control+Enter")
    result = chat_page.wait_for_reply(before)
    paid = Order.objects.filter(status="paid").count()
    expect(result.locator(".djai-summary")).to_have_text(f"orders: {paid}.")
    expect(chat_page.page.locator("#djai-log .djai-user pre").last).to_have_text(PAID_COUNT)
    expect(editor).to_have_count(0)  # the editor closed after the run
    chat_page.screenshot("dsl-fixed-and-run")


def test_preview_before_run(chat_page: ChatPage, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "PREVIEW_BEFORE_RUN": True}
    chat_page.open()  # the page reads the setting at start
    with chat_page.page.expect_request("**/api/chats/*/plan"):
        preview = chat_page.ask(MONTHLY)
    expect(preview).to_have_class("djai-msg djai-assistant djai-preview")
    expect(preview.locator(".djai-dsl-view")).to_contain_text("group by created_at by month")
    expect(preview.locator(".djai-windows")).to_contain_text("2026-01-01 to 2026-12-31")
    expect(preview.locator("table")).to_have_count(0)  # nothing ran
    chat_page.screenshot("preview")
    before = chat_page.assistant_messages().count()
    preview.get_by_role("button", name="Run", exact=True).click()
    answer = chat_page.wait_for_reply(before)
    expect(table_rows(answer)).to_have_count(6)
    expect(preview.locator("text=Ran below.")).to_be_visible()
    chat_page.screenshot("preview-run")


def test_code_is_hidden_without_the_permission(
    live_server: Any, page: Any, seeded: None, ui_settings: Any
) -> None:
    log_in(page.context, live_server.url, make_staff("clerk"))
    chat_page = ChatPage(page, live_server.url, "no-code").open()
    answer = chat_page.ask(MONTHLY)
    expect(answer.locator("table.djai-table")).to_be_visible()
    expect(answer.locator("details.djai-plan")).to_be_visible()
    expect(answer.locator("details.djai-code")).to_have_count(0)
    expect(answer.get_by_text("SQL", exact=True)).to_have_count(0)
    chat_page.screenshot("answer-without-sql")


# --------------------------------------------------------------------------- long results


def test_load_more_pages_by_cursor(chat_page: ChatPage) -> None:
    answer = chat_page.ask(LISTING)
    expect(table_rows(answer)).to_have_count(100)
    status = answer.locator(".djai-result-status")
    expect(status).to_have_text("Showing 100 rows; more are available.")
    more = answer.get_by_role("button", name="Load more")
    with chat_page.page.expect_request("**/messages/*/page?cursor=*"):
        more.click()
    expect(table_rows(answer)).to_have_count(200)
    expect(status).to_have_text("Showing 200 rows; more are available.")
    ids = [int(t) for t in answer.locator("tbody tr td:first-child").all_inner_texts()]
    assert ids == sorted(ids) and len(set(ids)) == 200  # the next page, not the same one
    chat_page.screenshot("load-more")


def test_csv_download_has_every_row(chat_page: ChatPage, settings: Any) -> None:
    answer = chat_page.ask(LISTING)
    link = answer.get_by_role("link", name="Download CSV")
    with chat_page.page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("shop-order-")
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "id" and "total" in header
    assert len(body) == Order.objects.count()  # every row, not the first page
    first = Order.objects.order_by("pk").first()
    assert first is not None and body[0][0] == str(first.pk)
    total = header.index("total")
    assert Decimal(body[0][total]) == first.total

    settings.DJAI = {**settings.DJAI, "EXPORT_MAX_ROWS": 150}
    with chat_page.page.expect_download() as info:
        link.click()
    capped = info.value.path().read_text(encoding="utf-8").splitlines()
    assert len(capped) == 1 + 150


# --------------------------------------------------------------------------- chats


def test_chats_are_listed_renamed_and_deleted(chat_page: ChatPage) -> None:
    page = chat_page.page
    chat_page.ask(MONTHLY)
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#djai-chat-title")).to_have_text("New chat")
    chat_page.ask(OFF_TOPIC)
    chat_page.ask(LISTING)
    chats = page.locator("#djai-chat-list .djai-chat-name")
    expect(chats).to_have_count(2)
    expect(chats.first).to_contain_text("orders")  # the newest (latest answer) first

    page.get_by_role("button", name="Rename chat").first.click()
    title = page.get_by_role("textbox", name="Rename chat")
    expect(title).to_be_focused()
    title.fill("Order listing")
    title.press("Enter")
    expect(chats.first).to_have_text("Order listing")
    expect(page.locator("#djai-chat-title")).to_have_text("Order listing")
    chat_page.screenshot("chats")

    page.get_by_role("button", name="Delete chat “Order listing”").click()
    dialog = page.get_by_role("dialog", name="Delete chat?")
    expect(dialog).to_be_visible()
    chat_page.screenshot("delete-confirmation", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(chats).to_have_count(2)
    page.get_by_role("button", name="Delete chat “Order listing”").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(chats).to_have_count(1)
    expect(page.locator("#djai-chat-title")).to_have_text("New chat")

    page.reload()
    page.locator('#djai-app[data-state="ready"]').wait_for()
    expect(chats).to_have_count(1)
    chats.first.click()
    expect(page.locator("#djai-log .djai-user")).to_have_text([MONTHLY])


def test_keyboard_shift_enter_is_a_new_line(chat_page: ChatPage) -> None:
    chat_page.input.focus()
    chat_page.page.keyboard.type("How many orders")
    chat_page.page.keyboard.press("Shift+Enter")
    chat_page.page.keyboard.type("in the last 7 days?")
    expect(chat_page.input).to_have_value("How many orders\nin the last 7 days?")
    expect(chat_page.page.locator("#djai-log .djai-user")).to_have_count(0)
    before = chat_page.assistant_messages().count()
    chat_page.page.keyboard.press("Enter")
    chat_page.wait_for_reply(before)
    expect(chat_page.input).to_have_value("")
    expect(chat_page.input).to_be_focused()


# --------------------------------------------------------------------------- links from admin


def test_linked_from_the_admin_index_and_changelists(chat_page: ChatPage) -> None:
    page = chat_page.page
    page.goto(chat_page.base_url + "/admin/")
    module = page.locator("#djai-assistant-module")
    expect(module.get_by_role("link", name="Ask a question about your data")).to_be_visible()
    chat_page.screenshot("admin-index")

    page.goto(chat_page.base_url + "/admin/shop/order/")
    page.get_by_role("link", name="Ask about orders").click()
    page.locator('#djai-app[data-state="ready"]').wait_for()
    crumbs = page.locator(".breadcrumbs")
    crumb = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"
    expect(crumbs).to_have_text(
        f"Home {crumb} Shop {crumb} Orders {crumb} Data assistant", use_inner_text=True
    )
    expect(page.locator(".djai-welcome")).to_contain_text("Ask a question about orders.")
    examples = page.locator(".djai-welcome button.djai-example")
    expect(examples.first).to_have_text("How many orders are there?")
    chat_page.screenshot("ask-about-orders")
    before = chat_page.assistant_messages().count()
    examples.first.click()
    answer = chat_page.wait_for_reply(before)
    expect(answer.locator(".djai-summary")).to_contain_text(str(Order.objects.count()))


def test_other_users_are_sent_to_the_admin_login(
    live_server: Any, page: Any, transactional_db: Any
) -> None:
    page.goto(live_server.url + "/ai-assistant/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/ai-assistant/")
    log_in(page.context, live_server.url, make_staff("visitor", assistant=False))
    response = page.goto(live_server.url + "/ai-assistant/")
    assert response is not None and response.status == 403


# --------------------------------------------------------------------------- themes, sizes


@pytest.mark.browser_context_args(color_scheme="dark")
def test_dark_mode(chat_page: ChatPage) -> None:
    chat_page.name = "dark"
    background = chat_page.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 18, 18)"  # admin's dark --body-bg
    answer = chat_page.ask(MONTHLY)
    table_bg = answer.locator("thead th").first.evaluate(
        "th => getComputedStyle(th).backgroundColor"
    )
    assert table_bg == "rgb(33, 33, 33)"  # --darkened-bg, not a light grey
    text = answer.locator(".djai-explanation").evaluate("p => getComputedStyle(p).color")
    assert text == "rgb(238, 238, 238)"
    chat_page.screenshot("answer")
    answer.get_by_role("button", name="Chart").click()
    expect(answer.locator(".djai-chart canvas")).to_be_visible()
    chat_page.screenshot("chart")


@pytest.mark.browser_context_args(viewport={"width": 375, "height": 740}, is_mobile=True)
def test_phone_width(chat_page: ChatPage) -> None:
    chat_page.name = "phone"
    page = chat_page.page
    chat_page.screenshot("welcome")
    answer = chat_page.ask(LISTING)
    expect(table_rows(answer)).to_have_count(100)
    # The page itself does not scroll sideways; the wide table scrolls in its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    wrap = answer.locator(".djai-table-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    chat_page.screenshot("answer")
    chats = page.locator("#djai-chat-list")
    expect(chats).to_be_hidden()
    toggle = page.get_by_role("button", name="Show chats")
    toggle.click()
    expect(chats).to_be_visible()
    expect(page.get_by_role("button", name="Hide chats")).to_have_attribute("aria-expanded", "true")
    chat_page.screenshot("chats-open")
