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
    # The LLM planner ("PLANNER": "llm"): any OpenAI-compatible chat-completions endpoint.
    # A partial "LLM" dict in the host's settings is merged over these keys.
    "LLM": {
        # Endpoint, e.g. "http://127.0.0.1:11434/v1" (Ollama); "" is OpenAI's own.
        "BASE_URL": "",
        # Model name as the endpoint knows it; the LLM planner refuses to start without one.
        "MODEL": "",
        # Name of the environment variable holding the API key (the key never sits in
        # settings). Unset or empty is fine for local servers that want no key.
        "API_KEY_ENV": "OPENAI_API_KEY",
        # How instructor asks for structure: "tools" (function calling) or "json" (JSON
        # mode, for local models without reliable tool calls: Ollama, vLLM, llama.cpp).
        "MODE": "tools",
        # Seconds to wait for one HTTP response.
        "TIMEOUT_S": 30,
        # Transport retries after a timeout, connection error, 5xx or rate limit, with
        # exponential backoff from RETRY_BACKOFF_S up to RETRY_BACKOFF_MAX_S seconds.
        "MAX_RETRIES": 2,
        "RETRY_BACKOFF_S": 0.5,
        "RETRY_BACKOFF_MAX_S": 8.0,
        # Re-asks after an answer that does not validate (bad JSON, unknown field, ...).
        "MAX_REASKS": 2,
        "TEMPERATURE": 0,
        # Upper bound on the answer's tokens; None leaves it to the endpoint.
        "MAX_TOKENS": None,
        # Earlier turns shown to the model (after the chat's own HISTORY_MESSAGES cut).
        "HISTORY_TURNS": 6,
        # Record every answer into REPLAY_FILE, for replay in CI without a model.
        "RECORD": False,
    },
    # The replay planner ("PLANNER": "replay"): recorded answers, keyed by question and
    # previous plan, in a .json or .yaml file. On a question with no recording it raises
    # replay_miss, or asks REPLAY_FALLBACK ("llm", "offline", a dotted path) when set.
    "REPLAY_FILE": "",
    "REPLAY_FALLBACK": "",
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
    # --- chat and API (djai_dsl/chat, djai_dsl/api)
    # A plan the planner is at least this sure of runs; between CLARIFY_CONFIDENCE and this,
    # the user is asked to confirm the reading first; below CLARIFY_CONFIDENCE it is refused.
    "ANSWER_CONFIDENCE": 0.6,
    "CLARIFY_CONFIDENCE": 0.3,
    # The router answers "out of scope" / "help" without planning when it is this sure.
    "OUT_OF_SCOPE_CONFIDENCE": 0.8,
    # How many earlier messages the planner sees, and the summary's length bound.
    "HISTORY_MESSAGES": 10,
    "SUMMARY_MAX_CHARS": 800,
    # A pending clarifying question can be answered for this long (seconds).
    "CLARIFICATION_TTL_SECONDS": 1800,
    # Bounds on what a client may send: characters of one message, bytes of one request body.
    "MAX_MESSAGE_LENGTH": 2000,
    "MAX_REQUEST_BYTES": 65536,
    # Questions per user per minute (message, plan and run calls); None switches it off.
    "RATE_LIMIT_PER_MINUTE": 30,
    # Show the compiled SQL (data.code) to users with djai_dsl.view_generated_code; False
    # hides it from everyone.
    "SHOW_CODE": True,
    # Dotted path to a zero-argument callable returning an aware datetime used as "now";
    # None is django.utils.timezone.now. For reproducible demos and tests.
    "CLOCK": None,
    # Regular expressions whose matches are replaced by "[redacted]" in djai's logs.
    "LOG_REDACT_PATTERNS": [
        r"[\w.+-]+@[\w-]+\.[\w.-]+",  # e-mail addresses
        r"\b(?:\d[ -]?){12,19}\b",  # card and account numbers
    ],
    # Period the rates and latency quantiles of /metrics and `djai stats` are computed over.
    "METRICS_WINDOW_HOURS": 24,
    # Dotted path to a callable that rewrites the conversation summary after an answer, with
    # the arguments of djai_dsl.chat.context.update_summary (e.g. one that asks an LLM);
    # None keeps the deterministic summary. A failing summarizer falls back to it.
    "SUMMARIZER": None,
    # --- the admin chat page (djai_dsl/pages.py) and API extras it uses
    # Stop every data question at a preview of its plan (DSL text, explanation, resolved
    # dates) with Run and Edit, instead of running it at once (GET api/capabilities says so).
    "PREVIEW_BEFORE_RUN": False,
    # Rows a CSV export of one answer holds at most (api/.../export.csv stops there).
    "EXPORT_MAX_ROWS": 100_000,
    # --- the escape hatch (djai_dsl/escape): ORM snippets for questions a plan cannot
    # express, checked by an AST guard and interpreted by djai (never exec'd). Off by
    # default; when on, only users with djai_dsl.use_escape_hatch (superusers) may use it.
    # A partial dict in the host's settings is merged over these keys.
    "ESCAPE_HATCH": {
        "ENABLED": False,
        # "deny": any import statement is refused. "allowlist": `from M import A, B` passes
        # (and does nothing) when M is in ALLOWED_IMPORTS and A, B are preloaded symbols.
        "IMPORTS": "deny",
        "ALLOWED_IMPORTS": [],
        # Size limits: characters of source, AST nodes, nesting depth of the tree, and
        # nesting of calls (a chain of methods counts one per call).
        "MAX_CHARS": 4000,
        "MAX_NODES": 600,
        "MAX_DEPTH": 40,
        "MAX_CALL_DEPTH": 24,
    },
}


@cache
def get_config() -> dict[str, Any]:
    user = getattr(settings, "DJAI", {}) or {}
    merged = dict(DEFAULTS)
    merged.update(user)
    # Dict settings (e.g. "LLM") merge one level deep, so a host sets only what it changes.
    for key, default in DEFAULTS.items():
        if isinstance(default, dict) and isinstance(user.get(key), dict):
            merged[key] = {**default, **user[key]}
    return merged


@receiver(setting_changed)
def _reset_config(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJAI":
        get_config.cache_clear()
