"""A bounded index of the distinct values of free-text categorical fields.

Choices come from the manifest, but many categorical fields are plain text (country names,
cities, genre names). To recognise "customers in Paris" the planner needs to know that
"Paris" is a value of ``city``. Scanning tables per question is not acceptable, so:

- each text field is read **once per process** (and again after ``VALUE_INDEX_TTL``
  seconds), lazily, the first time a question needs the index;
- each read is one ``SELECT DISTINCT ... LIMIT cap + 1``, read-only, with the statement
  timeout of every djai query;
- a field with more than ``cap`` distinct values (names of people, titles, free text) is
  not categorical: it is remembered as such and never read again until the entry expires;
- models with a row-scoping hook are left out: their values depend on the user, and the
  planner must not learn values the user cannot see.

Settings (in ``DJAI``, optional): ``OFFLINE_VALUE_INDEX_CAP`` (default 200),
``OFFLINE_VALUE_INDEX_TTL`` (seconds, default 600).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.core.signals import setting_changed
from django.dispatch import receiver

from djai_dsl.conf import get_config
from djai_dsl.errors import DjaiError
from djai_dsl.executor import read_only
from djai_dsl.manifest.types import Manifest, ModelInfo

logger = logging.getLogger("djai.planner.offline")

DEFAULT_CAP = 200
DEFAULT_TTL = 600.0
#: Values longer than this are sentences, not categories.
MAX_VALUE_LENGTH = 80


@dataclass(frozen=True)
class FieldValues:
    label: str
    field: str
    values: tuple[str, ...]  # empty when over the cap
    over_cap: bool
    loaded_at: float


_index: dict[tuple[str, str, str], FieldValues] = {}
_lock = threading.Lock()


def clear_value_index() -> None:
    """Forget every indexed field (tests, or after bulk data changes)."""
    with _lock:
        _index.clear()


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: object) -> None:
    if setting in ("DJAI", "DATABASES"):
        clear_value_index()


def candidate_fields(info: ModelInfo) -> list[str]:
    """Text fields of ``info`` worth indexing: short strings without choices, not the key."""
    if info.scope is not None:
        return []
    return [
        f.name
        for f in info.fields.values()
        if f.type == "string" and not f.choices and not f.primary_key
    ]


def values_for(manifest: Manifest) -> list[FieldValues]:
    """The indexed values of every candidate field in ``manifest`` (loading what is
    missing or expired). Fields over the cap are returned with no values."""
    config = get_config()
    cap = int(config.get("OFFLINE_VALUE_INDEX_CAP", DEFAULT_CAP))
    ttl = float(config.get("OFFLINE_VALUE_INDEX_TTL", DEFAULT_TTL))
    alias = config["DATABASE_ALIAS"]
    now = time.monotonic()
    out = []
    for info in manifest.models.values():
        for name in candidate_fields(info):
            key = (alias, info.label, name)
            entry = _index.get(key)
            if entry is None or now - entry.loaded_at > ttl:
                entry = _load(info, name, alias, cap, now)
                if entry is None:
                    continue
                with _lock:
                    _index[key] = entry
            out.append(entry)
    return out


def _load(info: ModelInfo, name: str, alias: str, cap: int, now: float) -> FieldValues | None:
    qs = (
        info.model._default_manager.using(alias)
        .exclude(**{f"{name}__isnull": True})
        .exclude(**{name: ""})
        .order_by()
        .values_list(name, flat=True)
        .distinct()
    )
    try:
        with read_only(alias):
            values = list(qs[: cap + 1])
    except DjaiError as exc:  # a slow or failing table: no index for it, ask again later
        logger.warning("value index: %s.%s not read: %s", info.label, name, exc.code)
        return None
    over = len(values) > cap
    kept = () if over else tuple(str(v) for v in values if len(str(v)) <= MAX_VALUE_LENGTH)
    return FieldValues(info.label, name, kept, over, now)
