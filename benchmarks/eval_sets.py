"""Quality benchmark on a fresh demo database (``make eval``).

Creates a temporary SQLite database with the demo project's settings, migrates it, seeds
the shop for the benchmark's clock (``--today``, the date of the sets' ``now``) and loads
Chinook, then runs ``manage.py djai eval`` on each question set through the chat service,
and removes the database again. A set may have an accuracy target (TARGETS); the exit
status is 1 when one is missed. Sets without a target are reported only.

``--golds-only`` asks nothing: it computes every gold on the fresh database and prints the
row counts (``djai eval --golds-only``), for whoever writes or changes a set.

Run: ``python benchmarks/eval_sets.py [--planner offline] [--scale 0.1] [--json]
[--golds-only] [set.yaml ...]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "benchmarks" / "questions"
#: The question sets run by default, in this order.
SETS = ("demo.yaml", "chinook.yaml", "analytics.yaml", "trust.yaml")
#: question set -> accuracy target of the offline planner (issue #5). analytics.yaml (DSL v2,
#: issue #14) and trust.yaml (issue #16) are reported without a target for now.
TARGETS = {"demo.yaml": 0.85, "chinook.yaml": 0.60}


def configure(database: Path) -> None:
    """The demo project's settings, with the database swapped for ``database``."""
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    import demo.demo_project.settings as demo_settings

    values = {name: getattr(demo_settings, name) for name in dir(demo_settings) if name.isupper()}
    values["DATABASES"] = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}
    }
    values["DEBUG"] = False
    settings.configure(**values)
    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planner", default="offline")
    parser.add_argument("--scale", type=float, default=0.1, help="shop seed scale")
    parser.add_argument("--today", default="2026-06-15", help="the sets' `now` date")
    parser.add_argument("--json", action="store_true", help="JSON reports")
    parser.add_argument(
        "--golds-only", action="store_true", help="compute the golds only, ask nothing"
    )
    parser.add_argument("sets", nargs="*", default=list(SETS), help="files in questions/")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="djai-eval-") as tmp:
        configure(Path(tmp) / "eval.sqlite3")
        from django.core.management import call_command
        from django.core.management.base import CommandError

        from demo.chinook.loader import load as load_chinook
        from demo.shop.seed import seed

        began = time.perf_counter()
        call_command("migrate", verbosity=0)
        seed(seed=42, scale=args.scale, today=dt.date.fromisoformat(args.today))
        load_chinook()
        print(f"seeded a temporary demo database in {time.perf_counter() - began:.1f}s\n")
        failed = []
        for name in args.sets:
            options = ["--planner", args.planner]
            if args.golds_only:
                options = ["--golds-only"]
            elif name in TARGETS and args.planner == "offline":
                options += ["--min-accuracy", str(TARGETS[name])]
            if args.json:
                options.append("--json")
            try:
                call_command("djai", "eval", str(QUESTIONS / name), *options)
            except CommandError as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
