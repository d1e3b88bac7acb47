"""``manage.py load_chinook``: load the Chinook sample database into the chinook app."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.chinook.loader import DEFAULT_PATH, ChinookFileError, is_loaded, load, resolve_path


class Command(BaseCommand):
    help = (
        "Load the Chinook music-store database (artists, albums, tracks, invoices, ...) from "
        "its SQLite file, keeping the upstream ids. Does nothing if it is already loaded, "
        "unless --flush."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path", default=None, help=f"Chinook SQLite file (default: {DEFAULT_PATH})."
        )
        parser.add_argument(
            "--flush", action="store_true", help="Delete the loaded Chinook rows first."
        )
        parser.add_argument("--database", default="default", help="Database alias to fill.")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        try:
            path = resolve_path(options["path"])
            if not options["flush"] and is_loaded(using=using):
                self.stdout.write(
                    "Chinook is already loaded; nothing to do (use --flush to reload)."
                )
                return
            counts = load(path, flush=options["flush"], using=using)
        except ChinookFileError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{table} {count}" for table, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded Chinook: {summary}."))
