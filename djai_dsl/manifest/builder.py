"""Build the :class:`~djai_dsl.manifest.types.Manifest` a user may query.

Two layers, because the manifest is needed on every request but most of it never changes:

1. The *catalogue* (user-independent): every installed concrete model introspected, merged
   with the registry, secret and hidden names removed, segments and measures parsed. It is
   cached per registry version and dropped when ``DJAI`` or ``INSTALLED_APPS`` change.
2. The *per-user view*: only models the user has ``view`` permission on, only relations whose
   target is among them, and the registry's row scope bound to the user. Cheap copies of (1).

Security rules live here and nowhere else: a field whose name matches
``DJAI["SECRET_FIELD_PATTERNS"]`` or is listed in a registration's ``hidden`` does not exist as
far as the rest of djai is concerned (no output, filter, group or sort can name it).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth import get_permission_codename
from django.core.signals import setting_changed
from django.db import models
from django.db.models.fields.reverse_related import ForeignObjectRel, ManyToManyRel
from django.dispatch import receiver
from pydantic import ValidationError

import djai_dsl.manifest.registry as registry
from djai_dsl.conf import get_config
from djai_dsl.errors import BadRequest, ConfigurationError, DjaiError
from djai_dsl.grammar import parse_aggregate, parse_condition
from djai_dsl.manifest.registry import Registration
from djai_dsl.manifest.types import (
    FIELD_TYPES,
    TEMPORAL_TYPES,
    FieldInfo,
    Manifest,
    Measure,
    ModelInfo,
    RelationInfo,
    RelationKind,
    Segment,
    field_type,
)
from djai_dsl.plan import MeasureRef, QueryPlan, SegmentRef
from djai_dsl.validation import plan_problems

__all__ = [
    "FIELD_TYPES",
    "build_manifest",
    "clear_cache",
    "field_type",
    "is_secret_name",
    "registry_errors",
]

#: Names taken as a model's time axis when the registry names none, in order of preference;
#: after these, the first date/datetime field whose name ends in ``_at``.
TIME_FIELD_NAMES = ("created_at", "created", "date")


def is_secret_name(name: str, patterns: Iterable[str] | None = None) -> bool:
    """True when ``name`` contains one of the secret patterns (case-insensitive)."""
    if patterns is None:
        patterns = get_config()["SECRET_FIELD_PATTERNS"]
    lowered = name.lower()
    return any(p.lower() in lowered for p in patterns)


def build_manifest(user: Any = None, *, apps: Iterable[str] | None = None) -> Manifest:
    """The manifest ``user`` may query.

    ``user=None`` means trusted internal use (system checks, management commands without
    ``--user``): every model in the catalogue, with scope hooks called with ``user=None``.
    With a user, a model is included only with ``view`` permission on it; inactive users
    see nothing. ``apps`` restricts the manifest to these app labels (relations leading out
    of them are then absent too).

    Raises :class:`ConfigurationError` when the registry is wrong (a segment that does not
    parse, a hidden name that does not exist...), and :class:`BadRequest` for an app label
    that is not installed.
    """
    catalogue = _catalogue(registry.version())
    wanted = _check_app_labels(apps)
    visible = [
        info
        for info in catalogue.values()
        if (wanted is None or info.app_label in wanted) and _may_view(user, info)
    ]
    labels = {info.label for info in visible}
    manifest = Manifest()
    for info in visible:
        manifest.models[info.label] = _view_for_user(info, labels, user)
    _drop_unusable_definitions(manifest)
    return manifest


def clear_cache() -> None:
    """Forget the catalogue; the next :func:`build_manifest` introspects again."""
    _catalogue.cache_clear()


@receiver(setting_changed)
def _reset_catalogue(*, setting: str, **kwargs: Any) -> None:
    # The catalogue depends on secret patterns and excluded apps (DJAI) and on which models
    # exist (INSTALLED_APPS); tests change both with override_settings.
    if setting in ("DJAI", "INSTALLED_APPS"):
        clear_cache()


# -- per-user view ---------------------------------------------------------------------------


def _check_app_labels(apps: Iterable[str] | None) -> set[str] | None:
    if apps is None:
        return None
    wanted = {label.lower() for label in apps}
    installed = {config.label for config in django_apps.get_app_configs()}
    unknown = sorted(wanted - installed)
    if unknown:
        raise BadRequest(
            f"no installed app {unknown[0]!r}",
            hint="installed apps: " + ", ".join(sorted(installed)),
        )
    return wanted


def _may_view(user: Any, info: ModelInfo) -> bool:
    if user is None:
        return True
    if not getattr(user, "is_active", False):
        return False
    opts = info.model._meta
    return bool(user.has_perm(f"{opts.app_label}.{get_permission_codename('view', opts)}"))


def _view_for_user(info: ModelInfo, labels: set[str], user: Any) -> ModelInfo:
    """A copy of a catalogue entry for one request: relations to models the user cannot see
    removed, the scope hook bound to the user. The catalogue itself is never handed out, so
    callers may change what they get."""
    return replace(
        info,
        fields=dict(info.fields),
        relations={n: r for n, r in info.relations.items() if r.target in labels},
        segments={n: replace(s) for n, s in info.segments.items()},
        measures={n: replace(m) for n, m in info.measures.items()},
        scope=_bind_scope(registry.get_registration(info.model), user),
    )


def _drop_unusable_definitions(manifest: Manifest) -> None:
    """Remove segments and measures that name a field or relation this manifest does not
    have (hidden, secret, or on a model the user cannot see). Shown to a planner, their
    text would name what is hidden; used, they could only fail."""

    for info in manifest.models.values():
        for name in list(info.segments):
            plan = QueryPlan(source=info.label, where=SegmentRef(name=name))
            if plan_problems(plan, manifest):
                del info.segments[name]
        for name in list(info.measures):
            plan = QueryPlan(source=info.label, aggregates=[MeasureRef(name=name, measure=name)])
            if plan_problems(plan, manifest):
                del info.measures[name]


def _bind_scope(
    reg: Registration | None, user: Any
) -> Callable[[models.QuerySet[Any]], models.QuerySet[Any]] | None:
    if reg is None or reg.scope is None:
        return None
    hook = reg.scope

    def scope(qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return hook(qs, user)

    return scope


# -- the catalogue ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _catalogue(registry_version: int) -> dict[str, ModelInfo]:
    """Every queryable model, keyed and sorted by label. Keyed on the registry version so a
    new ``register()`` call makes the cached value stale; maxsize=1 drops the old one."""
    patterns = _secret_patterns()
    infos = [_introspect(model, reg, patterns) for model, reg in _catalogue_models()]
    return {info.label: info for info in sorted(infos, key=lambda info: info.label)}


def registry_errors() -> list[ConfigurationError]:
    """Every model's registry problem (by model label), not just the first one
    :func:`build_manifest` meets: one run of ``manage.py check`` lists them all."""
    patterns = _secret_patterns()
    errors = []
    for model, reg in sorted(_catalogue_models(), key=lambda pair: pair[0]._meta.label_lower):
        try:
            _introspect(model, reg, patterns)
        except ConfigurationError as exc:
            errors.append(exc)
    return errors


def _secret_patterns() -> list[str]:
    return [p.lower() for p in get_config()["SECRET_FIELD_PATTERNS"]]


def _catalogue_models() -> Iterator[tuple[type[models.Model], Registration | None]]:
    excluded = {label.lower() for label in get_config()["EXCLUDED_APPS"]}
    for model in django_apps.get_models():
        if model._meta.app_label in excluded or not _is_queryable(model):
            continue
        reg = registry.get_registration(model)
        if reg is None or not reg.exclude:
            yield model, reg


def _is_queryable(model: type[models.Model]) -> bool:
    opts = model._meta
    return not (opts.abstract or opts.proxy or opts.auto_created or opts.swapped)


def _introspect(
    model: type[models.Model], reg: Registration | None, patterns: list[str]
) -> ModelInfo:
    opts = model._meta
    label = opts.label_lower
    reg = reg or Registration(model=model)
    _check_registered_names(label, model, reg)

    def exposed(name: str) -> bool:
        return name not in reg.hidden and not is_secret_name(name, patterns)

    fields = {f.name: f for f in _fields(model, reg) if exposed(f.name)}
    relations = {r.name: r for r in _relations(model, reg) if exposed(r.name)}
    return ModelInfo(
        label=label,
        model=model,
        verbose_name=str(opts.verbose_name),
        verbose_name_plural=str(opts.verbose_name_plural),
        pk_name=opts.pk.name,
        description=reg.description,
        synonyms=reg.synonyms,
        default_time_field=_default_time_field(label, reg, fields),
        fields=fields,
        relations=relations,
        segments=_segments(label, reg),
        measures=_measures(label, reg),
    )


def _check_registered_names(label: str, model: type[models.Model], reg: Registration) -> None:
    """Names in a registration must exist on the model. A misspelt ``hidden`` entry would
    otherwise silently expose the field the developer meant to hide."""
    known = {f.name for f in model._meta.get_fields(include_hidden=False)}
    for attr in ("hidden", "fields", "field_synonyms"):
        for name in sorted(getattr(reg, attr)):
            if name not in known:
                raise ConfigurationError(
                    f"djai registry for {label}: {attr} names {name!r}, "
                    "which is not a field or relation of the model",
                    hint="known names: " + ", ".join(sorted(known)),
                )


def _fields(model: type[models.Model], reg: Registration) -> Iterable[FieldInfo]:
    for field in model._meta.concrete_fields:
        if field.is_relation:
            continue  # FKs are relations; their path ("customer") already means the FK value
        ftype = field_type(field)
        if ftype is None:
            continue
        yield FieldInfo(
            name=field.name,
            type=ftype,
            verbose_name=str(field.verbose_name),
            description=reg.fields.get(field.name) or str(field.help_text or ""),
            choices=tuple((_plain(value), str(text)) for value, text in field.flatchoices),
            nullable=field.null,
            primary_key=field.primary_key,
            synonyms=reg.field_synonyms.get(field.name, ()),
        )


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _relations(model: type[models.Model], reg: Registration) -> Iterable[RelationInfo]:
    """Forward FK/O2O/M2M in declaration order, then reverse relations, each named by its ORM
    lookup name (what ``filter()`` accepts), with the lookup name that leads back."""
    all_fields = model._meta.get_fields(include_hidden=False)
    # Anything else is a plain field, a generic relation or a composite foreign object.
    forward = [
        _forward_relation(f)
        for f in all_fields
        if isinstance(f, models.ForeignKey | models.ManyToManyField)
    ]
    reverse = [_reverse_relation(f) for f in all_fields if isinstance(f, ForeignObjectRel)]
    for rel in (*forward, *reverse):
        if rel is not None:
            yield replace(rel, description=reg.fields.get(rel.name) or rel.description)


def _forward_relation(
    field: models.ForeignKey[Any, Any] | models.ManyToManyField[Any, Any],
) -> RelationInfo | None:
    target = field.related_model
    if target is None or not isinstance(target, type):
        return None
    kind: RelationKind
    if isinstance(field, models.ManyToManyField):
        kind = "m2m"
    elif field.one_to_one:
        kind = "o2o"
    else:
        kind = "fk"
    reverse = field.related_query_name()
    if kind == "m2m" and field.remote_field.symmetrical:
        reverse = field.name  # a symmetrical M2M is its own way back
    return RelationInfo(
        name=field.name,
        target=target._meta.label_lower,
        many=kind == "m2m",
        # Empty when the reverse is hidden (related_name="+"): there is no lookup back.
        reverse_name="" if reverse.endswith("+") else reverse,
        kind=kind,
        verbose_name=str(field.verbose_name),
        description=str(field.help_text or ""),
        nullable=field.null,
    )


def _reverse_relation(rel: ForeignObjectRel) -> RelationInfo | None:
    source_field = rel.field
    if not isinstance(source_field, models.ForeignKey | models.ManyToManyField):
        return None  # GenericRelation and other foreign objects
    child = rel.related_model
    kind: RelationKind
    if isinstance(rel, ManyToManyRel):
        kind = "reverse_m2m"
    elif rel.one_to_one:
        kind = "reverse_o2o"
    else:
        kind = "reverse_fk"
    many = kind != "reverse_o2o"
    child_opts = child._meta
    return RelationInfo(
        name=rel.name,  # the related query name: "orders" with related_name="orders"
        target=child_opts.label_lower,
        many=many,
        reverse_name=source_field.name,
        kind=kind,
        verbose_name=str(child_opts.verbose_name_plural if many else child_opts.verbose_name),
        # A reverse one-to-one may have no row; to-many relations are empty, never null.
        nullable=kind == "reverse_o2o",
    )


def _default_time_field(label: str, reg: Registration, fields: dict[str, FieldInfo]) -> str | None:
    """The registry's choice, checked; otherwise a heuristic over the exposed fields:
    ``created_at``, ``created``, ``date``, then the first date/datetime named ``*_at``."""
    temporal = [f.name for f in fields.values() if f.type in TEMPORAL_TYPES]
    if reg.default_time_field is not None:
        if reg.default_time_field not in temporal:
            raise ConfigurationError(
                f"djai registry for {label}: default_time_field {reg.default_time_field!r} "
                "is not a visible date or datetime field",
                hint="candidates: " + (", ".join(temporal) or "none"),
            )
        return reg.default_time_field
    for name in TIME_FIELD_NAMES:
        if name in temporal:
            return name
    return next((name for name in temporal if name.endswith("_at")), None)


def _split_entry(entry: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(entry, str):
        return entry, ""
    text, description = entry
    return text, description


def _segments(label: str, reg: Registration) -> dict[str, Segment]:

    out: dict[str, Segment] = {}
    for name, entry in reg.segments.items():
        text, description = _split_entry(entry)
        with _registry_entry(label, "segment", name):
            SegmentRef(name=name)  # the name must be usable in a plan
            condition = parse_condition(text)
        out[name] = Segment(name=name, condition=condition, text=text, description=description)
    return out


def _measures(label: str, reg: Registration) -> dict[str, Measure]:

    out: dict[str, Measure] = {}
    for name, entry in reg.measures.items():
        text, description = _split_entry(entry)
        with _registry_entry(label, "measure", name):
            MeasureRef(name=name, measure=name)  # the name must be usable in a plan
            aggregate = parse_aggregate(text).model_copy(update={"name": name})
        out[name] = Measure(name=name, aggregate=aggregate, text=text, description=description)
    return out


@contextmanager
def _registry_entry(label: str, kind: str, name: str) -> Iterator[None]:
    """Turn a failure to read one registry entry into a ConfigurationError naming it, so a bad
    segment stops start-up (system check djai.E003) instead of failing later, per request."""
    try:
        yield
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]) for e in exc.errors())
        raise ConfigurationError(
            f"djai registry for {label}: {kind} {name!r} is not valid: {reason}"
        ) from exc
    except DjaiError as exc:
        raise ConfigurationError(
            f"djai registry for {label}: {kind} {name!r} is not valid: {exc}"
        ) from exc
