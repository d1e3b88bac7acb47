"""``manage.py djai run-plan <file.json|->``: validate, compile and run a QueryPlan JSON.

What an external evaluator or a model-in-the-loop script needs: hand djai a plan as JSON
(the same object the LLM fills) and get the rows back, or a typed error whose code says
what was wrong (``bad_request`` for unreadable JSON, ``plan_invalid`` for a wrong shape or
an unknown name, ``limit_exceeded``, ``query_timeout``...). It runs through the same stages
as the API: the ``--user``'s manifest, validation, compilation, read-only execution.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from pydantic import ValidationError

from djai_dsl.compiler import compile_plan
from djai_dsl.errors import BadRequest, DjaiError, ErrorDetail, PlanInvalid
from djai_dsl.executor import ReadOnlyExecutor, display_sql
from djai_dsl.grammar import format_plan
from djai_dsl.management.subcommands.base import (
    Subcommand,
    add_clock_arguments,
    add_user_argument,
    clock_from_options,
    get_user,
)
from djai_dsl.management.subcommands.query import answer_data, format_table
from djai_dsl.manifest.builder import build_manifest
from djai_dsl.plan import QueryPlan


def read_plan(text: str) -> QueryPlan:
    """A QueryPlan from JSON text, checked for shape (not yet against a manifest)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The plan is not JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    try:
        return QueryPlan.model_validate(data)
    except ValidationError as exc:
        details = [
            ErrorDetail(
                str(err["msg"]).removeprefix("Value error, "),
                path=".".join(str(p) for p in err["loc"]),
            )
            for err in exc.errors(include_url=False)
        ]
        first = details[0]
        raise PlanInvalid(
            f"{first.path}: {first.message}" if first.path else first.message, details=details
        ) from None


class RunPlanSubcommand(Subcommand):
    help = "Validate, compile and run a query plan given as JSON (a file, or - for stdin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a JSON file holding one QueryPlan object; - reads stdin")
        add_user_argument(parser)
        add_clock_arguments(parser)
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument("--sql", action="store_true", help="also print the compiled SQL")
        parser.add_argument("--page-size", type=int, default=None, help="rows per page")

    def handle(self, **options: Any) -> None:
        text = self._read(options["file"])
        tz, now = clock_from_options(options)
        manifest = build_manifest(get_user(options.get("user")))
        try:
            compiled = compile_plan(read_plan(text), manifest, tz=tz, now=now)
            result = ReadOnlyExecutor().run(compiled, tz=tz, page_size=options.get("page_size"))
        except DjaiError as exc:
            if options["as_json"]:  # a JSON document on stdout either way, for scripts
                error = {"type": "error", "message": exc.message, "data": exc.as_dict()}
                self.stdout.write(json.dumps(error, indent=2, ensure_ascii=False))
            raise CommandError(f"[{exc.code}] {exc}") from exc
        if options["as_json"]:
            data = answer_data(compiled, result, with_sql=options["sql"])
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(format_plan(compiled.plan))
        self.stdout.write("")
        self.stdout.write(compiled.explanation)
        self.stdout.write("")
        self.stdout.write(
            format_table(
                [c.name for c in result.columns], result.rows, [c.type for c in result.columns]
            )
        )
        noun = "row" if result.row_count == 1 else "rows"
        self.stdout.write(
            f"\n({result.row_count} {noun}{', truncated' if result.truncated else ''})"
        )
        if options["sql"]:
            self.stdout.write("\n" + display_sql(compiled))

    def _read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        try:
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"[bad_request] cannot read {name}: {exc}") from None
