"""Browser tests of the admin chat page: pytest-playwright driving Debian's Chromium against
pytest-django's live server, with the demo data and the offline planner.

Playwright cannot download its own browsers here, so it is pointed at the system Chromium
(``/usr/bin/chromium``, or ``DJAI_CHROMIUM``); without one the tests are skipped with the
reason. They run on SQLite only (the page does not depend on the database backend, and its
API is tested on all of them), unless ``DJAI_UI_ALL_BACKENDS`` is set. Screenshots of each state go to ``build/screenshots/`` (not committed).

Live-server tests are transactional: the database is flushed after each one, so the seed the
session started with is there for the first only. :func:`seeded` puts it back when missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests import settings
from tests.conftest import ROOT, SEED_SCALE, TODAY
from tests.fakes import make_staff

CHROMIUM = os.environ.get("DJAI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "build" / "screenshots"
UI_DIR = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UNSTICK = ".djai-composer, .djai-sidebar { position: static !important; }"
#: How long a question may take before a test gives up on it (milliseconds).
ANSWER_TIMEOUT_MS = 20_000

UI_DJAI = {
    "PLANNER": "offline",
    "CLOCK": "tests.fakes.fixed_now",  # the day the demo data was seeded for
    "RATE_LIMIT_PER_MINUTE": None,
}


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set DJAI_CHROMIUM)"
    if settings.DB != "sqlite" and not os.environ.get("DJAI_UI_ALL_BACKENDS"):
        # The page does not depend on the database; its API is tested on every backend.
        return (
            f"browser tests run once, on SQLite, not on {settings.DB} "
            "(DJAI_UI_ALL_BACKENDS=1 runs them here too)"
        )
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if UI_DIR in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {
        "locale": "en-US",
        "timezone_id": "Europe/Berlin",
        "viewport": {"width": 1280, "height": 900},
        "accept_downloads": True,
    }


@pytest.fixture(scope="session")
def playwright(playwright: Any) -> Iterator[Any]:
    """Playwright's sync API keeps an event loop in the main thread, which Django takes for
    an async context and then refuses ORM calls in. The tests' ORM calls are ordinary sync
    code, so the check is switched off for as long as Playwright runs, and only then."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield playwright
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    """The demo data, put back after an earlier live-server test flushed it."""
    from demo.chinook.loader import is_loaded
    from demo.chinook.loader import load as load_chinook
    from demo.shop.models import Order
    from demo.shop.seed import seed

    if not Order.objects.exists():
        seed(seed=42, scale=SEED_SCALE, today=TODAY)
    if not is_loaded():
        load_chinook()


@pytest.fixture
def ui_settings(settings: Any) -> Any:
    settings.DJAI = {**settings.DJAI, **UI_DJAI}
    return settings


class ChatPage:
    """The chat page in a browser tab, logged in as ``user``."""

    def __init__(self, page: Any, base_url: str, name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.name = name
        self.url = base_url + "/ai-assistant/"
        self.script_errors: list[str] = []
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))

    def open(self, query: str = "") -> ChatPage:
        self.page.goto(self.url + query)
        self.page.locator('#djai-app[data-state="ready"]').wait_for()
        return self

    @property
    def input(self) -> Any:
        return self.page.get_by_role("textbox", name="Your question")

    def assistant_messages(self) -> Any:
        return self.page.locator("#djai-log article.djai-assistant")

    def ask(self, question: str) -> Any:
        """Type the question, press Enter, and return the new assistant article."""
        before = self.assistant_messages().count()
        self.input.fill(question)
        self.input.press("Enter")
        return self.wait_for_reply(before)

    def wait_for_reply(self, before: int) -> Any:
        reply = self.assistant_messages().nth(before)
        reply.wait_for(timeout=ANSWER_TIMEOUT_MS)
        self.page.locator('#djai-app[data-state="ready"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
        return reply

    def screenshot(self, state: str, *, full_page: bool = True) -> Path:
        """Save the page as ``build/screenshots/<name>-<state>.png``. A full-page capture
        unsticks the sidebar and the composer, which would otherwise be drawn over the
        conversation where the viewport happened to be."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{re.sub(r'[^a-z0-9]+', '-', state.lower())}.png"
        style = UNSTICK if full_page else None
        self.page.screenshot(path=str(path), full_page=full_page, style=style)
        return path


def log_in(context: Any, base_url: str, user: User) -> None:
    """Give the browser the session of ``user`` (as the admin login would)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base_url}])


@pytest.fixture
def analyst(seeded: None) -> User:
    """A staff user who may use the assistant and see the SQL."""
    return make_staff("analyst", code=True)


@pytest.fixture
def chat_page(live_server: Any, page: Any, analyst: User, ui_settings: Any) -> Iterator[ChatPage]:
    """The page, open, for the analyst; the test fails on any uncaught script error."""
    log_in(page.context, live_server.url, analyst)
    chat_page = ChatPage(page, live_server.url, "desktop").open()
    yield chat_page
    assert chat_page.script_errors == []
