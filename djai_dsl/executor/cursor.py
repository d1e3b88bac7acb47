"""Keyset pagination: the signed page cursor and the "rows after this one" condition.

The cursor is a signed token (``django.core.signing``, salt ``CURSOR_SALT``, expiring after
``CURSOR_MAX_AGE``) holding the query's fingerprint, the page number, the rows served so
far and the last row's order-key values, each type-tagged so that it decodes to the same
Python value. The next page asks for rows strictly after those values in the compiled total
order. This module builds QuerySet filters from manifest-checked order keys and values as
parameters; it runs no query. The token format is a contract with clients holding cursors:
a token issued by an earlier version must still decode.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connections
from django.db.models import DateTimeField, Q, QuerySet
from django.db.models.functions.datetime import TruncBase

from djai_dsl.compiler.types import CompiledQuery, OrderKey
from djai_dsl.conf import get_config
from djai_dsl.errors import CursorInvalid, QueryFailed

# --------------------------------------------------------------------------- tokens


def _tag(value: Any) -> list[Any]:
    """Type-tag an order-key value so that it comes back as the same Python value."""
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", repr(value)]  # repr round-trips exactly, NaN and inf included
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, dt.datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, dt.date):
        return ["da", value.isoformat()]
    if isinstance(value, dt.time):
        return ["t", value.isoformat()]
    if isinstance(value, dt.timedelta):
        return ["td", [value.days, value.seconds, value.microseconds]]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    raise QueryFailed(
        "This answer cannot be split into pages.",
        hint=f"sorting by a {type(value).__name__} value is not supported for pagination",
    )


_UNTAG: dict[str, Callable[[Any], Any]] = {
    "b": bool,
    "i": int,
    "f": float,
    "s": str,
    "d": Decimal,
    "dt": dt.datetime.fromisoformat,
    "da": dt.date.fromisoformat,
    "t": dt.time.fromisoformat,
    "td": lambda parts: dt.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]),
    "u": uuid.UUID,
}


def _untag(item: Any) -> Any:
    if not isinstance(item, list) or not item or item[0] not in (*_UNTAG, "n"):
        raise ValueError("bad cursor value")
    if item[0] == "n":
        return None
    return _UNTAG[item[0]](item[1])


@dataclass(frozen=True)
class Position:
    """Where a page starts: the first page, or the page after the row ``last``."""

    page: int = 1
    served: int = 0  # rows handed out on earlier pages
    last: tuple[Any, ...] | None = None  # order-key values of the last row served


def encode_cursor(fingerprint: str, position: Position) -> str:
    assert position.last is not None
    payload = {
        "f": fingerprint,
        "p": position.page,
        "n": position.served,
        "k": [_tag(v) for v in position.last],
    }
    return signing.dumps(payload, salt=get_config()["CURSOR_SALT"], compress=True)


def decode_cursor(token: str, compiled: CompiledQuery) -> Position:
    """The position ``token`` stands for, or ``CursorInvalid`` when it is altered, expired,
    malformed or belongs to another query."""
    config = get_config()
    if not isinstance(token, str) or not token:
        raise CursorInvalid()
    try:
        payload = signing.loads(token, salt=config["CURSOR_SALT"], max_age=config["CURSOR_MAX_AGE"])
    except signing.SignatureExpired:
        raise CursorInvalid(
            "This page link has expired; run the query again.", hint="cursor expired"
        ) from None
    except (signing.BadSignature, ValueError):
        raise CursorInvalid(hint="the cursor was altered or is not a djai cursor") from None
    if not isinstance(payload, dict) or payload.get("f") != compiled.fingerprint:
        raise CursorInvalid(hint="the cursor belongs to a different query")
    try:
        page, served = int(payload["p"]), int(payload["n"])
        last = tuple(_untag(item) for item in payload["k"])
    except (KeyError, TypeError, ValueError):
        raise CursorInvalid(hint="the cursor is malformed") from None
    if page < 2 or served < 0 or len(last) != len(compiled.order_keys) or not last:
        raise CursorInvalid(hint="the cursor does not fit this query")
    return Position(page=page, served=served, last=last)


# --------------------------------------------------------------------------- keyset


def after_last_row(
    queryset: QuerySet[Any], order_keys: list[OrderKey], last: tuple[Any, ...], alias: str
) -> QuerySet[Any] | None:
    """Rows strictly after ``last`` in the total order, or None when there are none.

    OR over i of (keys before i equal to their values) AND (key i after its value), with
    NULL as the smallest value. Conditions on aggregate aliases end up in HAVING.
    """
    connection = connections[alias]
    values = [
        _comparable(queryset, key.key, value, connection)
        for key, value in zip(order_keys, last, strict=True)
    ]
    branches: list[Q] = []
    for i, (key, value) in enumerate(zip(order_keys, values, strict=True)):
        after = _after(key, value)
        if after is None:
            continue  # nothing sorts after NULL in descending order
        for earlier, earlier_value in zip(order_keys[:i], values[:i], strict=False):
            after &= _equal(earlier.key, earlier_value)
        branches.append(after)
    if not branches:
        return None
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return queryset.filter(condition)


def _after(key: OrderKey, value: Any) -> Q | None:
    if key.descending:
        if value is None:
            return None
        return Q(**{f"{key.key}__lt": value}) | Q(**{f"{key.key}__isnull": True})
    if value is None:
        return Q(**{f"{key.key}__isnull": False})
    return Q(**{f"{key.key}__gt": value})


def _equal(key: str, value: Any) -> Q:
    if value is None:
        return Q(**{f"{key}__isnull": True})
    return Q(**{f"{key}__exact": value})


def _comparable(queryset: QuerySet[Any], key: str, value: Any, connection: Any) -> Any:
    """The value to compare ``key`` with in SQL.

    A datetime truncated in a time zone is computed in SQL as a *wall-clock* time of that
    zone, but Django converts a datetime parameter to the connection's zone before comparing
    (so `key > value` would be off by the UTC offset). Hand it the same wall-clock time,
    labelled with the connection's zone, so that the conversion leaves it unchanged.
    """
    if not isinstance(value, dt.datetime) or value.tzinfo is None or not settings.USE_TZ:
        return value
    expression = queryset.query.annotations.get(key)
    if isinstance(expression, TruncBase) and isinstance(expression.output_field, DateTimeField):
        return value.replace(tzinfo=None).replace(tzinfo=connection.timezone)
    return value
