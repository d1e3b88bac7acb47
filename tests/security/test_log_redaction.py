"""Logs carry no personal data and no secret: configured PII patterns are redacted from
what users type, and values of secret or hidden fields never reach a log line (they never
leave the database in the first place).

Everything djai logs is captured at DEBUG level from every logger while questions, DSL runs
and failing queries go through the chat service (no HTTP: the service is what the API
calls).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from demo.shop.models import Customer
from djai_dsl.chat.service import ChatService
from djai_dsl.observability import log_event, redact
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def test_redact_removes_the_default_patterns():
    text = f"orders of {EMAIL}, paid with {CARD} or 4111-1111-1111-1111?"
    redacted = redact(text)
    assert EMAIL not in redacted and "4111" not in redacted
    assert redacted.count("[redacted]") == 3
    assert redact("revenue by country last month") == "revenue by country last month"


def test_redact_uses_the_configured_patterns(settings):
    settings.DJAI = {"LOG_REDACT_PATTERNS": [r"\bTKT-\d+\b"]}
    assert redact(f"ticket TKT-123 from {EMAIL}") == f"ticket [redacted] from {EMAIL}"
    settings.DJAI = {"LOG_REDACT_PATTERNS": []}
    assert redact(EMAIL) == EMAIL


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def service(make_user: Any) -> ChatService:
    return ChatService(make_user(is_superuser=True), clock=lambda: NOW)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.__dict__}" for record in caplog.records
    )


def secret_values() -> set[str]:
    values = {c.api_token for c in Customer.objects.exclude(api_token="")}
    values |= set(Customer.objects.values_list("email", flat=True))
    values |= set(get_user_model().objects.exclude(password="").values_list("password", flat=True))
    return values


def test_questions_are_logged_redacted(service, logs):
    chat = service.create_chat()
    service.send_message(chat.id, f"how many orders did {EMAIL} place with card {CARD}?")
    service.send_message(chat.id, f"orders shipped to DE, contact {EMAIL}")
    text = logged(logs)
    assert "djai_dsl" in text  # something was logged
    assert "[redacted]" in text  # the question was logged, with the PII taken out
    assert EMAIL not in text and CARD not in text


def test_dsl_runs_and_failures_log_no_pii_and_no_secret(service, logs):
    chat = service.create_chat()
    for dsl in [
        "from shop.customer select name, country, city limit 200",
        "from auth.user select username, is_staff",
        f'from shop.customer where name = "{EMAIL}"',
        f'from shop.customer where api_token = "{EMAIL}"',  # a hidden field: refused
        "from shop.customer where email is not null",  # a hidden field: refused
        "from shop.order where customer.api_token is not null",
    ]:
        service.run_query(chat.id, dsl)
    text = logged(logs)
    assert "djai_dsl" in text
    assert EMAIL not in text
    leaked = {value for value in secret_values() if value and value in text}
    assert not leaked


def test_log_event_writes_only_what_it_is_given(logs):
    log_event("stage", "trace-123456", stage="execute", rows=3)
    [record] = [r for r in logs.records if r.name == "djai_dsl.trace"]
    assert (
        '"rows": 3' in record.getMessage() and '"trace_id": "trace-123456"' in record.getMessage()
    )
