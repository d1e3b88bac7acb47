"""The manifest guard: every field path a snippet names, resolved against the user's manifest.

Django reads strings as field paths in many places: lookups (``customer__country__in``),
``F("...")``, ``OuterRef("...")``, ``values(...)``, ``order_by(...)``, aggregate and
function arguments, window partitions. The interpreter hands each of them here before it
gives it to Django, together with the model and the annotations of the query it belongs to.

A path resolves exactly as for plans: only relations and fields in the manifest exist, so
hidden and secret fields, and relations to models the user may not view, are reported like
names that do not exist. Row scopes apply as they do for plans: every ``Model.objects`` is
the model's scoped base queryset (``ModelInfo.base_queryset``), so a subquery
(``Exists``/``Subquery``/``__in``) over a scoped model is scoped. A join across a to-many
relation cannot carry the scope of the rows it reaches, so a path that crosses a to-many hop
into (or through) a scoped model is refused with the subquery to write instead. To-one hops
are not scoped, as in plans.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from djai_dsl.errors import CodeInvalid, CodeTooLarge, CodeUnknownField
from djai_dsl.escape.symbols import LOOKUPS, TRANSFORM_TYPES, TRANSFORMS
from djai_dsl.manifest.types import Manifest, ModelInfo, RelationInfo, closest

__all__ = ["FieldRef", "PathResolver", "ResolvedRef"]

RefKind = Literal["field", "lookup"]


@dataclass(frozen=True)
class FieldRef:
    """A path string from the snippet and where it was written. ``lookup`` paths (filter
    keywords) may end in a lookup (``__gte``); ``field`` paths only in transforms."""

    path: str
    kind: RefKind
    line: int | None = None
    column: int | None = None

    def position(self) -> dict[str, int]:
        if self.line is None:
            return {}
        return {"line": self.line, "column": self.column or 1}


@dataclass(frozen=True)
class ResolvedRef:
    path: str
    type: str | None  # manifest type of the value (None: an annotation, typed by Django)
    scale: int | None  # decimal places of a decimal field
    label: str
    annotation: str | None = None  # the annotation the path starts at


class PathResolver:
    def __init__(self, manifest: Manifest, max_hops: int) -> None:
        self.manifest = manifest
        self.max_hops = max_hops

    def resolve(self, info: ModelInfo, annotations: Collection[str], ref: FieldRef) -> ResolvedRef:
        parts = ref.path.split("__")
        if not ref.path or any(not part for part in parts):
            raise CodeInvalid(
                f"{ref.path!r} is not a field path.",
                hint="join names with double underscores, e.g. customer__country",
                **ref.position(),
            )
        if parts[0] in annotations:
            self._check_tail(parts[1:], ref, "annotation", parts[0])
            return ResolvedRef(ref.path, None, None, parts[0], annotation=parts[0])
        model, hops, field_type, scale, labels, used = self._walk(info, parts, ref)
        tail = parts[used:]
        self._check_tail(tail, ref, "relation" if field_type is None else "field", model.label)
        self._check_hops(hops, ref)
        if field_type is None:  # ends on a relation: its value is the target's primary key
            pk = model.fields.get(model.pk_name)
            field_type = pk.type if pk is not None else "integer"
        for transform in tail:
            if transform in TRANSFORMS:
                field_type = TRANSFORM_TYPES.get(transform, "integer")
                scale = None
        label = " → ".join([*labels, *tail])
        return ResolvedRef(ref.path, field_type, scale, label)

    def _walk(
        self, info: ModelInfo, parts: list[str], ref: FieldRef
    ) -> tuple[ModelInfo, list[RelationInfo], str | None, int | None, list[str], int]:
        """Follow relations and stop at a field: (model reached, hops, field type or None
        when the path ends on a relation, decimal scale, labels, parts used)."""
        model, hops, labels = info, [], []
        for used, part in enumerate(parts):
            relation = model.relations.get(part)
            if relation is not None and relation.target in self.manifest.models:
                hops.append(relation)
                labels.append(str(relation.verbose_name or relation.name))
                model = self.manifest.models[relation.target]
                continue
            field = model.fields.get(part)
            if part == "pk":
                field = model.fields.get(model.pk_name)
            elif field is None and part.endswith("_id"):
                field = self._foreign_key_column(model, part[:-3])
            if field is not None:
                labels.append(str(field.verbose_name or field.name))
                return model, hops, field.type, self._scale(model, field.name), labels, used + 1
            if used == 0 or part not in LOOKUPS | TRANSFORMS:
                raise self._unknown(model, part, ref)
            return model, hops, None, None, labels, used
        return model, hops, None, None, labels, len(parts)

    def _foreign_key_column(self, model: ModelInfo, name: str):  # type: ignore[no-untyped-def]
        """``customer_id``: the column of a visible forward foreign key, typed as the target's
        primary key."""
        relation = model.relations.get(name)
        if relation is None or relation.kind not in ("fk", "o2o"):
            return None
        target = self.manifest.models.get(relation.target)
        if target is None:
            return None
        return target.fields.get(target.pk_name)

    @staticmethod
    def _scale(model: ModelInfo, name: str) -> int | None:
        if model.fields[name].type != "decimal":
            return None
        return getattr(model.model._meta.get_field(name), "decimal_places", None)

    def _unknown(self, model: ModelInfo, part: str, ref: FieldRef) -> CodeUnknownField:
        names = [*model.names(), "pk"]
        suggestions = closest(part, names)
        return CodeUnknownField(
            f"{model.label} has no field or relation {part!r} (in {ref.path!r}).",
            hint=("did you mean " + " or ".join(suggestions) + "?")
            if suggestions
            else "fields: " + ", ".join(sorted(model.names())[:20]),
            **ref.position(),
        )

    def _check_tail(self, tail: list[str], ref: FieldRef, ends_on: str, where: str) -> None:
        """What follows the last field, relation or annotation: transforms, and for a
        lookup path one final lookup."""
        for i, part in enumerate(tail):
            last = i == len(tail) - 1
            if part in TRANSFORMS and ends_on != "relation":
                continue
            if part in LOOKUPS and last and ref.kind == "lookup":
                return
            if part in LOOKUPS and ref.kind == "field":
                raise CodeInvalid(
                    f"{ref.path!r} ends in the lookup {part!r}, which only filters can use.",
                    hint="name the field alone here, e.g. F('total'), values('total')",
                    **ref.position(),
                )
            allowed = sorted(LOOKUPS if ref.kind == "lookup" else TRANSFORMS)
            raise CodeUnknownField(
                f"{part!r} is not a field of {where} nor an available lookup (in {ref.path!r}).",
                hint="available: " + ", ".join(allowed),
                **ref.position(),
            )

    def _check_hops(self, hops: list[RelationInfo], ref: FieldRef) -> None:
        if len(hops) > self.max_hops:
            raise CodeTooLarge(
                f"{ref.path!r} follows {len(hops)} relations; at most {self.max_hops} are allowed.",
                hint="start from a model closer to the data",
                **ref.position(),
            )
        last_many = max((i for i, hop in enumerate(hops) if hop.many), default=-1)
        for hop in hops[: last_many + 1]:
            target = self.manifest.models[hop.target]
            if target.scope is not None:
                name = target.model.__name__
                raise CodeInvalid(
                    f"{ref.path!r} reaches {target.verbose_name_plural} through a to-many "
                    "relation, and their rows are scoped: a join cannot apply the scope.",
                    hint=f"use a subquery over {name}.objects, which is scoped, e.g. "
                    f"Exists({name}.objects.filter(<back to this row>=OuterRef('pk'), ...))",
                    **ref.position(),
                )
