"""System checks with documented IDs (docs/settings.md describes each one and its fix).

========== ==============================================================================
djai.E001  ``DATABASE_ALIAS`` is not in ``DATABASES``
djai.E002  an integer setting is not an integer in range (or ``PAGE_SIZE`` > ``MAX_PAGE_SIZE``)
djai.E003  the registry has a mistake (a segment that does not parse, an unknown field...)
djai.E004  ``DJAI`` is not a dict
djai.E005  a setting has the wrong type or value (not an integer setting: see E002)
djai.E006  ``PLANNER`` or ``REPLAY_FALLBACK`` names no planner
djai.E007  the LLM planner is chosen but has no model, or no API key for OpenAI's endpoint
djai.E008  the replay planner is chosen but ``REPLAY_FILE`` is not a file
djai.W001  the role behind ``DATABASE_ALIAS`` can write (PostgreSQL, MariaDB/MySQL)
djai.W002  ``DJAI`` (or ``DJAI["LLM"]``, ``DJAI["ESCAPE_HATCH"]``) has a key djai does not know
djai.W003  ``ESCAPE_HATCH``: ``IMPORTS`` and ``ALLOWED_IMPORTS`` disagree (nothing can pass, or
           modules are listed but imports are denied)
========== ==============================================================================

Checks that read settings stay quiet when ``DJAI`` itself is malformed (E004 says so once),
rather than crash the whole check run. W001 asks the database, so it is tagged
``database`` and runs only when Django passes database aliases (``check --database``,
``migrate``). All carry the tag ``djai`` as well.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections
from django.utils.module_loading import import_string

from djai_dsl.conf import DEFAULTS, get_config

#: Every djai check has this tag too: ``manage.py check --tag djai`` runs only djai's.
TAG = "djai"


def _config() -> dict[str, Any] | None:
    """The merged settings, or None when ``DJAI`` is not a dict (E004 reports that)."""
    if not isinstance(getattr(settings, "DJAI", {}) or {}, Mapping):
        return None
    return get_config()


@register(Tags.database, Tags.compatibility, TAG)
def check_database_alias(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    cfg = _config()
    if cfg is None:
        return []
    alias = cfg["DATABASE_ALIAS"]
    if isinstance(alias, str) and alias not in settings.DATABASES:  # not a str: E005
        return [
            Error(
                f"DJAI['DATABASE_ALIAS'] is {alias!r}, which is not in DATABASES.",
                hint="Set it to one of: " + ", ".join(sorted(settings.DATABASES)),
                id="djai.E001",
            )
        ]
    return []


@register(Tags.compatibility, TAG)
def check_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E002 for every integer setting (top-level and in ``LLM``), by the rules below."""
    cfg = _config()
    if cfg is None:
        return []
    errors: list[CheckMessage] = [
        Error(message, id=rule.id)
        for key, value, rule in _rule_values(cfg)
        if rule.id == "djai.E002" and (message := rule.problem(key, value))
    ]
    if not errors and cfg["PAGE_SIZE"] > cfg["MAX_PAGE_SIZE"]:
        errors.append(
            Error("DJAI['PAGE_SIZE'] is larger than DJAI['MAX_PAGE_SIZE'].", id="djai.E002")
        )
    return errors


@register(Tags.models, TAG)
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Read the whole registry once, so that its mistakes (a segment that does not parse, a
    misspelt hidden field) stop ``runserver``/``migrate`` instead of failing on the first
    question."""
    cfg = _config()
    if cfg is None or not all(
        STRINGS.accepts(cfg[k]) for k in ("SECRET_FIELD_PATTERNS", "EXCLUDED_APPS")
    ):
        return []  # E004 / E005 say why; reading the registry with them would crash
    from djai_dsl.manifest.builder import registry_errors

    return [Error(exc.message, hint=exc.hint or None, id="djai.E003") for exc in registry_errors()]


# --------------------------------------------------------------------- settings' shapes


@dataclass(frozen=True)
class Rule:
    """What one setting accepts: ``accepts(value)`` is True for a good value; ``expected``
    completes "must be ..." in the message."""

    accepts: Callable[[Any], bool]
    expected: str
    id: str = "djai.E005"

    def problem(self, key: str, value: Any) -> str | None:
        if self.accepts(value):
            return None
        return f"DJAI{key} must be {self.expected}, not {value!r}."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_strings(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _is_regexes(value: Any) -> bool:
    if not _is_strings(value):
        return False
    try:
        for pattern in value:
            re.compile(pattern)
    except re.error:
        return False
    return True


def _is_callable_path(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        return callable(import_string(value))
    except ImportError:
        return False


POSITIVE_INT = Rule(lambda v: _is_int(v) and v >= 1, "a positive integer", "djai.E002")
COUNT = Rule(lambda v: _is_int(v) and v >= 0, "zero or a positive integer", "djai.E002")
OPTIONAL_POSITIVE_INT = Rule(
    lambda v: v is None or (_is_int(v) and v >= 1), "None or a positive integer", "djai.E002"
)
FRACTION = Rule(lambda v: _is_number(v) and 0 <= v <= 1, "a number from 0 to 1")
POSITIVE_NUMBER = Rule(lambda v: _is_number(v) and v > 0, "a positive number")
NON_NEGATIVE_NUMBER = Rule(lambda v: _is_number(v) and v >= 0, "zero or a positive number")
BOOLEAN = Rule(lambda v: isinstance(v, bool), "True or False")
TEXT = Rule(lambda v: isinstance(v, str), "a string")
NAME = Rule(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
STRINGS = Rule(_is_strings, "a list of strings")
REGEXES = Rule(_is_regexes, "a list of valid regular expressions")
CALLABLE_PATH = Rule(_is_callable_path, "None or the dotted path of a callable")

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _is_module_names(value: Any) -> bool:
    return _is_strings(value) and all(_MODULE_NAME.match(v) for v in value)


#: top-level setting -> rule. Every key of DEFAULTS has one (tests/test_checks.py).
RULES: dict[str, Rule] = {
    "PLANNER": NAME,
    "REPLAY_FILE": TEXT,
    "REPLAY_FALLBACK": TEXT,
    "DATABASE_ALIAS": NAME,
    "STATEMENT_TIMEOUT_MS": POSITIVE_INT,
    "PAGE_SIZE": POSITIVE_INT,
    "MAX_PAGE_SIZE": POSITIVE_INT,
    "MAX_LIMIT": POSITIVE_INT,
    "MAX_DSL_LENGTH": POSITIVE_INT,
    "MAX_CONDITION_DEPTH": POSITIVE_INT,
    "MAX_CONDITIONS": POSITIVE_INT,
    "MAX_IN_VALUES": POSITIVE_INT,
    "MAX_RELATION_HOPS": POSITIVE_INT,
    "MAX_AGGREGATES": POSITIVE_INT,
    "MAX_GROUP_KEYS": POSITIVE_INT,
    "MAX_SELECT": POSITIVE_INT,
    "SECRET_FIELD_PATTERNS": STRINGS,
    "EXCLUDED_APPS": STRINGS,
    "CURSOR_SALT": NAME,
    "CURSOR_MAX_AGE": POSITIVE_INT,
    "ANSWER_CONFIDENCE": FRACTION,
    "CLARIFY_CONFIDENCE": FRACTION,
    "OUT_OF_SCOPE_CONFIDENCE": FRACTION,
    "HISTORY_MESSAGES": COUNT,
    "SUMMARY_MAX_CHARS": POSITIVE_INT,
    "CLARIFICATION_TTL_SECONDS": POSITIVE_INT,
    "MAX_MESSAGE_LENGTH": POSITIVE_INT,
    "MAX_REQUEST_BYTES": POSITIVE_INT,
    "RATE_LIMIT_PER_MINUTE": OPTIONAL_POSITIVE_INT,
    "SHOW_CODE": BOOLEAN,
    "CLOCK": CALLABLE_PATH,
    "SUMMARIZER": CALLABLE_PATH,
    "LOG_REDACT_PATTERNS": REGEXES,
    "METRICS_WINDOW_HOURS": POSITIVE_INT,
    "PREVIEW_BEFORE_RUN": BOOLEAN,
    "EXPORT_MAX_ROWS": POSITIVE_INT,
    "ESCAPE_HATCH": Rule(lambda v: isinstance(v, Mapping), "a dict"),
}

#: ``DJAI["ESCAPE_HATCH"]`` key -> rule. Every key of DEFAULTS["ESCAPE_HATCH"] has one.
ESCAPE_RULES: dict[str, Rule] = {
    "ENABLED": BOOLEAN,
    "IMPORTS": Rule(lambda v: v in ("deny", "allowlist"), "'deny' or 'allowlist'"),
    "ALLOWED_IMPORTS": Rule(_is_module_names, "a list of dotted module names"),
    "MAX_CHARS": POSITIVE_INT,
    "MAX_NODES": POSITIVE_INT,
    "MAX_DEPTH": POSITIVE_INT,
    "MAX_CALL_DEPTH": POSITIVE_INT,
}

#: ``DJAI["LLM"]`` key -> rule. Every key of DEFAULTS["LLM"] has one.
LLM_RULES: dict[str, Rule] = {
    "BASE_URL": TEXT,
    "MODEL": TEXT,
    "API_KEY_ENV": TEXT,
    "MODE": Rule(lambda v: v in ("tools", "json"), "'tools' or 'json'"),
    "TIMEOUT_S": POSITIVE_NUMBER,
    "MAX_RETRIES": COUNT,
    "RETRY_BACKOFF_S": NON_NEGATIVE_NUMBER,
    "RETRY_BACKOFF_MAX_S": NON_NEGATIVE_NUMBER,
    "MAX_REASKS": COUNT,
    "TEMPERATURE": Rule(lambda v: _is_number(v) and 0 <= v <= 2, "a number from 0 to 2"),
    "MAX_TOKENS": OPTIONAL_POSITIVE_INT,
    "HISTORY_TURNS": COUNT,
    "RECORD": BOOLEAN,
}


def _rule_values(cfg: Mapping[str, Any]) -> list[tuple[str, Any, Rule]]:
    """(printable key, value, rule) for every setting that has a rule."""
    found = [(f"[{key!r}]", cfg[key], rule) for key, rule in RULES.items() if key in cfg]
    llm = cfg.get("LLM")
    if isinstance(llm, Mapping):
        found += [
            (f"['LLM'][{key!r}]", llm[key], rule) for key, rule in LLM_RULES.items() if key in llm
        ]
    hatch = cfg.get("ESCAPE_HATCH")
    if isinstance(hatch, Mapping):
        found += [
            (f"['ESCAPE_HATCH'][{key!r}]", hatch[key], rule)
            for key, rule in ESCAPE_RULES.items()
            if key in hatch
        ]
    return found


@register(Tags.compatibility, TAG)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E004 for a ``DJAI`` that is not a dict, E005 for values of the wrong type, W002 for
    keys djai does not know (a misspelt key would otherwise be ignored in silence)."""
    user = getattr(settings, "DJAI", {}) or {}
    if not isinstance(user, Mapping):
        return [
            Error(
                f"DJAI must be a dict, not {type(user).__name__}.",
                hint='e.g. DJAI = {"PLANNER": "offline", "DATABASE_ALIAS": "default"}',
                id="djai.E004",
            )
        ]
    cfg = get_config()
    messages: list[CheckMessage] = [
        Error(message, id=rule.id)
        for key, value, rule in _rule_values(cfg)
        if rule.id == "djai.E005" and (message := rule.problem(key, value))
    ]
    if "LLM" in cfg and not isinstance(cfg["LLM"], Mapping):
        messages.append(Error(f"DJAI['LLM'] must be a dict, not {cfg['LLM']!r}.", id="djai.E005"))
    if not messages and cfg["CLARIFY_CONFIDENCE"] > cfg["ANSWER_CONFIDENCE"]:
        messages.append(
            Error(
                "DJAI['CLARIFY_CONFIDENCE'] is above DJAI['ANSWER_CONFIDENCE'].",
                hint="Plans below CLARIFY_CONFIDENCE are refused and plans from "
                "ANSWER_CONFIDENCE up run, so CLARIFY_CONFIDENCE must be the lower one.",
                id="djai.E005",
            )
        )
    messages += _unknown_keys(user, DEFAULTS, "DJAI")
    if isinstance(user.get("LLM"), Mapping):
        messages += _unknown_keys(user["LLM"], DEFAULTS["LLM"], "DJAI['LLM']")
    if isinstance(user.get("ESCAPE_HATCH"), Mapping):
        messages += _unknown_keys(
            user["ESCAPE_HATCH"], DEFAULTS["ESCAPE_HATCH"], "DJAI['ESCAPE_HATCH']"
        )
    return messages


@register(Tags.compatibility, TAG)
def check_escape_hatch(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W003 when the import mode and the import allowlist contradict each other."""
    cfg = _config()
    hatch = cfg.get("ESCAPE_HATCH") if cfg is not None else None
    if not isinstance(hatch, Mapping) or not _is_module_names(hatch.get("ALLOWED_IMPORTS", [])):
        return []  # E005 says why
    mode, modules = hatch.get("IMPORTS"), list(hatch.get("ALLOWED_IMPORTS", []))
    if mode == "allowlist" and not modules:
        return [
            Warning(
                "DJAI['ESCAPE_HATCH']['IMPORTS'] is 'allowlist' but ALLOWED_IMPORTS is empty: "
                "every import is refused, as with 'deny'.",
                hint="List the modules snippets may name, e.g. ['django.db.models'], or use "
                "'deny'.",
                id="djai.W003",
            )
        ]
    if mode == "deny" and modules:
        return [
            Warning(
                "DJAI['ESCAPE_HATCH']['ALLOWED_IMPORTS'] lists modules, but IMPORTS is "
                "'deny': they are ignored.",
                hint="Set IMPORTS to 'allowlist' to use them, or remove them.",
                id="djai.W003",
            )
        ]
    return []


def _unknown_keys(user: Mapping[str, Any], known: Mapping[str, Any], where: str) -> list[Warning]:
    warnings = []
    for key in user:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), list(known), n=1)
        hint = f"Did you mean {close[0]!r}?" if close else "See docs/settings.md for the keys."
        warnings.append(
            Warning(
                f"{where} has an unknown key {key!r}; it is ignored.", hint=hint, id="djai.W002"
            )
        )
    return warnings


# --------------------------------------------------------------------- planners


@register(Tags.compatibility, TAG)
def check_planner(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E006 for a planner that cannot be loaded, E007/E008 for a built-in planner whose
    settings cannot work. Built-in planners are not imported here (the LLM one pulls in
    the provider SDKs); a dotted path is, since that is the only way to know it exists."""
    cfg = _config()
    if cfg is None or not isinstance(cfg["PLANNER"], str):
        return []
    from djai_dsl.planners.select import BUILTIN

    messages: list[CheckMessage] = []
    for key in ("PLANNER", "REPLAY_FALLBACK"):
        choice = cfg.get(key)
        if not choice or not isinstance(choice, str) or choice in BUILTIN:
            continue
        try:
            planner = import_string(choice)
        except ImportError as exc:
            problem = f"cannot be imported ({exc})"
        else:
            problem = "" if callable(getattr(planner, "plan", None)) else "has no plan() method"
        if problem:
            messages.append(
                Error(
                    f"DJAI[{key!r}] is {choice!r}, which {problem}.",
                    hint="Use "
                    + ", ".join(repr(n) for n in BUILTIN)
                    + " or the dotted path of a class with a plan() method.",
                    id="djai.E006",
                )
            )
    uses = {cfg["PLANNER"], cfg.get("REPLAY_FALLBACK") if cfg["PLANNER"] == "replay" else None}
    if "llm" in uses and isinstance(cfg.get("LLM"), Mapping):
        messages += _llm_problems(cfg["LLM"])
    if cfg["PLANNER"] == "replay":
        replay_file = cfg.get("REPLAY_FILE")
        if not isinstance(replay_file, str) or not replay_file or not Path(replay_file).is_file():
            messages.append(
                Error(
                    f"DJAI['PLANNER'] is 'replay' but DJAI['REPLAY_FILE'] ({replay_file!r}) "
                    "is not a file.",
                    hint="Record one with DJAI['LLM']['RECORD'] = True, or choose another planner.",
                    id="djai.E008",
                )
            )
    return messages


def _llm_problems(llm: Mapping[str, Any]) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if not llm.get("MODEL"):
        problems.append(
            Error(
                "DJAI['PLANNER'] uses the LLM planner but DJAI['LLM']['MODEL'] is empty.",
                hint="Name the model the endpoint serves, e.g. 'gpt-4o-mini' or 'qwen2.5:7b'.",
                id="djai.E007",
            )
        )
    key_env = llm.get("API_KEY_ENV") or ""
    # OpenAI's own endpoint (no BASE_URL) always needs a key; local servers usually do not.
    if not llm.get("BASE_URL") and not (key_env and os.environ.get(key_env)):
        where = (
            f"the environment variable {key_env!r} is not set"
            if key_env
            else "API_KEY_ENV is empty"
        )
        problems.append(
            Error(
                f"The LLM planner calls OpenAI's endpoint, but {where}.",
                hint="Set the variable (the key never goes in settings), or point "
                "DJAI['LLM']['BASE_URL'] at a local server (Ollama, vLLM, llama.cpp).",
                id="djai.E007",
            )
        )
    return problems


# --------------------------------------------------------------------- the database role


@register(Tags.database, TAG)
def check_database_role(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001 when the role djai's queries run as may write to the tables djai reads.

    djai's executor refuses writes itself (read-only transaction, statement guard), but a
    role that cannot write is the guarantee that does not depend on djai: see SECURITY.md.
    One catalogue query, only when Django asks for database checks on that alias.
    """
    cfg = _config()
    if cfg is None or not databases:
        return []
    alias = cfg["DATABASE_ALIAS"]
    if not isinstance(alias, str) or alias not in databases or alias not in settings.DATABASES:
        return []
    connection = connections[alias]
    probe = _WRITE_PROBES.get(connection.vendor)
    if probe is None:  # SQLite: no roles; the executor's authorizer refuses writes
        return []
    tables = _queried_tables(cfg)
    try:
        with connection.cursor() as cursor:
            found = probe(cursor, tables, connection)
    except DatabaseError:
        return []  # no connection: Django's own database checks report that
    if found is None:
        return []
    role, writable = found
    return [
        Warning(
            f"DJAI['DATABASE_ALIAS'] {alias!r} connects as {role!r}, which can write to "
            f"{len(writable)} of the tables djai reads (e.g. {', '.join(writable[:3])}).",
            hint="Give djai its own alias with a role that has SELECT only (or a read "
            "replica) and set DJAI['DATABASE_ALIAS'] to it. See docs/settings.md.",
            id="djai.W001",
        )
    ]


def _queried_tables(cfg: Mapping[str, Any]) -> list[str]:
    excluded = {str(label).lower() for label in cfg.get("EXCLUDED_APPS") or []}
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if model._meta.app_label.lower() not in excluded and not model._meta.proxy
        }
    )


def _postgres_writable(cursor: Any, tables: list[str], connection: Any) -> Any:
    cursor.execute("SELECT current_user, pg_catalog.pg_is_in_recovery()")
    role, standby = cursor.fetchone()
    if standby:  # a hot standby refuses every write
        return None
    cursor.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c"
        " WHERE c.relkind IN ('r', 'p') AND c.relname = ANY(%s)"
        " AND pg_catalog.pg_table_is_visible(c.oid)"
        " AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')"
        " ORDER BY c.relname",
        [tables],
    )
    writable = [row[0] for row in cursor.fetchall()]
    return (role, writable) if writable else None


_MYSQL_WRITE_PRIVILEGES = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "DROP",
    "ALTER",
    "CREATE",
    "ALL PRIVILEGES",
)


def _mysql_writable(cursor: Any, tables: list[str], connection: Any) -> Any:
    cursor.execute("SELECT CURRENT_USER(), @@GLOBAL.read_only")
    current, read_only = cursor.fetchone()
    user, _, host = str(current).rpartition("@")
    grantees = [f"'{user}'@'{host}'"]
    if connection.mysql_is_mariadb:
        cursor.execute("SELECT CURRENT_ROLE()")
        role = cursor.fetchone()[0]
        if role:
            grantees.append(f"'{role}'")
    marks = ", ".join(["%s"] * len(grantees))
    kinds = ", ".join(["%s"] * len(_MYSQL_WRITE_PRIVILEGES))
    cursor.execute(
        f"SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE IN ({marks})",
        grantees,
    )
    global_privileges = {row[0] for row in cursor.fetchall()}
    if read_only and not global_privileges & {"SUPER", "READ_ONLY ADMIN"}:
        return None  # a read-only server (replica) that this account cannot override
    if global_privileges & set(_MYSQL_WRITE_PRIVILEGES):
        return (str(current), tables)
    cursor.execute(
        f"SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE IN ({marks})"
        f" AND TABLE_SCHEMA = DATABASE() AND PRIVILEGE_TYPE IN ({kinds}) LIMIT 1",
        [*grantees, *_MYSQL_WRITE_PRIVILEGES],
    )
    if cursor.fetchone():
        return (str(current), tables)
    if not tables:
        return None
    names = ", ".join(["%s"] * len(tables))
    cursor.execute(
        f"SELECT DISTINCT TABLE_NAME FROM information_schema.TABLE_PRIVILEGES"
        f" WHERE GRANTEE IN ({marks}) AND TABLE_SCHEMA = DATABASE()"
        f" AND TABLE_NAME IN ({names}) AND PRIVILEGE_TYPE IN ({kinds}) ORDER BY TABLE_NAME",
        [*grantees, *tables, *_MYSQL_WRITE_PRIVILEGES],
    )
    writable = [row[0] for row in cursor.fetchall()]
    return (str(current), writable) if writable else None


_WRITE_PROBES: dict[str, Callable[[Any, list[str], Any], Any]] = {
    "postgresql": _postgres_writable,
    "mysql": _mysql_writable,
}
