"""``manage.py djai stats [--hours H] [--json | --prometheus]``: the service-level numbers of
the plan (§8) from the QueryLog: first-pass success, clarification and out-of-scope rates,
error rate by code, p50/p95 latency per stage. ``--prometheus`` prints what
``/ai-assistant/api/metrics`` serves."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from djai_dsl.management.subcommands.base import Subcommand
from djai_dsl.observability import compute_stats, prometheus_text


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


class StatsSubcommand(Subcommand):
    help = "Print assistant metrics (rates, latencies, errors) from the query log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours", type=float, default=None, help="window (default: METRICS_WINDOW_HOURS)"
        )
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        output.add_argument(
            "--prometheus", action="store_true", help="print the Prometheus exposition"
        )

    def handle(
        self,
        *,
        hours: float | None = None,
        as_json: bool = False,
        prometheus: bool = False,
        **options: Any,
    ) -> None:
        if prometheus:
            self.stdout.write(prometheus_text().decode(), ending="")
            return
        stats = compute_stats(hours)
        if as_json:
            self.stdout.write(json.dumps(stats.as_dict(), indent=2, sort_keys=True))
            return
        lines = [
            f"Last {stats.window_hours:g} hours: {stats.requests} requests, "
            f"{stats.messages} chat messages",
            f"  first-pass success   {_percent(stats.first_pass_success_rate)}",
            f"  clarification rate   {_percent(stats.clarification_rate)}",
            f"  out-of-scope rate    {_percent(stats.out_of_scope_rate)}",
            f"  error rate           {_percent(stats.error_rate)}",
        ]
        for code, count in stats.errors_by_code.items():
            lines.append(f"    {code:<28} {count}")
        lines.append("  latency              p50          p95")
        for stage, values in stats.latency_ms.items():
            lines.append(f"    {stage:<18} {_ms(values['p50']):>10}   {_ms(values['p95']):>10}")
        self.stdout.write("\n".join(lines))
