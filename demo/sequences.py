"""Keeping id generators ahead of rows inserted with explicit primary keys.

The shop seed and the Chinook loader insert rows with fixed ids (so that the data is the same
on every run and matches upstream). Afterwards the backend's id generator must continue past
them, as ``loaddata`` ensures. Unlike ``loaddata`` this never moves a PostgreSQL sequence
backwards: sequences are not transactional, so after a test transaction that re-seeded a
smaller data set is rolled back, lowering the sequence would make it hand out ids that the
restored rows still use.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connections
from django.db.models import Model


def advance_id_sequences(models: Iterable[type[Model]], *, using: str) -> None:
    connection = connections[using]
    models = list(models)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # SQLite and MariaDB counters follow explicit ids by themselves; other backends
            # get Django's own reset statements.
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            return
        for model in models:
            table = model._meta.db_table
            column = model._meta.pk.column
            # Identifiers come from model metadata and are quoted; nothing here is user input.
            cursor.execute(
                f"""
                SELECT setval(seq, GREATEST(
                    COALESCE(pg_sequence_last_value(seq), 1),
                    (SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 1)
                     FROM {connection.ops.quote_name(table)})
                ))
                FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) AS s
                """,
                [connection.ops.quote_name(table), column],
            )
