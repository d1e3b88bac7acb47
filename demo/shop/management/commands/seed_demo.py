"""``manage.py seed_demo``: fill the shop with deterministic demo data."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.shop.seed import ShopNotEmpty, seed


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today must be a date like 2024-03-15, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Fill the shop with deterministic demo data: the same --seed, --scale and --today "
        "always give the same rows. Scale 1.0 is about 5,000 customers and 50,000 orders "
        "over the three years up to --today. Does nothing if the shop has data, unless --flush."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Data volume; 1.0 = 50,000 orders."
        )
        parser.add_argument(
            "--today",
            type=_iso_date,
            default=None,
            help="Date the data ends on, YYYY-MM-DD (default: today).",
        )
        parser.add_argument("--flush", action="store_true", help="Delete existing shop data first.")
        parser.add_argument("--database", default="default", help="Database alias to fill.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] <= 0:
            raise CommandError("--scale must be a positive number.")
        started = time.perf_counter()
        try:
            counts = seed(
                seed=options["seed"],
                scale=options["scale"],
                today=options["today"],
                flush=options["flush"],
                using=options["database"],
            )
        except ShopNotEmpty:
            # Like load_chinook: re-running the demo set-up (make demo) is not an error.
            self.stdout.write("The shop already has data; nothing to do (use --flush to reseed).")
            return
        summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary} in {elapsed:.1f}s."))
