"""Which fields the value index reads: short text fields whose values name things."""

from __future__ import annotations

from djai_dsl.manifest.types import ModelInfo


def indexable_fields(info: ModelInfo) -> list[str]:
    """Text fields of ``info`` worth indexing: short strings without choices (the manifest
    holds those), not the key. None for a model with a row-scoping hook: its values depend
    on the user, and a planner must not learn values the user cannot see."""
    if info.scope is not None:
        return []
    return [
        f.name
        for f in info.fields.values()
        if f.type == "string" and not f.choices and not f.primary_key
    ]
