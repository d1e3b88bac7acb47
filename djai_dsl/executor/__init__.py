"""Run a compiled query read-only, with a timeout, a row cap and keyset pagination.

This is the only stage that runs the user's query. It sits above the compiler and below
everything else (values, escape, planners, chat, api, management): it imports the
compiler's types, settings and errors, nothing higher. Laid out like Django's
``db/backends/``:

- ``core``: ``ReadOnlyExecutor`` (one page of a ``CompiledQuery`` -> ``Result``) and
  ``read_only()``, the read-only, time-limited, always rolled-back transaction every query
  runs in.
- ``base``: what every vendor's read-only guard shares; ``sqlite``, ``postgresql``,
  ``mysql`` (MariaDB and MySQL): one guard each, chosen by ``connection.vendor``.
- ``statement_guard``: only single SELECTs through Django's cursor (PostgreSQL, MariaDB).
- ``errors``: database errors -> ``QueryTimeout``, ``ReadOnlyViolation``, ``QueryFailed``
  (without SQL text or values).
- ``cursor``: the signed page cursor and the keyset condition for the next page.
- ``normalize``: database values -> JSON-friendly values in the client's time zone.
- ``sql``: the SQL a compiled query stands for, to show and snapshot (runs nothing).

What other modules use is re-exported here; import it from ``djai_dsl.executor``.
"""

from djai_dsl.executor.core import ReadOnlyExecutor, ReadOnlySession, Result, read_only
from djai_dsl.executor.normalize import normalize_value
from djai_dsl.executor.sql import compiled_sql, display_sql

__all__ = [
    "ReadOnlyExecutor",
    "ReadOnlySession",
    "Result",
    "compiled_sql",
    "display_sql",
    "normalize_value",
    "read_only",
]
