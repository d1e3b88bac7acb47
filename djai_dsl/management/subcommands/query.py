"""``manage.py djai query "<DSL>"`` and ``manage.py djai explain "<DSL>"``.

``query`` runs a DSL text through the same stages as the API (parse, validate against the
user's manifest, compile, read-only execution) and prints a table, or with ``--json`` the
``data`` part of an answer envelope. ``explain`` stops before execution: canonical DSL,
explanation and SQL.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError, CommandParser

from djai_dsl.compiler import CompiledQuery, compile_plan
from djai_dsl.errors import DjaiError
from djai_dsl.executor import ReadOnlyExecutor, Result, display_sql
from djai_dsl.grammar import format_plan, parse
from djai_dsl.management.subcommands.base import (
    Subcommand,
    add_clock_arguments,
    add_user_argument,
    clock_from_options,
    get_user,
)
from djai_dsl.manifest.builder import build_manifest


def _add_common(parser: CommandParser) -> None:
    parser.add_argument(
        "dsl", help='the query text, e.g. "from shop.order aggregate n = count()"; "-" reads stdin'
    )
    add_user_argument(parser)
    add_clock_arguments(parser)


def _compile(options: dict[str, Any]) -> tuple[CompiledQuery, ZoneInfo]:
    text = options["dsl"]
    if text == "-":
        text = sys.stdin.read()
    tz, now = clock_from_options(options)
    manifest = build_manifest(get_user(options.get("user")))
    try:
        plan = parse(text, manifest=manifest)
        return compile_plan(plan, manifest, tz=tz, now=now), tz
    except DjaiError as exc:
        raise CommandError(f"[{exc.code}] {exc}") from exc


NUMERIC_COLUMN_TYPES = frozenset({"integer", "decimal", "float", "duration"})


def format_table(columns: list[str], rows: list[list[Any]], types: list[str] | None = None) -> str:
    """A plain aligned text table; number columns right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    numeric = [t in NUMERIC_COLUMN_TYPES for t in (types or [""] * len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i]) for i, v in enumerate(values)
        ).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def answer_data(compiled: CompiledQuery, result: Result, *, with_sql: bool) -> dict[str, Any]:
    """The ``data`` part of an answer envelope, as the commands print it with ``--json``."""
    data: dict[str, Any] = {
        "result": {
            "columns": [{"name": c.name, "type": c.type, "label": c.label} for c in result.columns],
            "rows": result.rows,
        },
        "truncated": result.truncated,
        "next_cursor": result.next_cursor,
        "explanation": compiled.explanation,
        "plan": format_plan(compiled.plan),
    }
    if with_sql:
        data["code"] = display_sql(compiled)
    return data


def _cell(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class QuerySubcommand(Subcommand):
    help = "Run a DSL query read-only and print the rows."

    def add_arguments(self, parser: CommandParser) -> None:
        _add_common(parser)
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument("--sql", action="store_true", help="also print the compiled SQL")
        parser.add_argument("--page-size", type=int, default=None, help="rows per page")
        parser.add_argument("--cursor", default=None, help="continue from a page cursor")

    def handle(self, **options: Any) -> None:
        compiled, tz = _compile(options)
        try:
            result = ReadOnlyExecutor().run(
                compiled, tz=tz, page_size=options.get("page_size"), cursor=options.get("cursor")
            )
        except DjaiError as exc:
            raise CommandError(f"[{exc.code}] {exc}") from exc
        if options["as_json"]:
            data = answer_data(compiled, result, with_sql=options["sql"])
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(compiled.explanation)
        self.stdout.write("")
        self.stdout.write(
            format_table(
                [c.name for c in result.columns], result.rows, [c.type for c in result.columns]
            )
        )
        noun = "row" if result.row_count == 1 else "rows"
        tail = f"\n({result.row_count} {noun}"
        if result.truncated:
            tail += f"; more rows: --cursor {result.next_cursor}"
        self.stdout.write(tail + ")")
        if options["sql"]:
            self.stdout.write("\n" + display_sql(compiled))


class ExplainSubcommand(Subcommand):
    help = "Show the canonical DSL, the explanation and the SQL of a query, without running it."

    def add_arguments(self, parser: CommandParser) -> None:
        _add_common(parser)

    def handle(self, **options: Any) -> None:
        compiled, _tz = _compile(options)
        self.stdout.write(format_plan(compiled.plan))
        self.stdout.write("")
        self.stdout.write(compiled.explanation)
        self.stdout.write("")
        self.stdout.write(display_sql(compiled))
