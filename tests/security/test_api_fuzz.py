"""Schemathesis against the API's own OpenAPI document: whatever a client sends, within the
schema or just outside it, the API answers with an envelope and never with a 5xx.

Bounded in the normal suite (``DJAI_FUZZ_EXAMPLES``, default 10 per operation, derandomized
so CI is repeatable). ``make fuzz`` runs about 10,000 requests and prints how many were 5xx
(``DJAI_FUZZ_COUNT_ONLY=1`` counts instead of failing on the first one)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from djai_dsl.api.openapi import openapi_document
from tests.fakes import make_staff

EXAMPLES = int(os.environ.get("DJAI_FUZZ_EXAMPLES", "10"))
COUNT_ONLY = os.environ.get("DJAI_FUZZ_COUNT_ONLY") == "1"
STATUSES: Counter[int] = Counter()

schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = get_wsgi_application()


@pytest.fixture(scope="module", autouse=True)
def report() -> Any:
    yield
    if STATUSES:
        server_errors = sum(n for status, n in STATUSES.items() if status >= 500)
        print(  # the count is what `make fuzz` is for
            f"\nAPI fuzz: {sum(STATUSES.values())} requests, {server_errors} with a 5xx status; "
            f"by status: {dict(sorted(STATUSES.items()))}"
        )


@pytest.fixture
def in_test_transaction() -> Any:
    """Requests go through the real WSGI handler, in the test's thread and transaction. Like
    Django's test client, keep its request signals from closing the connection mid-test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def session(
    db: Any, settings: Any, in_test_transaction: Any
) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of an admin session of a staff user who may use the assistant and
    see SQL, with a CSRF token, as the chat page would send them."""
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(make_staff("fuzzer", code=True))
    token = _get_new_csrf_string()
    cookies = {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        django_settings.CSRF_COOKIE_NAME: token,
    }
    return cookies, {"X-CSRFToken": token}


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_the_api_never_answers_with_a_server_error(case: Any, session: Any) -> None:
    cookies, headers = session
    case.cookies = {**(case.cookies or {}), **cookies}
    response = case.call(headers=headers)
    STATUSES[response.status_code] += 1
    if COUNT_ONLY:
        return
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    (content_type,) = response.headers.get("content-type", [""])
    assert content_type.startswith(("application/json", "text/csv", "text/plain")), content_type
