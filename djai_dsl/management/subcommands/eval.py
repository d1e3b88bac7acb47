"""``manage.py djai eval <questions.yaml> [--planner offline|llm|replay] [--json]
[--category X]``: the quality benchmark.

Every question of the set goes through the same chat service as the API, and the answers
are compared with gold results computed from the set's hand-written DSL on the same
database (see :mod:`djai_dsl.evaluation`). Prints accuracy, first-pass success,
clarification precision/recall, out-of-scope precision and latency per category and
overall, with the failing items; ``--min-accuracy`` makes it a gate for CI. Nothing is left
in the database: the chats the evaluation opens are rolled back.

``--golds-only`` asks nothing: it computes every gold (SQL or DSL) on the database and prints
how many rows each has, so that whoever writes a set sees every gold run before any
planner answers it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from djai_dsl.errors import DjaiError
from djai_dsl.evaluation.questions import load_question_set
from djai_dsl.evaluation.report import as_json, as_text, metrics
from djai_dsl.evaluation.runner import GoldCheck, Verdict, check_golds, evaluate
from djai_dsl.management.subcommands.base import Subcommand, add_user_argument, get_user
from djai_dsl.planners.select import get_planner


class EvalSubcommand(Subcommand):
    help = "Run a benchmark question set through the chat service and score the answers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("questions", nargs="+", help="question set YAML file(s)")
        parser.add_argument(
            "--planner",
            default=None,
            help="offline, llm, replay or a dotted path (default: the PLANNER setting)",
        )
        parser.add_argument(
            "--category", action="append", default=None, help="only this category (repeatable)"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument(
            "--now", default=None, help="ISO date-time to answer at (default: the set's `now`)"
        )
        parser.add_argument("--tz", default=None, help="time zone (default: the set's)")
        parser.add_argument(
            "--min-accuracy",
            type=float,
            default=None,
            help="fail (exit 1) when a set's accuracy is below this fraction, e.g. 0.85",
        )
        parser.add_argument(
            "--progress", action="store_true", help="print one line per question as it runs"
        )
        parser.add_argument(
            "--golds-only",
            action="store_true",
            help="ask nothing: compute every gold and print its row count",
        )
        add_user_argument(parser)

    def handle(self, **options: Any) -> None:
        if options.get("golds_only"):
            self._check_golds(options)
            return
        try:
            planner = get_planner(options.get("planner"))
        except DjaiError as exc:
            raise CommandError(f"[{exc.code}] {exc}") from exc
        user = get_user(options.get("user"))
        now = _parse_now(options.get("now"))
        reports = []
        below = []
        for path in options["questions"]:
            try:
                question_set = load_question_set(path)
                run = evaluate(
                    question_set,
                    planner,
                    user=user,
                    now=now,
                    tz_name=options.get("tz"),
                    categories=options.get("category"),
                    progress=self._progress if options.get("progress") else None,
                )
            except DjaiError as exc:
                raise CommandError(f"[{exc.code}] {exc}") from exc
            accuracy = metrics(run.verdicts).accuracy or 0.0
            if options.get("min_accuracy") is not None and accuracy < options["min_accuracy"]:
                below.append(f"{question_set.name}: {accuracy:.1%} < {options['min_accuracy']:.0%}")
            if options["as_json"]:
                reports.append(as_json(run))
            else:
                self.stdout.write(as_text(run))
                self.stdout.write("")
        if options["as_json"]:
            self.stdout.write(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2))
        if below:
            raise CommandError("accuracy below target: " + "; ".join(below))

    def _check_golds(self, options: dict[str, Any]) -> None:
        reports, failed = [], []
        for path in options["questions"]:
            try:
                question_set = load_question_set(path)
                checks = check_golds(question_set, categories=options.get("category"))
            except DjaiError as exc:
                raise CommandError(f"[{exc.code}] {exc}") from exc
            failed += [f"{question_set.name}: {c.question.id}" for c in checks if c.error]
            if options["as_json"]:
                reports.append({"set": question_set.name, "golds": [_gold_json(c) for c in checks]})
            else:
                self.stdout.write(_golds_text(question_set.name, checks))
        if options["as_json"]:
            self.stdout.write(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2))
        if failed:
            raise CommandError("golds that do not run: " + ", ".join(failed))

    def _progress(self, verdict: Verdict) -> None:
        mark = "ok  " if verdict.correct else "FAIL"
        sys.stderr.write(f"{mark} {verdict.question.id}: {verdict.question.question}\n")


def _parse_now(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now must be an ISO date-time, not {value!r}.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _gold_json(check: GoldCheck) -> dict[str, Any]:
    out: dict[str, Any] = {"id": check.question.id, "rows": check.rows}
    if check.error:
        out["error"] = check.error
    return out


def _golds_text(name: str, checks: list[GoldCheck]) -> str:
    lines = [f"golds of {name}:"]
    for c in checks:
        if c.error:
            lines.append(f"  {c.question.id}: ERROR {c.error}")
        elif c.rows:
            more = f" (accepted readings: {', '.join(map(str, c.rows[1:]))})" if c.rows[1:] else ""
            lines.append(f"  {c.question.id}: {c.rows[0]} rows{more}")
        else:
            lines.append(f"  {c.question.id}: no gold (expects {c.question.expect})")
    golds = [c for c in checks if c.rows]
    empty = [c.question.id for c in golds if c.rows[0] == 0]
    lines.append(
        f"{len(golds)} golds, {sum(bool(c.error) for c in checks)} errors, "
        f"{len(empty)} empty{': ' + ', '.join(empty) if empty else ''}"
    )
    return "\n".join(lines) + "\n"
