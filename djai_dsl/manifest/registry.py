"""The registry: what developers tell djai about their models.

``djai_dsl.register(Order, description=..., synonyms=..., ...)`` is usually called in an
app's ``djai.py`` module, which djai autodiscovers at start-up like ``admin.py``.
Registration is optional: unregistered models are introspected. It adds meaning
(descriptions, synonyms, named segments and measures) and can hide fields or scope rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

ScopeHook = Callable[[QuerySet[Any], Any], QuerySet[Any]]


@dataclass
class Registration:
    model: type[Model]
    description: str = ""
    synonyms: tuple[str, ...] = ()
    default_time_field: str | None = None
    hidden: frozenset[str] = frozenset()
    # name -> DSL condition text, or (text, description)
    segments: dict[str, str | tuple[str, str]] = field(default_factory=dict)
    # name -> DSL aggregate text like "sum(total)", or (text, description)
    measures: dict[str, str | tuple[str, str]] = field(default_factory=dict)
    # field name -> description
    fields: dict[str, str] = field(default_factory=dict)
    # field name -> synonyms
    field_synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (queryset, user) -> queryset: row-level scoping, applied to every query on this model
    scope: ScopeHook | None = None
    exclude: bool = False


_registry: dict[type[Model], Registration] = {}

# Bumped on every change, so that caches of what was built from the registry (the manifest
# builder's) know they are stale without the registry having to know about them.
_version = 0


def version() -> int:
    """A number that changes whenever a model is registered or unregistered."""
    return _version


def _changed() -> None:
    global _version
    _version += 1


def register(
    model: type[Model],
    *,
    description: str = "",
    synonyms: Iterable[str] = (),
    default_time_field: str | None = None,
    hidden: Iterable[str] = (),
    segments: Mapping[str, str | tuple[str, str]] | None = None,
    measures: Mapping[str, str | tuple[str, str]] | None = None,
    fields: Mapping[str, str] | None = None,
    field_synonyms: Mapping[str, Iterable[str]] | None = None,
    scope: ScopeHook | None = None,
    exclude: bool = False,
) -> type[Model]:
    """Describe ``model`` to djai. Returns the model, so it also works as a decorator-like
    call. Registering the same model again replaces the earlier registration."""
    _registry[model] = Registration(
        model=model,
        description=description,
        synonyms=tuple(synonyms),
        default_time_field=default_time_field,
        hidden=frozenset(hidden),
        segments=dict(segments or {}),
        measures=dict(measures or {}),
        fields=dict(fields or {}),
        field_synonyms={k: tuple(v) for k, v in (field_synonyms or {}).items()},
        scope=scope,
        exclude=exclude,
    )
    _changed()
    return model


def unregister(model: type[Model]) -> None:
    if _registry.pop(model, None) is not None:
        _changed()


def get_registration(model: type[Model]) -> Registration | None:
    return _registry.get(model)


def registrations() -> dict[type[Model], Registration]:
    return dict(_registry)
