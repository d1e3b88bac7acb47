"""The value index's store: each indexable field read once, then kept per process.

Entries are keyed by database alias, model and field, and expire after the TTL. Reads run
outside the lock (a slow table must not block questions about other fields); two threads
that miss the same field at once both read it, and the later one's entry is kept.
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
from djai_dsl.values.fields import indexable_fields

logger = logging.getLogger("djai_dsl.values")

DEFAULT_CAP = 200
DEFAULT_TTL = 600.0
#: Values longer than this are sentences, not categories.
MAX_VALUE_LENGTH = 80


@dataclass(frozen=True)
class FieldValues:
    """The distinct values of one text field, as last read."""

    label: str  # the model, "shop.customer"
    field: str  # the field's name, "city"
    values: tuple[str, ...]  # empty when over the cap
    over_cap: bool  # more distinct values than the cap: not categorical
    loaded_at: float  # time.monotonic() of the read


@dataclass(frozen=True)
class _Limits:
    """The index's settings, read once per call."""

    cap: int
    ttl: float
    alias: str
    now: float


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


def values_for(manifest: Manifest, model: str, field: str) -> FieldValues | None:
    """The values of ``field`` of ``model`` (a model label of ``manifest``), read when
    missing or expired. None when the field is not indexed (see :func:`indexable_fields`)
    or could not be read just now."""
    info = manifest.models.get(model)
    if info is None or field not in indexable_fields(info):
        return None
    return _entry(info, field, _limits())


def indexed_values(manifest: Manifest) -> list[FieldValues]:
    """The values of every indexable field of ``manifest``, in manifest order (reading what
    is missing or expired). Fields over the cap come with no values; fields that could not
    be read are left out."""
    limits = _limits()
    out = []
    for info in manifest.models.values():
        for name in indexable_fields(info):
            entry = _entry(info, name, limits)
            if entry is not None:
                out.append(entry)
    return out


def _limits() -> _Limits:
    config = get_config()
    return _Limits(
        cap=int(config.get("OFFLINE_VALUE_INDEX_CAP", DEFAULT_CAP)),
        ttl=float(config.get("OFFLINE_VALUE_INDEX_TTL", DEFAULT_TTL)),
        alias=config["DATABASE_ALIAS"],
        now=time.monotonic(),
    )


def _entry(info: ModelInfo, name: str, limits: _Limits) -> FieldValues | None:
    key = (limits.alias, info.label, name)
    entry = _index.get(key)
    if entry is None or limits.now - entry.loaded_at > limits.ttl:
        entry = _load(info, name, limits)
        if entry is None:
            return None
        with _lock:
            _index[key] = entry
    return entry


def _load(info: ModelInfo, name: str, limits: _Limits) -> FieldValues | None:
    qs = (
        info.model._default_manager.using(limits.alias)
        .exclude(**{f"{name}__isnull": True})
        .exclude(**{name: ""})
        .order_by()
        .values_list(name, flat=True)
        .distinct()
    )
    try:
        with read_only(limits.alias):
            values = list(qs[: limits.cap + 1])
    except DjaiError as exc:  # a slow or failing table: no index for it, ask again later
        logger.warning("value index: %s.%s not read: %s", info.label, name, exc.code)
        return None
    over = len(values) > limits.cap
    kept = () if over else tuple(str(v) for v in values if len(str(v)) <= MAX_VALUE_LENGTH)
    return FieldValues(info.label, name, kept, over, limits.now)
