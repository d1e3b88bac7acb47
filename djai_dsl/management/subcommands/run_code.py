"""``manage.py djai run-code <file.py|-> --user NAME``: run an ORM snippet (the escape hatch)
the way the chat would, and print the rows or the typed error.

Only when ``DJAI["ESCAPE_HATCH"]["ENABLED"]`` is on, and only as a ``--user`` who holds
``djai_dsl.use_escape_hatch`` (the command has no trusted mode: it answers exactly what that
user would get). The snippet goes through the guard, the interpreter against the user's
manifest and the read-only executor; refusals print their code, line and column and what is
allowed instead (``[code_forbidden_attribute] line 1, column 1: .delete() changes data...``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from djai_dsl.chat.code import snippet_sql
from djai_dsl.errors import DjaiError
from djai_dsl.escape import require_escape_hatch, run_snippet
from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.management.subcommands.base import (
    Subcommand,
    add_clock_arguments,
    clock_from_options,
    get_user,
)
from djai_dsl.management.subcommands.query import format_table
from djai_dsl.manifest.builder import build_manifest


class RunCodeSubcommand(Subcommand):
    help = "Check and run an ORM snippet read-only as a user (escape hatch; - reads stdin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a file holding the snippet; - reads stdin")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            required=True,
            help="run as this user (needs djai_dsl.use_escape_hatch)",
        )
        add_clock_arguments(parser)
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument("--sql", action="store_true", help="also print the SQL")
        parser.add_argument("--page-size", type=int, default=None, help="rows per page")

    def handle(self, **options: Any) -> None:
        text = self._read(options["file"])
        tz, now = clock_from_options(options)
        user = get_user(options["user"])
        executor = ReadOnlyExecutor()
        try:
            settings = require_escape_hatch(user)
            manifest = build_manifest(user)
            snippet, result = run_snippet(
                text,
                manifest,
                tz=tz,
                now=now,
                executor=executor,
                page_size=options.get("page_size"),
                settings=settings,
            )
        except DjaiError as exc:
            if options["as_json"]:
                error = {"type": "error", "message": exc.message, "data": exc.as_dict()}
                self.stdout.write(json.dumps(error, indent=2, ensure_ascii=False))
            raise CommandError(f"[{exc.code}] {exc}") from exc
        sql = snippet_sql(snippet, executor.alias) if options["sql"] else None
        if options["as_json"]:
            data: dict[str, Any] = {
                "result": result.as_dict(),
                "truncated": result.truncated,
                "next_cursor": result.next_cursor,
                "explanation": snippet.explanation,
                "source": "code",
                "snippet": snippet.source,
            }
            if sql is not None:
                data["code"] = sql
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(snippet.explanation)
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
        if sql is not None:
            self.stdout.write("\n" + sql)

    def _read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        try:
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"[bad_request] cannot read {name}: {exc}") from None
