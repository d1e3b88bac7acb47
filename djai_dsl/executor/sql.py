"""The SQL a compiled query stands for, to show and to snapshot. Runs nothing.

``compiled_sql`` is Django's own SQL with placeholders and the parameters beside it;
``display_sql`` writes the parameters in for people to read, with quoting that is for
display only and must never be run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet

from djai_dsl.compiler.types import CompiledQuery
from djai_dsl.conf import get_config


def compiled_sql(compiled: CompiledQuery, alias: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """The SQL (with placeholders) and parameters for the plan's rows: its limit and offset
    applied, not the page slice. Nothing is run; it is for showing and snapshotting."""
    alias = alias or get_config()["DATABASE_ALIAS"]
    queryset = compiled.queryset.using(alias)
    offset = compiled.offset or 0
    end = None if compiled.limit is None else offset + compiled.limit
    if offset or end is not None:
        queryset = queryset[offset:end]
    try:
        sql, params = queryset.query.get_compiler(using=alias).as_sql()
    except EmptyResultSet:
        return "-- no rows can match", ()
    return sql, tuple(params)


def display_sql(compiled: CompiledQuery, alias: str | None = None) -> str:
    """``compiled_sql`` with the parameters written in, for people to read. Never run it:
    the quoting is for display only."""
    sql, params = compiled_sql(compiled, alias)
    if not params:
        return sql.replace("%%", "%")
    return sql % tuple(_sql_literal(p) for p in params)


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"X'{bytes(value).hex()}'"
    if isinstance(value, (list, tuple)):
        return "ARRAY[" + ", ".join(_sql_literal(v) for v in value) + "]"
    if isinstance(value, (dt.date, dt.time)):
        value = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    text = str(value)
    return "'" + text.replace("'", "''") + "'"
