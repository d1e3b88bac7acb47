"""What may be queried: the manifest data structures and path resolution.

A :class:`Manifest` is built per user (see :mod:`djai_dsl.manifest.builder`) and holds only
the models, fields and relations that user may see. Everything downstream (validation,
compiler, prompts) reads names from it; nothing reads ``Model._meta`` directly for a name
that came from a plan.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.db.models import Field, Model, QuerySet

    from djai_dsl.plan import Aggregate, Condition

FieldType = Literal[
    "string",  # short text (CharField, EmailField, SlugField...)
    "text",  # long text
    "integer",
    "decimal",
    "float",
    "boolean",
    "date",
    "datetime",
    "time",
    "duration",
    "uuid",
    "json",
]

#: Django internal field types (``Field.get_internal_type()``) djai can query, and how.
#: Anything not listed (FileField, BinaryField, FilePathField, ArrayField, ...) is left out:
#: files and bytes have no meaning in an answer, and unknown types have no safe compilation.
#: Custom fields are included when their internal type is one of these.
FIELD_TYPES: dict[str, FieldType] = {
    "CharField": "string",  # also EmailField and URLField, which report CharField
    "SlugField": "string",
    "GenericIPAddressField": "string",
    "IPAddressField": "string",
    "TextField": "text",
    "AutoField": "integer",
    "BigAutoField": "integer",
    "SmallAutoField": "integer",
    "IntegerField": "integer",
    "BigIntegerField": "integer",
    "SmallIntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveBigIntegerField": "integer",
    "PositiveSmallIntegerField": "integer",
    "DecimalField": "decimal",
    "FloatField": "float",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "DateField": "date",
    "DateTimeField": "datetime",
    "TimeField": "time",
    "DurationField": "duration",
    "UUIDField": "uuid",
    "JSONField": "json",
}


def field_type(field: Field[Any, Any]) -> FieldType | None:
    """The manifest type of a concrete Django field, or None when djai cannot query it."""
    return FIELD_TYPES.get(field.get_internal_type())


NUMERIC_TYPES = frozenset({"integer", "decimal", "float", "duration"})
TEXT_TYPES = frozenset({"string", "text"})
TEMPORAL_TYPES = frozenset({"date", "datetime"})
ORDERABLE_TYPES = NUMERIC_TYPES | TEXT_TYPES | TEMPORAL_TYPES | {"time", "uuid"}

RelationKind = Literal["fk", "o2o", "reverse_fk", "reverse_o2o", "m2m", "reverse_m2m"]


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: FieldType
    verbose_name: str = ""
    description: str = ""
    choices: tuple[tuple[Any, str], ...] = ()
    nullable: bool = False
    primary_key: bool = False
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelationInfo:
    name: str  # the lookup name used in paths ("customer", "orders")
    target: str  # model label of the other side ("shop.customer")
    many: bool  # True when one source row may have several target rows
    reverse_name: str  # lookup name from the target back to the source (for subqueries)
    kind: RelationKind
    verbose_name: str = ""
    description: str = ""
    nullable: bool = False


@dataclass
class Segment:
    """A named condition from the registry, e.g. ``paid = status in ("paid", "shipped")``."""

    name: str
    condition: Condition
    text: str = ""
    description: str = ""


@dataclass
class Measure:
    """A named aggregate from the registry, e.g. ``revenue = sum(total)``."""

    name: str
    aggregate: Aggregate
    text: str = ""
    description: str = ""


@dataclass
class ModelInfo:
    label: str  # "shop.order"
    model: type[Model]
    verbose_name: str
    verbose_name_plural: str
    pk_name: str = "id"
    description: str = ""
    synonyms: tuple[str, ...] = ()
    default_time_field: str | None = None
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    relations: dict[str, RelationInfo] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    # Row scoping already bound to the requesting user: QuerySet -> QuerySet.
    scope: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None

    @property
    def app_label(self) -> str:
        return self.label.split(".", 1)[0]

    @property
    def model_name(self) -> str:
        return self.label.split(".", 1)[1]

    def names(self) -> list[str]:
        return [*self.fields, *self.relations]

    def base_queryset(self) -> QuerySet[Any]:
        """The model's default manager, with the row scoping hook applied."""
        qs = self.model._default_manager.all()
        return self.scope(qs) if self.scope is not None else qs


@dataclass(frozen=True)
class ResolvedPath:
    """A dotted path resolved against the manifest, from a start model."""

    start: ModelInfo
    hops: tuple[RelationInfo, ...]
    field: FieldInfo | None  # None when the path ends on a relation
    target: ModelInfo  # the model that owns the last segment

    @property
    def orm_path(self) -> str:
        parts = [h.name for h in self.hops]
        if self.field is not None:
            parts.append(self.field.name)
        return "__".join(parts)

    @property
    def to_many(self) -> bool:
        return any(h.many for h in self.hops)

    @property
    def last_many_index(self) -> int:
        """Index of the last to-many hop, or -1."""
        idx = -1
        for i, hop in enumerate(self.hops):
            if hop.many:
                idx = i
        return idx

    @property
    def type(self) -> FieldType | None:
        return self.field.type if self.field is not None else None


class PathError(LookupError):
    """A path segment that does not exist in the manifest."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions or []


def closest(name: str, candidates: list[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)


@dataclass
class Manifest:
    models: dict[str, ModelInfo] = field(default_factory=dict)
    # Models cut away for a token budget (for logs); empty when nothing was clipped.
    clipped: tuple[str, ...] = ()

    def __contains__(self, label: str) -> bool:
        return label in self.models

    def model(self, name: str) -> ModelInfo:
        """Find a model by label ("shop.order") or by an unambiguous model name ("order")."""
        info = self.models.get(name.lower())
        if info is not None:
            return info
        if "." not in name:
            matches = [m for m in self.models.values() if m.model_name == name.lower()]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise PathError(
                    f"{name!r} is ambiguous: say which app",
                    sorted(m.label for m in matches),
                )
        raise PathError(
            f"there is no model {name!r}",
            closest(name.lower(), list(self.models) + [m.model_name for m in self.models.values()]),
        )

    def resolve(self, start: str | ModelInfo, path: str) -> ResolvedPath:
        """Resolve ``customer.country`` from ``shop.order``; raises :class:`PathError`."""
        info = start if isinstance(start, ModelInfo) else self.model(start)
        origin = info
        hops: list[RelationInfo] = []
        parts = path.split(".")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part in info.relations:
                rel = info.relations[part]
                if rel.target not in self.models:
                    raise PathError(f"{info.label} has no field or relation {part!r}")
                hops.append(rel)
                info = self.models[rel.target]
                if last:
                    return ResolvedPath(origin, tuple(hops), None, info)
                continue
            if part in info.fields:
                if not last:
                    raise PathError(
                        f"{info.label}.{part} is a field, not a relation: nothing follows it"
                    )
                return ResolvedPath(origin, tuple(hops), info.fields[part], info)
            raise PathError(
                f"{info.label} has no field or relation {part!r}",
                [".".join([*parts[:i], s]) for s in closest(part, info.names())],
            )
        raise PathError("empty path")  # pragma: no cover - the plan's regex forbids it

    def labels(self) -> list[str]:
        return sorted(self.models)

    def hint_names(self, source: str | None = None) -> list[str]:
        """Names a syntax error may suggest (the parser's ``NameHints``): the fields and
        relations of ``source`` first, then model labels and names."""
        candidates: list[str] = []
        if source:
            with suppress(PathError):
                candidates += self.model(source).names()
        for label, info in self.models.items():
            candidates += [label, info.model_name]
        return candidates
