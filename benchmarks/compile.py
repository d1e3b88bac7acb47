"""Compile-time and executor-overhead benchmark (``make bench``).

Two comparisons, each against a baseline measured in the same run:

1. For each query, parse + validate + compile the DSL text, and build the SQL, against
   constructing the equivalent hand-written QuerySet and building its SQL. Also prints the
   cost without SQL generation, and whether both SQL texts are identical.
2. Executor overhead: ``ReadOnlyExecutor.run`` (SQL generation, read-only transaction,
   timeout, fetch, normalisation) against running the same SQL on a raw cursor and fetching
   the rows, and against plain Django evaluation of the same QuerySet page (which pays for
   SQL generation too, so the difference is the cost of the safety layer itself).

Targets (issue #3): compile <= 1.5x the hand-written QuerySet and < 0.5 ms p50 for typical
plans; executor <= 1.2x the raw cursor. Run: ``python benchmarks/compile.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Trunc

from demo.shop.models import Customer, Order
from demo.shop.seed import seed
from djai_dsl.compiler import compile_plan
from djai_dsl.executor import ReadOnlyExecutor, compiled_sql
from djai_dsl.grammar import parse
from djai_dsl.manifest import build_manifest

NOW = dt.datetime(2026, 6, 15, 10, 30, tzinfo=dt.timezone.utc)
TZ = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc


def _berlin(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, tzinfo=TZ)


# (name, DSL, hand-written QuerySet builder). The hand-written side is what a Django developer
# would write for the same question, aliased like the compiler so the SQL can be compared.
CASES: list[tuple[str, str, Callable[[], Any]]] = [
    (
        "count",
        "from shop.order\naggregate n = count()",
        lambda: _single_row(Order.objects.annotate(c0=Count("pk")).values("c0")),
    ),
    (
        "filter+listing",
        'from shop.order\nwhere status = "paid" and total > 100\nselect id, total\nsort total desc\nlimit 10',
        lambda: (
            Order.objects.filter(Q(status__exact="paid") & Q(total__gt=100))
            .values(c0=F("id"), c1=F("total"), k_pk=F("pk"))
            .order_by(F("c1").desc(nulls_last=True), F("k_pk").asc(nulls_first=True))
        ),
    ),
    (
        "group by relation",
        'from shop.order\nwhere status in ("paid", "shipped")\ngroup by customer.country\naggregate orders = count(), revenue = sum(total)\nsort revenue desc',
        lambda: (
            Order.objects.filter(status__in=["paid", "shipped"])
            .values(c0=F("customer__country"))
            .annotate(c1=Count("pk"), c2=Sum("total"))
            .order_by(F("c2").desc(nulls_last=True), F("c0").asc(nulls_first=True))
        ),
    ),
    (
        "window + month bucket",
        "from shop.order\nwhere created_at in previous quarter\ngroup by created_at by month\naggregate orders = count()",
        lambda: (
            Order.objects.filter(
                created_at__gte=_berlin(2026, 1, 1), created_at__lt=_berlin(2026, 4, 1)
            )
            .values(
                c0=Trunc(
                    "created_at", "month", output_field=django.db.models.DateField(), tzinfo=TZ
                )
            )
            .annotate(c1=Count("pk"))
            .order_by(F("c0").asc(nulls_first=True))
        ),
    ),
    (
        "not exists",
        "from shop.customer\nwhere not exists(orders)\naggregate n = count()",
        lambda: _single_row(
            Customer.objects.filter(
                ~Exists(Order.objects.filter(customer=OuterRef("pk")).values("pk"))
            )
            .annotate(c0=Count("pk"))
            .values("c0")
        ),
    ),
]


def _single_row(qs: Any) -> Any:
    qs = qs.order_by()
    qs.query.group_by = None
    return qs


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(min(20, repeat)):  # warm caches (parser tables, field lookups)
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(x: float) -> str:
    return f"{x * 1000:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument(
        "--scale", type=float, default=0.2, help="demo data size (1.0 = 50k orders)"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    counts = seed(seed=42, scale=args.scale, today=NOW.date())
    print(f"data: {counts}")
    manifest = build_manifest()

    print(f"compile benchmark: {len(CASES)} queries, {args.repeat} runs each, SQLite in memory\n")
    print("dsl = parse + validate + compile; compile = validate + compile of a parsed plan;")
    print("orm = the hand-written QuerySet; +sql = both also generate their SQL. Times in ms.\n")
    header = (
        f"{'query':22} {'dsl p50':>8} {'dsl p95':>8} {'compile':>8} {'orm p50':>8}"
        f" {'dsl/orm':>8} {'comp/orm':>8} {'+sql':>6}  same SQL"
    )
    print(header)
    print("-" * len(header))
    ratios, sql_ratios, p50s, compile_ratios = [], [], [], []
    for name, text, hand in CASES:
        parsed = parse(text)

        def compile_only() -> Any:
            return compile_plan(parsed, manifest, tz=TZ, now=NOW).queryset

        def dsl() -> Any:
            return compile_plan(parse(text), manifest, tz=TZ, now=NOW).queryset

        def dsl_sql() -> Any:
            return str(dsl().query)

        def orm_sql() -> Any:
            return str(hand().query)

        d, o, c = (
            timed(dsl, args.repeat),
            timed(hand, args.repeat),
            timed(compile_only, args.repeat),
        )
        ds, os_ = timed(dsl_sql, args.repeat), timed(orm_sql, args.repeat)
        ratio = statistics.median(d) / statistics.median(o)
        compile_ratio = statistics.median(c) / statistics.median(o)
        compile_ratios.append(compile_ratio)
        sql_ratio = statistics.median(ds) / statistics.median(os_)
        same = str(dsl().query) == str(hand().query)
        ratios.append(ratio)
        sql_ratios.append(sql_ratio)
        p50s.append(statistics.median(d))
        print(
            f"{name:22} {ms(p(d, 0.5)):>8} {ms(p(d, 0.95)):>8} {ms(p(c, 0.5)):>8} {ms(p(o, 0.5)):>8}"
            f" {ratio:>7.2f}x {compile_ratio:>7.2f}x {sql_ratio:>5.2f}x  {'yes' if same else 'NO'}"
        )
    print(
        f"\nmedian compile/orm {statistics.median(compile_ratios):.2f}x; "
        f"median dsl/orm {statistics.median(ratios):.2f}x (QuerySet only), "
        f"{statistics.median(sql_ratios):.2f}x (to SQL); "
        f"median p50 {ms(statistics.median(p50s))} ms (target <= 1.5x, < 0.5 ms)"
    )

    print("\nexecutor vs raw cursor and vs plain Django (same SQL, same page of rows)\n")
    executor = ReadOnlyExecutor()
    overheads, django_overheads = [], []
    for name, text, _hand in CASES:
        compiled = compile_plan(parse(text), manifest, tz=TZ, now=NOW)
        sql, params = compiled_sql(compiled)
        page = 100

        def run_executor() -> Any:
            return executor.run(compiled, tz=TZ, page_size=page)

        def run_raw() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM ({sql}) AS q LIMIT {page + 1}", params)
                return cursor.fetchall()

        def run_django() -> Any:
            return list(compiled.queryset[: page + 1])

        n = max(10, args.repeat // 3)
        e, r, dj = timed(run_executor, n), timed(run_raw, n), timed(run_django, n)
        ratio = statistics.median(e) / statistics.median(r)
        dj_ratio = statistics.median(e) / statistics.median(dj)
        overheads.append(ratio)
        django_overheads.append(dj_ratio)
        print(
            f"{name:24} executor {ms(statistics.median(e)):>8} ms  raw {ms(statistics.median(r)):>8} ms"
            f" {ratio:5.2f}x   django {ms(statistics.median(dj)):>8} ms {dj_ratio:5.2f}x"
        )
    print(
        f"\nmedian executor overhead {statistics.median(overheads):.2f}x vs raw cursor, "
        f"{statistics.median(django_overheads):.2f}x vs plain Django (target <= 1.2x)"
    )


if __name__ == "__main__":
    main()
