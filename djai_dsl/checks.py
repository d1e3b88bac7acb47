"""System checks with documented IDs (see docs/settings.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from djai_dsl.conf import get_config


@register(Tags.database, Tags.compatibility)
def check_database_alias(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    alias = get_config()["DATABASE_ALIAS"]
    if alias not in settings.DATABASES:
        return [
            Error(
                f"DJAI['DATABASE_ALIAS'] is {alias!r}, which is not in DATABASES.",
                hint="Set it to one of: " + ", ".join(sorted(settings.DATABASES)),
                id="djai.E001",
            )
        ]
    return []


@register(Tags.compatibility)
def check_limits(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    cfg = get_config()
    errors = []
    for key in ("PAGE_SIZE", "MAX_PAGE_SIZE", "MAX_LIMIT", "STATEMENT_TIMEOUT_MS"):
        value = cfg.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                Error(f"DJAI[{key!r}] must be a positive integer, not {value!r}.", id="djai.E002")
            )
    if not errors and cfg["PAGE_SIZE"] > cfg["MAX_PAGE_SIZE"]:
        errors.append(
            Error("DJAI['PAGE_SIZE'] is larger than DJAI['MAX_PAGE_SIZE'].", id="djai.E002")
        )
    return errors


@register(Tags.models)
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Read the whole registry once, so that its mistakes (a segment that does not parse, a
    misspelt hidden field) stop ``runserver``/``migrate`` instead of failing on the first
    question."""
    from djai_dsl.manifest.builder import registry_errors

    return [Error(exc.message, hint=exc.hint or None, id="djai.E003") for exc in registry_errors()]
