"""The manifest as prompt text and as JSON.

:func:`render_text` is what a language model reads: one compact block per model, every line
meaning one name it may use. It is deterministic (models by label, fields and relations in
model order) so prompts can be snapshot-tested and cached. :func:`manifest_as_dict` is the
same information as JSON-able data, for ``manage.py djai manifest --json`` and the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from djai_dsl.manifest.types import FieldInfo, Manifest, Measure, ModelInfo, RelationInfo, Segment

__all__ = ["MAX_RENDERED_CHOICES", "manifest_as_dict", "render_model", "render_text"]

#: Choices listed per field in prompt text; longer lists (countries...) end with "… N more".
MAX_RENDERED_CHOICES = 30


def render_text(manifest: Manifest) -> str:
    """The manifest as text for an LLM prompt, one block per model, blank line between."""
    return "\n\n".join(render_model(manifest.models[label]) for label in manifest.labels())


def render_model(info: ModelInfo) -> str:
    """One model's block: header, fields, relations, segments, measures.

    ::

        shop.order "Order" — A customer's order (synonyms: purchases, sales)
          default time: created_at
          total: decimal — Amount charged (synonyms: revenue)
          status: string in {pending, paid, shipped}
          customer -> shop.customer (one)
          segment paid: status = "paid"
          measure revenue: sum(total)
    """
    lines = [f'{info.label} "{info.verbose_name}"{_about(info.description, info.synonyms)}']
    if info.default_time_field:
        lines.append(f"  default time: {info.default_time_field}")
    lines.extend(_field_line(f) for f in info.fields.values())
    lines.extend(_relation_line(r) for r in info.relations.values())
    lines.extend(_named_line("segment", s) for s in info.segments.values())
    lines.extend(_named_line("measure", m) for m in info.measures.values())
    return "\n".join(lines)


def _about(description: str, synonyms: tuple[str, ...] = ()) -> str:
    text = f" — {_one_line(description)}" if description else ""
    if synonyms:
        text += f" (synonyms: {', '.join(synonyms)})"
    return text


def _one_line(text: str) -> str:
    # Descriptions come from help_text and docstrings; a newline would break the block format.
    return " ".join(text.split())


def _field_line(field: FieldInfo) -> str:
    text = f"  {field.name}: {field.type}"
    if field.choices:
        text += f" in {{{_choices(field.choices)}}}"
    if field.primary_key:
        text += ", primary key"
    elif field.nullable:
        text += ", nullable"
    return text + _about(field.description, field.synonyms)


def _choices(choices: tuple[tuple[Any, str], ...]) -> str:
    shown = [_choice(value, label) for value, label in choices[:MAX_RENDERED_CHOICES]]
    if len(choices) > MAX_RENDERED_CHOICES:
        shown.append(f"… {len(choices) - MAX_RENDERED_CHOICES} more")
    return ", ".join(shown)


def _choice(value: Any, label: str) -> str:
    """``paid`` when the label only restates the value, ``1 (Low)`` when it tells more."""
    if _normal(str(value)) == _normal(label):
        return str(value)
    return f"{value} ({label})"


def _normal(text: str) -> str:
    return text.lower().replace("_", " ").replace("-", " ").strip()


def _relation_line(rel: RelationInfo) -> str:
    return (
        f"  {rel.name} -> {rel.target} ({'many' if rel.many else 'one'}){_about(rel.description)}"
    )


def _named_line(kind: str, item: Segment | Measure) -> str:
    return f"  {kind} {item.name}: {_one_line(item.text)}{_about(item.description)}"


# -- JSON ------------------------------------------------------------------------------------


def manifest_as_dict(manifest: Manifest) -> dict[str, Any]:
    """The manifest as JSON-able data (lists keep the model's order; nothing is a model class
    or a callable). Segments and measures carry their text and their parsed plan node."""
    return {
        "models": [_model_dict(manifest.models[label]) for label in manifest.labels()],
        "clipped": list(manifest.clipped),
    }


def _model_dict(info: ModelInfo) -> dict[str, Any]:
    return {
        "label": info.label,
        "verbose_name": info.verbose_name,
        "verbose_name_plural": info.verbose_name_plural,
        "pk_name": info.pk_name,
        "description": info.description,
        "synonyms": list(info.synonyms),
        "default_time_field": info.default_time_field,
        "scoped": info.scope is not None,
        "fields": [_field_dict(f) for f in info.fields.values()],
        "relations": [_relation_dict(r) for r in info.relations.values()],
        "segments": [
            {
                "name": s.name,
                "text": s.text,
                "description": s.description,
                "condition": s.condition.model_dump(mode="json"),
            }
            for s in info.segments.values()
        ],
        "measures": [
            {
                "name": m.name,
                "text": m.text,
                "description": m.description,
                "aggregate": m.aggregate.model_dump(mode="json"),
            }
            for m in info.measures.values()
        ],
    }


def _field_dict(field: FieldInfo) -> dict[str, Any]:
    return {
        "name": field.name,
        "type": field.type,
        "verbose_name": field.verbose_name,
        "description": field.description,
        "choices": [[_json_value(value), label] for value, label in field.choices],
        "nullable": field.nullable,
        "primary_key": field.primary_key,
        "synonyms": list(field.synonyms),
    }


def _relation_dict(rel: RelationInfo) -> dict[str, Any]:
    return {
        "name": rel.name,
        "target": rel.target,
        "many": rel.many,
        "reverse_name": rel.reverse_name,
        "kind": rel.kind,
        "verbose_name": rel.verbose_name,
        "description": rel.description,
        "nullable": rel.nullable,
    }


def _json_value(value: Any) -> Any:
    """Choice values are usually str or int; dates become ISO text, anything else (Decimal,
    UUID, timedelta) its str()."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
