"""Writing conditions from the source: paths through relations, and ``exists``.

A condition on a path through a to-many relation ("orders with an item in Books") becomes
``exists`` over that relation with the rest of the path inside; a segment defined on a
related model is rewritten with the path to it.
"""

from __future__ import annotations

from typing import Any

from djai_dsl import plan as p
from djai_dsl.planners.offline.readings.builder import ReadingBuilder


def across(b: ReadingBuilder, path: str, cond: p.Condition) -> p.Condition:
    """A condition on a path through a to-many relation becomes ``exists``."""
    try:
        resolved = b.c.manifest.resolve(b.source, path)
    except Exception:
        return cond
    if not resolved.to_many:
        return cond
    idx = resolved.last_many_index
    head = ".".join(h.name for h in resolved.hops[: idx + 1])
    inner = _strip_prefix(cond, head)
    return p.Exists(relation=head, condition=inner)


def prefixed(cond: p.Condition, prefix: str) -> p.Condition:
    """A condition written from a related model, rewritten from the source."""
    return _map_paths(cond, lambda path: f"{prefix}.{path}")


def _strip_prefix(cond: p.Condition, head: str) -> p.Condition:
    """The condition seen from the end of ``head`` (inside an ``exists`` over it)."""
    return _map_paths(
        cond, lambda path: path[len(head) + 1 :] if path.startswith(head + ".") else path
    )


def _map_paths(cond: p.Condition, fn: Any) -> p.Condition:
    """The condition with ``fn`` applied to every field path and relation in it."""
    if isinstance(cond, (p.And, p.Or)):
        return type(cond)(conditions=[_map_paths(c, fn) for c in cond.conditions])
    if isinstance(cond, p.Not):
        return p.Not(condition=_map_paths(cond.condition, fn))
    if isinstance(cond, p.Exists):
        return cond.model_copy(update={"relation": fn(cond.relation)})
    if isinstance(cond, p.SegmentRef):
        return cond
    if hasattr(cond, "field"):
        return cond.model_copy(update={"field": fn(cond.field)})
    return cond


def first_path(cond: p.Condition) -> str | None:
    """The field path of the first simple condition in ``cond``."""
    if isinstance(cond, (p.And, p.Or)):
        return first_path(cond.conditions[0])
    if isinstance(cond, p.Not):
        return first_path(cond.condition)
    return getattr(cond, "field", None)


def compare(field: str, op: str, value: Any) -> p.Compare:
    """A comparison (``op`` is checked by the plan model)."""
    return p.Compare.model_validate({"field": field, "op": op, "value": value})
