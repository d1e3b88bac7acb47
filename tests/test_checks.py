"""System checks (djai_dsl/checks.py): each documented ID fires on the misconfiguration it
names, and a correct configuration passes. Run through Django's ``run_checks`` as
``manage.py check`` would, except W001, which needs the test database."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test import override_settings

from djai_dsl import checks
from djai_dsl.conf import DEFAULTS
from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parent.parent


def ids(**djai: object) -> list[str]:
    """The djai check IDs ``manage.py check`` reports with these DJAI settings."""
    with override_settings(DJAI=djai):
        return sorted(
            m.id for m in run_checks(tags=[checks.TAG]) if m.id and m.id.startswith("djai.")
        )


def messages(check_id: str, **djai: object) -> list[str]:
    with override_settings(DJAI=djai):
        return [m.msg for m in run_checks(tags=[checks.TAG]) if m.id == check_id]


def test_default_settings_pass() -> None:
    assert ids() == []


def test_every_setting_has_a_rule() -> None:
    assert set(checks.RULES) == set(DEFAULTS) - {"LLM"}
    assert set(checks.LLM_RULES) == set(DEFAULTS["LLM"])
    assert set(checks.ESCAPE_RULES) == set(DEFAULTS["ESCAPE_HATCH"])
    for key, rule in checks.RULES.items():
        assert rule.accepts(DEFAULTS[key]), key
    for key, rule in checks.LLM_RULES.items():
        assert rule.accepts(DEFAULTS["LLM"][key]), key
    for key, rule in checks.ESCAPE_RULES.items():
        assert rule.accepts(DEFAULTS["ESCAPE_HATCH"][key]), key


@pytest.mark.parametrize(
    ("hatch", "check_id"),
    [
        ({"ENABLED": "yes"}, "djai.E005"),
        ({"IMPORTS": "allow"}, "djai.E005"),
        ({"ALLOWED_IMPORTS": ["os; rm"]}, "djai.E005"),
        ({"ALLOWED_IMPORTS": "django.db.models"}, "djai.E005"),
        ({"MAX_NODES": 0}, "djai.E002"),
        ({"MAX_CHARS": "4000"}, "djai.E002"),
        ({"MAX_CAL_DEPTH": 3}, "djai.W002"),
        ({"IMPORTS": "allowlist"}, "djai.W003"),
        ({"ALLOWED_IMPORTS": ["django.db.models"]}, "djai.W003"),
    ],
)
def test_escape_hatch_settings_are_checked(hatch: dict[str, object], check_id: str) -> None:
    assert ids(ESCAPE_HATCH=hatch) == [check_id]


def test_escape_hatch_allowlist_with_modules_passes() -> None:
    hatch = {"ENABLED": True, "IMPORTS": "allowlist", "ALLOWED_IMPORTS": ["django.db.models"]}
    assert ids(ESCAPE_HATCH=hatch) == []


def test_e001_unknown_database_alias() -> None:
    assert ids(DATABASE_ALIAS="replica") == ["djai.E001"]


@pytest.mark.parametrize(
    "djai",
    [
        {"PAGE_SIZE": 0},
        {"MAX_LIMIT": "100"},
        {"STATEMENT_TIMEOUT_MS": True},
        {"HISTORY_MESSAGES": -1},
        {"RATE_LIMIT_PER_MINUTE": 0},
        {"PAGE_SIZE": 500, "MAX_PAGE_SIZE": 100},
        {"LLM": {"MAX_RETRIES": 1.5}},
    ],
)
def test_e002_integer_settings(djai: dict[str, object]) -> None:
    assert ids(**djai) == ["djai.E002"]


def test_e002_accepts_none_where_documented() -> None:
    assert ids(RATE_LIMIT_PER_MINUTE=None, HISTORY_MESSAGES=0) == []


def test_e004_djai_not_a_dict() -> None:
    with override_settings(DJAI=["PLANNER", "offline"]):
        found = [m for m in run_checks(tags=[checks.TAG]) if m.id and m.id.startswith("djai.")]
    assert [m.id for m in found] == ["djai.E004"]  # and no other check crashes on it


@pytest.mark.parametrize(
    ("djai", "fragment"),
    [
        ({"SHOW_CODE": "yes"}, "SHOW_CODE'] must be True or False"),
        ({"ANSWER_CONFIDENCE": 1.5}, "from 0 to 1"),
        ({"SECRET_FIELD_PATTERNS": "password"}, "list of strings"),
        ({"EXCLUDED_APPS": 7}, "list of strings"),
        ({"LOG_REDACT_PATTERNS": ["(unclosed"]}, "valid regular expressions"),
        ({"CLOCK": "no.such.module.now"}, "dotted path of a callable"),
        ({"CURSOR_SALT": ""}, "non-empty string"),
        ({"LLM": {"MODE": "xml"}}, "'tools' or 'json'"),
        ({"LLM": "gpt"}, "DJAI['LLM'] must be a dict"),
        ({"CLARIFY_CONFIDENCE": 0.9, "ANSWER_CONFIDENCE": 0.5}, "CLARIFY_CONFIDENCE'] is above"),
    ],
)
def test_e005_wrong_types(djai: dict[str, object], fragment: str) -> None:
    found = messages("djai.E005", **djai)
    assert len(found) == 1 and fragment in found[0], found
    assert ids(**djai) == ["djai.E005"]  # and no other check stumbles over the bad value


def test_e005_accepts_a_callable_clock() -> None:
    assert ids(CLOCK="django.utils.timezone.now") == []


def test_e006_planner_that_cannot_be_loaded() -> None:
    assert ids(PLANNER="no.such.Planner") == ["djai.E006"]
    assert ids(PLANNER="os.path.join") == ["djai.E006"]  # importable, but not a planner
    assert ids(PLANNER="offline", REPLAY_FALLBACK="no.such.Planner") == ["djai.E006"]


def test_e007_llm_without_model_or_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJAI_TEST_KEY", raising=False)
    llm = {"API_KEY_ENV": "DJAI_TEST_KEY"}
    assert ids(PLANNER="llm", LLM=llm) == ["djai.E007", "djai.E007"]
    monkeypatch.setenv("DJAI_TEST_KEY", "sk-test")
    assert ids(PLANNER="llm", LLM={**llm, "MODEL": "gpt-4o-mini"}) == []


def test_e007_local_server_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    local = {"BASE_URL": "http://127.0.0.1:11434/v1", "MODEL": "qwen2.5:7b", "MODE": "json"}
    assert ids(PLANNER="llm", LLM=local) == []


def test_e008_replay_without_file(tmp_path: Path) -> None:
    assert ids(PLANNER="replay") == ["djai.E008"]
    assert ids(PLANNER="replay", REPLAY_FILE=str(tmp_path / "missing.json")) == ["djai.E008"]
    recording = tmp_path / "replay.json"
    recording.write_text("[]")
    assert ids(PLANNER="replay", REPLAY_FILE=str(recording)) == []


def test_w002_unknown_key_suggests_the_close_one() -> None:
    with override_settings(DJAI={"PAGE_SIZ": 10, "LLM": {"MODELL": "x"}}):
        found = [m for m in run_checks(tags=[checks.TAG]) if m.id == "djai.W002"]
    assert [m.hint for m in found] == ["Did you mean 'PAGE_SIZE'?", "Did you mean 'MODEL'?"]


# ------------------------------------------------------------------------- W001


@pytest.mark.django_db
def test_w001_only_runs_as_a_database_check() -> None:
    assert checks.check_database_role() == []  # plain `manage.py check`
    assert checks.check_database_role(databases=["other"]) == []


@pytest.mark.django_db
def test_w001_writable_role() -> None:
    found = checks.check_database_role(databases=["default"])
    if BACKEND == "sqlite":
        assert found == []  # no roles; the executor's authorizer refuses writes
    else:
        # CI connects as postgres / root, who can write everything.
        assert [m.id for m in found] == ["djai.W001"]
        assert "shop_order" in found[0].msg or "tables djai reads" in found[0].msg


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL roles")
def test_w001_quiet_for_a_select_only_role() -> None:
    role = f"djai_reader_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        try:
            cursor.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
            cursor.execute(f'SET ROLE "{role}"')
            try:
                assert checks.check_database_role(databases=["default"]) == []
            finally:
                cursor.execute("RESET ROLE")
        finally:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


# ------------------------------------------------------------------------- docs


def test_every_check_id_is_documented() -> None:
    source = Path(checks.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'id="(djai\.[EW]\d{3})"', source))
    used |= set(re.findall(r'Rule\([^)]*"(djai\.[EW]\d{3})"', source))
    docs = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `?(djai\.[EW]\d{3})", docs, re.MULTILINE))
    assert used <= documented, f"undocumented: {sorted(used - documented)}"
    assert documented <= used | {"djai.E002", "djai.E005"}, sorted(documented - used)


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([A-Z_]+)`", docs, re.MULTILINE))
    assert set(DEFAULTS) - documented == set(), "add them to docs/settings.md"
    llm = set(re.findall(r"^\| `([A-Z_]+)` \|", docs, re.MULTILINE))
    assert set(DEFAULTS["LLM"]) - llm == set(), "add them to the LLM table in docs/settings.md"
    assert set(DEFAULTS["ESCAPE_HATCH"]) - llm == set(), "add them to the ESCAPE_HATCH table"
