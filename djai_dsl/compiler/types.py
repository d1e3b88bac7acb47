"""What the compiler hands to the executor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Column:
    name: str  # output name shown to users, e.g. "customer.country", "revenue"
    key: str  # key in the values() rows, e.g. "c0" (internal alias, a safe identifier)
    type: str  # "string","text","integer","decimal","float","boolean","date","datetime",...
    label: str = ""  # human label
    # Decimal places for decimal columns: SQLite computes sums of decimals in floating point,
    # so the executor rounds to the field's scale to give the same digits on every backend.
    scale: int | None = None


@dataclass(frozen=True)
class OrderKey:
    key: str  # values() key (may be a hidden column such as "k_pk")
    descending: bool
    # NULLs sort as the smallest value on every backend: first ascending, last descending.


@dataclass
class CompiledQuery:
    # A values() queryset ordered by order_keys (a total order), not sliced.
    queryset: QuerySet[Any]
    columns: list[Column]  # visible output columns, in order
    order_keys: list[OrderKey]  # total order for keyset pagination; empty for one-row results
    limit: int | None  # from the plan (total rows wanted), None = all
    offset: int | None
    explanation: str
    fingerprint: str  # hash of the canonical plan + timezone + now; binds cursors to the query
    model_label: str
    plan: Any = None  # the QueryPlan
    # Resolved time windows, for clients: [{"field", "window", "start", "end"}]
    windows: list[dict[str, str]] = field(default_factory=list)
