"""Trace ids, structured logs per stage, and metrics.

- A **trace id** follows one request through every stage: taken from the ``X-Trace-Id``
  header when it is a sane token, otherwise generated; returned in the header and in
  ``meta.trace_id``; stored on Message, QueryLog and ChatEvent rows.
- **Logs** are one JSON document per line on the ``djai_dsl.trace`` logger: one per stage
  (``{"event": "stage", "stage": "planner", "ms": 3.2, "trace_id": ...}``) and one per request
  (``"event": "request"``). Question text passes through :func:`redact` first.
- **Metrics** come from two places, both in Prometheus text format:
  live counters and latency histograms of this process (prometheus-client, in djai's own
  registry so a host's default registry is untouched), and rates and latency quantiles
  computed from the QueryLog table over ``METRICS_WINDOW_HOURS``, which survive restarts and
  add up across worker processes. ``/ai-assistant/api/metrics`` serves both;
  ``manage.py djai stats`` prints the second.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from djai_dsl.conf import get_config

logger = logging.getLogger("djai_dsl.trace")

TRACE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")

#: Stages timed per request, in pipeline order (QueryLog has a column for the main ones).
STAGES = ("router", "context", "manifest", "planner", "compile", "execute", "compose", "record")


def new_trace_id() -> str:
    return uuid.uuid4().hex


def accept_trace_id(header: str | None) -> str:
    """The caller's trace id when it is a plain token of 8 to 64 characters, else a new one
    (a header is never trusted to be safe to log or store as it is)."""
    if header and TRACE_ID_RE.match(header):
        return header
    return new_trace_id()


@lru_cache(maxsize=8)
def _redactor(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def redact(text: str) -> str:
    """``text`` with matches of ``LOG_REDACT_PATTERNS`` replaced, for logs only."""
    pattern = _redactor(tuple(get_config()["LOG_REDACT_PATTERNS"]))
    return text if pattern is None else pattern.sub("[redacted]", text)


def log_event(event: str, trace_id: str, **fields: Any) -> None:
    """Write one structured log line (a JSON object) on the ``djai_dsl.trace`` logger."""
    if not logger.isEnabledFor(logging.INFO):
        return
    payload = {"event": event, "trace_id": trace_id, **fields}
    logger.info(json.dumps(payload, default=str, sort_keys=True, ensure_ascii=False))


@dataclass
class Trace:
    """Timings of one request. ``with trace.stage("planner"):`` times a stage, logs it, and
    feeds the stage latency histogram."""

    trace_id: str
    kind: str = "message"
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, **fields: Any) -> Iterator[dict[str, Any]]:
        """Time the block; the yielded dict may be filled with fields for the log line."""
        extra: dict[str, Any] = dict(fields)
        began = time.perf_counter()
        outcome = "ok"
        try:
            yield extra
        except BaseException as exc:
            outcome = getattr(exc, "code", type(exc).__name__)
            raise
        finally:
            ms = round((time.perf_counter() - began) * 1000, 3)
            self.timings[name] = round(self.timings.get(name, 0.0) + ms, 3)
            METRICS.stage_latency.labels(stage=name).observe(ms / 1000)
            log_event("stage", self.trace_id, stage=name, ms=ms, outcome=outcome, **extra)

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 3)

    def finish(self, *, outcome: str, error_code: str = "", **fields: Any) -> None:
        """Log the request line and count it."""
        total = self.elapsed_ms()
        METRICS.requests.labels(kind=self.kind, outcome=outcome).inc()
        METRICS.stage_latency.labels(stage="total").observe(total / 1000)
        if error_code:
            METRICS.errors.labels(code=error_code).inc()
        log_event(
            "request",
            self.trace_id,
            kind=self.kind,
            outcome=outcome,
            error_code=error_code or None,
            total_ms=total,
            timings=self.timings,
            **fields,
        )


# --------------------------------------------------------------------------- live metrics


class _Metrics:
    """This process's counters and histograms, in djai's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "djai_requests",
            "Requests handled by the chat service, by kind and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "djai_errors",
            "Error envelopes returned, by error code.",
            ["code"],
            registry=self.registry,
        )
        self.stage_latency = Histogram(
            "djai_stage_latency_seconds",
            "Latency of each pipeline stage (and 'total') in this process.",
            ["stage"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 6, 10, 30),
            registry=self.registry,
        )
        self.registry.register(QueryLogCollector())


# --------------------------------------------------------------------------- stored stats


def _quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (no interpolation: the value is one that was observed)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Stats:
    """Rates and latencies over a window of QueryLog rows (see :func:`compute_stats`)."""

    window_hours: float
    requests: int
    messages: int
    by_route: dict[str, int]
    first_pass_success_rate: float | None
    clarification_rate: float | None
    out_of_scope_rate: float | None
    error_rate: float | None
    error_rate_by_code: dict[str, float]
    errors_by_code: dict[str, int]
    latency_ms: dict[str, dict[str, float | None]]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: QueryLog latency column -> stage name in metrics.
LATENCY_COLUMNS = {
    "router_latency_ms": "router",
    "llm_latency_ms": "planner",
    "db_latency_ms": "execution",
    "total_latency_ms": "total",
}
QUANTILE_LABELS = {"p50": "0.5", "p95": "0.95"}
STATS_ROW_CAP = 50_000  # the newest rows of the window; quantiles of more add nothing


def compute_stats(window_hours: float | None = None, now: dt.datetime | None = None) -> Stats:
    """The SLO numbers of the plan (§8) from the QueryLog of the last ``window_hours``.

    - first_pass_success_rate: of the chat messages that were answered or failed after the
      planner was asked, the share answered without a re-ask of the planner.
    - clarification_rate / out_of_scope_rate: share of chat messages with that outcome.
    - error_rate: share of all logged requests that ended in an error; also per error code.
    - latency p50/p95 per stage (router, planner, execution) and end to end.
    """
    from djai_dsl.models import QueryLog

    hours = float(
        window_hours if window_hours is not None else get_config()["METRICS_WINDOW_HOURS"]
    )
    since = (now or timezone.now()) - dt.timedelta(hours=hours)
    rows = list(
        QueryLog.objects.filter(created_at__gte=since)
        .order_by("-created_at")
        .values("kind", "route", "planner", "retry_count", "error_code", *LATENCY_COLUMNS)[
            :STATS_ROW_CAP
        ]
    )
    messages = [r for r in rows if r["kind"] == QueryLog.Kind.MESSAGE]
    by_route: dict[str, int] = {}
    for r in messages:
        by_route[r["route"]] = by_route.get(r["route"], 0) + 1
    # Errors count against the planner only when it was asked (not for a bad request body).
    answered = (QueryLog.Route.ANSWER, QueryLog.Route.ESCAPE_HATCH)  # by a plan or by code
    planned = [
        r for r in messages if r["route"] in answered or (r["route"] == "error" and r["planner"])
    ]
    first_pass = [r for r in planned if r["route"] in answered and r["retry_count"] == 0]
    errors: dict[str, int] = {}
    for r in rows:
        if r["route"] == QueryLog.Route.ERROR:
            code = r["error_code"] or "internal_error"
            errors[code] = errors.get(code, 0) + 1

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    latency: dict[str, dict[str, float | None]] = {}
    for column, stage in LATENCY_COLUMNS.items():
        values = [r[column] for r in rows if r[column] is not None]
        latency[stage] = {
            "p50": _quantile(values, 0.5),
            "p95": _quantile(values, 0.95),
            "count": float(len(values)),
        }
    return Stats(
        window_hours=hours,
        requests=len(rows),
        messages=len(messages),
        by_route=by_route,
        first_pass_success_rate=rate(len(first_pass), len(planned)),
        clarification_rate=rate(by_route.get("clarification", 0), len(messages)),
        out_of_scope_rate=rate(by_route.get("out_of_scope", 0), len(messages)),
        error_rate=rate(sum(errors.values()), len(rows)),
        error_rate_by_code={code: rate(n, len(rows)) or 0.0 for code, n in sorted(errors.items())},
        errors_by_code=dict(sorted(errors.items())),
        latency_ms=latency,
    )


class QueryLogCollector(Collector):
    """Prometheus gauges computed from the QueryLog window at scrape time."""

    NAMES = (
        "djai_first_pass_success_rate",
        "djai_clarification_rate",
        "djai_out_of_scope_rate",
        "djai_error_rate",
        "djai_error_rate_by_code",
        "djai_latency_ms",
        "djai_window_requests",
    )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The metric names, without reading the database (registration calls this)."""
        for name in self.NAMES:
            yield GaugeMetricFamily(name, name)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import DatabaseError

        try:
            stats = compute_stats()
        except DatabaseError:  # tables not migrated yet: expose the live metrics only
            return
        for name, value, text in (
            (
                "djai_first_pass_success_rate",
                stats.first_pass_success_rate,
                "Share of planned chat messages answered without a planner re-ask.",
            ),
            (
                "djai_clarification_rate",
                stats.clarification_rate,
                "Share of chat messages answered with a clarifying question.",
            ),
            (
                "djai_out_of_scope_rate",
                stats.out_of_scope_rate,
                "Share of chat messages refused as out of scope.",
            ),
            ("djai_error_rate", stats.error_rate, "Share of requests that ended in an error."),
        ):
            gauge = GaugeMetricFamily(name, text + f" Window: {stats.window_hours:g} h.")
            gauge.add_metric([], float("nan") if value is None else value)
            yield gauge
        by_code = GaugeMetricFamily(
            "djai_error_rate_by_code",
            "Share of requests that ended in each error code.",
            labels=["code"],
        )
        for code, value in stats.error_rate_by_code.items():
            by_code.add_metric([code], value)
        yield by_code
        latency = GaugeMetricFamily(
            "djai_latency_ms",
            "Latency quantiles per stage over the window, in milliseconds.",
            labels=["stage", "quantile"],
        )
        for stage, values in stats.latency_ms.items():
            for quantile in ("p50", "p95"):
                value = values[quantile]
                if value is not None:
                    latency.add_metric([stage, QUANTILE_LABELS[quantile]], value)
        yield latency
        requests = GaugeMetricFamily(
            "djai_window_requests", "Requests logged in the window.", labels=["kind"]
        )
        requests.add_metric(["all"], stats.requests)
        requests.add_metric(["message"], stats.messages)
        yield requests


METRICS = _Metrics()


def prometheus_text() -> bytes:
    """All of djai's metrics in the Prometheus text exposition format."""
    return generate_latest(METRICS.registry)
