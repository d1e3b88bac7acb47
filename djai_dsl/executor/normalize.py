"""Database value -> JSON-friendly value, the same on every backend, in the client's zone.

Pure: it sees one value (and its column) at a time, runs no query and reads no clock; the
time zone is passed in.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from djai_dsl.compiler.types import Column


def normalize_column(value: Any, column: Column, tz: ZoneInfo) -> Any:
    """Round decimal columns to their field's scale first: SQLite sums decimals in floating
    point (``419274.179999997``), PostgreSQL and MariaDB exactly (``419274.18``)."""
    if column.scale is not None and isinstance(value, (Decimal, float)):
        value = Decimal(str(value)).quantize(Decimal(1).scaleb(-column.scale))
    return normalize_value(value, tz)


def normalize_value(value: Any, tz: ZoneInfo) -> Any:
    """A JSON-friendly, deterministic form of one database value, in the client's zone."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        rounded = round(value, 6)
        return 0.0 if rounded == 0 else rounded  # no "-0.0"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
        return format(abs(value) if value.is_zero() else value, "f")
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
        return aware.astimezone(tz).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds(), 6)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, dict)):
        return value  # decoded JSON already
    return str(value)
