"""Who may use the escape hatch, and its limits: ``DJAI["ESCAPE_HATCH"]`` read once per use.

The hatch is off unless ``ENABLED`` is True; when on, a user needs
``djai_dsl.use_escape_hatch`` (superusers have every permission). With it off, every entry
point answers as if it did not exist (``escape_hatch_disabled``, 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from djai_dsl.conf import get_config
from djai_dsl.errors import ConfigurationError, EscapeHatchDisabled, EscapeHatchForbidden

__all__ = [
    "IMPORT_MODES",
    "PERMISSION",
    "EscapeSettings",
    "escape_hatch_enabled",
    "may_use_escape_hatch",
    "require_escape_hatch",
]

PERMISSION = "djai_dsl.use_escape_hatch"
IMPORT_MODES = ("deny", "allowlist")


@dataclass(frozen=True)
class EscapeSettings:
    enabled: bool = False
    imports: str = "deny"
    allowed_imports: tuple[str, ...] = ()
    max_chars: int = 4000
    max_nodes: int = 600
    max_depth: int = 40
    max_call_depth: int = 24

    @classmethod
    def from_config(cls) -> EscapeSettings:
        raw = get_config().get("ESCAPE_HATCH")
        if not isinstance(raw, dict):
            raise ConfigurationError(
                "DJAI['ESCAPE_HATCH'] must be a dict (system check djai.E005)."
            )
        try:
            values = cls(
                enabled=raw["ENABLED"] is True,
                imports=str(raw["IMPORTS"]),
                allowed_imports=tuple(str(m) for m in raw["ALLOWED_IMPORTS"]),
                max_chars=_positive(raw["MAX_CHARS"]),
                max_nodes=_positive(raw["MAX_NODES"]),
                max_depth=_positive(raw["MAX_DEPTH"]),
                max_call_depth=_positive(raw["MAX_CALL_DEPTH"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"DJAI['ESCAPE_HATCH'] has a bad value: {exc}",
                hint="see docs/settings.md, ESCAPE_HATCH",
            ) from None
        if values.imports not in IMPORT_MODES:
            raise ConfigurationError(
                f"DJAI['ESCAPE_HATCH']['IMPORTS'] is {values.imports!r}: use 'deny' or 'allowlist'."
            )
        return values


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{value!r} is not a positive integer")
    return value


def escape_hatch_enabled() -> bool:
    raw = get_config().get("ESCAPE_HATCH")
    return isinstance(raw, dict) and raw.get("ENABLED") is True


def may_use_escape_hatch(user: Any) -> bool:
    """True when the hatch is on and ``user`` is active and holds the permission."""
    return bool(
        escape_hatch_enabled()
        and user is not None
        and getattr(user, "is_active", False)
        and user.has_perm(PERMISSION)
    )


def require_escape_hatch(user: Any) -> EscapeSettings:
    """The settings, when ``user`` may run snippets; else the typed refusal (404 when the
    hatch is off, so that nothing about it is visible; 403 without the permission)."""
    if not escape_hatch_enabled():
        raise EscapeHatchDisabled()
    if not may_use_escape_hatch(user):
        raise EscapeHatchForbidden()
    return EscapeSettings.from_config()
