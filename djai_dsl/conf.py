"""Settings: one ``DJAI`` dict in the host's settings, merged over these defaults.

Read with ``get_config()``; the merged dict is cached and reset when tests change settings
(``setting_changed``), the way django-debug-toolbar does it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # Which planner turns questions into plans: "offline" (rules, no provider), "llm",
    # "replay", or a dotted path to a Planner class.
    "PLANNER": "offline",
    # Which database alias runs user queries. Point it at a read replica or a read-only role
    # in production (see SECURITY.md).
    "DATABASE_ALIAS": "default",
    # Statement timeout for one query, in milliseconds.
    "STATEMENT_TIMEOUT_MS": 5000,
    # Rows per page of an answer, and the most a client may ask for per page.
    "PAGE_SIZE": 100,
    "MAX_PAGE_SIZE": 1000,
    # The largest ``limit`` a plan may ask for (pagination still applies below it).
    "MAX_LIMIT": 10000,
    # Bounds on input and plan complexity.
    "MAX_DSL_LENGTH": 10000,
    "MAX_CONDITION_DEPTH": 8,
    "MAX_CONDITIONS": 50,
    "MAX_IN_VALUES": 500,
    "MAX_RELATION_HOPS": 4,
    "MAX_AGGREGATES": 20,
    "MAX_GROUP_KEYS": 6,
    "MAX_SELECT": 50,
    # Field names matching any of these (case-insensitive substrings of the name) are never
    # exposed, whatever the registry says.
    "SECRET_FIELD_PATTERNS": [
        "password",
        "passwd",
        "token",
        "secret",
        "api_key",
        "apikey",
        "private_key",
        "hash",
        "salt",
        "otp",
        "totp",
        "mfa",
        "session_key",
        "credential",
        "ssn",
    ],
    # App labels whose models are never in the manifest (framework internals).
    "EXCLUDED_APPS": ["admin", "contenttypes", "sessions", "djai_dsl", "migrations"],
    # Salt for signed pagination cursors.
    "CURSOR_SALT": "djai.cursor",
    # Cursors older than this are rejected (seconds).
    "CURSOR_MAX_AGE": 3600,
}


@cache
def get_config() -> dict[str, Any]:
    user = getattr(settings, "DJAI", {}) or {}
    merged = dict(DEFAULTS)
    merged.update(user)
    return merged


@receiver(setting_changed)
def _reset_config(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJAI":
        get_config.cache_clear()
