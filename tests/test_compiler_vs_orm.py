"""The compiler's answers equal hand-written Django ORM answers.

Each case is a question asked twice: once in the DSL (compiled by djai_dsl.compiler, run by
the read-only executor) and once written by hand the way a Django developer would answer
it (aggregate / annotate / values / filter / Exists / Subquery, or plain Python over the
rows where the ORM would only repeat what the compiler does, e.g. time zone buckets).
Rows are compared in order when the DSL sorts them completely, otherwise as sorted lists.

The clock is the suite's fixed ``now`` (2026-06-15 10:30 UTC, a Monday) in Europe/Berlin,
so every window resolves to dates written out below.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from demo.chinook import models as chinook
from demo.shop.models import Customer, Order, OrderItem, Payment, SupportTicket
from djai_dsl.compiler import Column, CompiledQuery, compile_plan
from djai_dsl.executor import ReadOnlyExecutor, normalize_value
from djai_dsl.grammar import parse
from tests.conftest import TZ
from tests.factories import CustomerFactory, OrderFactory, SupportTicketFactory

pytestmark = pytest.mark.django_db

PAID = ["paid", "shipped", "delivered"]
NUMERIC = {"integer", "decimal", "float"}


def local(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    """A wall-clock time in Berlin (the offset follows daylight saving time)."""
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def berlin(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TZ)


# ------------------------------------------------------------------------------ running


def compile_text(text: str, manifest, tz, now) -> CompiledQuery:  # type: ignore[no-untyped-def]
    return compile_plan(parse(text), manifest, tz=tz, now=now)


def run(text: str, manifest, tz, now) -> tuple[list[Column], list[list[Any]]]:  # type: ignore[no-untyped-def]
    compiled = compile_text(text, manifest, tz, now)
    result = ReadOnlyExecutor().run(compiled, tz=tz, page_size=1000)
    assert not result.truncated, "raise the page size: the comparison needs every row"
    return compiled.columns, result.rows


def canonical(rows: Iterable[Iterable[Any]], columns: list[Column]) -> list[list[Any]]:
    """Rows in one comparable form: numbers as floats (backends differ in Decimal vs float
    and in digits), dates and times as the executor writes them (ISO, in Berlin)."""
    out = []
    for row in rows:
        values = list(row)
        assert len(values) == len(columns), values
        out.append(
            [
                float(v) if c.type in NUMERIC and v is not None else normalize_value(v, TZ)
                for v, c in zip(values, columns, strict=True)
            ]
        )
    return out


def sort_key(row: list[Any]) -> tuple[Any, ...]:
    return tuple((v is not None, round(v, 2) if isinstance(v, float) else v) for v in row)


def assert_same_rows(actual: list[list[Any]], expected: list[list[Any]], *, ordered: bool) -> None:
    if not ordered:
        actual, expected = sorted(actual, key=sort_key), sorted(expected, key=sort_key)
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected, strict=True):
        assert len(got) == len(want) and all(map(same_value, got, want)), (got, want)


def same_value(got: Any, want: Any) -> bool:
    if isinstance(got, float) and isinstance(want, float):
        # MariaDB divides decimals keeping 4 more digits only: agree to 1e-4.
        return math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-6)
    return bool(got == want)


# ------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    id: str
    dsl: str
    orm: Callable[[], Iterable[Iterable[Any]]]
    ordered: bool = False


def orders_by_status() -> Iterable[tuple[Any, ...]]:
    return (
        Order.objects.values("status")
        .annotate(n=Count("id"), revenue=Sum("total"), average=Avg("total"))
        .order_by("status")
        .values_list("status", "n", "revenue", "average")
    )


def paid_revenue_by_country_last_30_days() -> Iterable[tuple[Any, ...]]:
    # last 30 days = today and the 29 days before it: 2026-05-17 .. 2026-06-15 in Berlin.
    return (
        Order.objects.filter(
            status__in=PAID,
            created_at__gte=local(2026, 5, 17),
            created_at__lt=local(2026, 6, 16),
        )
        .values("customer__country")
        .annotate(revenue=Sum("total"))
        .values_list("customer__country", "revenue")
    )


def measures_by_shipping_country() -> Iterable[tuple[Any, ...]]:
    return (
        Order.objects.values("shipping_country")
        .annotate(
            revenue=Sum("total", filter=Q(status__in=PAID)),
            buyers=Count("customer", distinct=True),
        )
        .values_list("shipping_country", "revenue", "buyers")
    )


def active_business_customers() -> Iterable[tuple[Any, ...]]:
    return (
        Customer.objects.filter(tier="business", is_active=True)
        .order_by("name", "id")
        .values_list("name")
    )


def distinct_buyers_per_month_2025() -> Iterable[tuple[Any, ...]]:
    buyers: dict[dt.date, set[int]] = defaultdict(set)
    rows = Order.objects.filter(created_at__gte=local(2025, 1, 1), created_at__lt=local(2026, 1, 1))
    for created_at, customer_id in rows.values_list("created_at", "customer_id"):
        month = berlin(created_at).date().replace(day=1)
        buyers[month].add(customer_id)
    return [(month, len(ids)) for month, ids in sorted(buyers.items())]


def first_and_last_order_by_status() -> Iterable[tuple[Any, ...]]:
    return (
        Order.objects.values("status")
        .annotate(earliest=Min("created_at"), latest=Max("created_at"))
        .order_by("status")
        .values_list("status", "earliest", "latest")
    )


def countries_with_many_orders() -> Iterable[tuple[Any, ...]]:
    return (
        Order.objects.values("customer__country")
        .annotate(n=Count("id"))
        .filter(n__gt=50)
        .order_by("customer__country")
        .values_list("customer__country", "n")
    )


def shipping_countries_having_or() -> Iterable[tuple[Any, ...]]:
    return (
        Order.objects.values("shipping_country")
        .annotate(n=Count("id"), revenue=Sum("total"))
        .filter(Q(n__gte=10, n__lte=30) | Q(revenue__gt=50000))
        .order_by("shipping_country")
        .values_list("shipping_country", "n", "revenue")
    )


def orders_per_refund_by_status() -> Iterable[tuple[Any, ...]]:
    counts = Counter(Order.objects.values_list("status", flat=True))
    rows = []
    for status in sorted(counts):
        refunded = counts[status] if status == "refunded" else 0
        rows.append(
            (status, counts[status], refunded, counts[status] / refunded if refunded else None)
        )
    assert any(r[3] is None for r in rows) and any(r[3] is not None for r in rows)
    return rows


def payment_success_share() -> Iterable[tuple[Any, ...]]:
    rows = []
    per_method = Payment.objects.values("method").annotate(
        attempts=Count("id"), failed=Count("id", filter=Q(status="failed"))
    )
    for row in per_method.order_by("method"):
        attempts, failed = row["attempts"], row["failed"]
        rows.append((row["method"], attempts, failed, (attempts - failed) * 100 / attempts))
    return rows


def customers_not_in_berlin() -> Iterable[tuple[Any, ...]]:
    everyone = Customer.objects.order_by("name", "id").values_list("name", "city")
    kept = [(name, city) for name, city in everyone if city is None or city.lower() != "berlin"]
    assert any(city is None for _, city in kept), "the data must have customers without a city"
    return [(name,) for name, _ in kept]


def customers_not_equal_berlin() -> Iterable[tuple[Any, ...]]:
    cities = Customer.objects.values_list("city", flat=True)
    return [(sum(1 for c in cities if c is None or c.lower() != "berlin"),)]


def tickets_not_handled_by_anna() -> Iterable[tuple[Any, ...]]:
    tickets = SupportTicket.objects.select_related("assignee")
    unassigned = sum(1 for t in tickets if t.assignee is None)
    assert unassigned > 0, "the data must have unassigned tickets"
    return [
        (sum(1 for t in tickets if t.assignee is None or t.assignee.username != "support.anna"),)
    ]


def customers_in_berlin_any_case() -> Iterable[tuple[Any, ...]]:
    n = Customer.objects.filter(city="Berlin").count()
    assert n > 0
    return [(n,)]


def customers_not_in_two_cities() -> Iterable[tuple[Any, ...]]:
    cities = Customer.objects.values_list("city", flat=True)
    return [(sum(1 for c in cities if c not in ("Berlin", "Paris")),)]


def customers_by_name_pieces() -> Iterable[tuple[Any, ...]]:
    names = Customer.objects.order_by("name", "id").values_list("name", flat=True)
    return [
        (n,)
        for n in names
        if "son" in n.lower() or n.lower().startswith("mi") or n.lower().endswith("labs")
    ]


def customers_with_refunded_orders() -> Iterable[tuple[Any, ...]]:
    refunded = Order.objects.filter(customer=OuterRef("pk"), status="refunded")
    return Customer.objects.filter(Exists(refunded)).order_by("name", "id").values_list("name")


def customers_without_tickets() -> Iterable[tuple[Any, ...]]:
    return (
        Customer.objects.annotate(n=Count("tickets"))
        .filter(n=0)
        .order_by("name", "id")
        .values_list("name")
    )


def customers_with_damaged_refunds() -> Iterable[tuple[Any, ...]]:
    return [(Customer.objects.filter(orders__refunds__reason="damaged").distinct().count(),)]


def customers_with_delivered_orders() -> Iterable[tuple[Any, ...]]:
    joined = Customer.objects.filter(orders__status="delivered")
    distinct = joined.distinct()
    # The naive join repeats a customer once per delivered order: the DSL must not.
    assert joined.count() > distinct.count()
    return distinct.order_by("name", "id").values_list("name")


def per_customer_order_stats() -> Iterable[tuple[Any, ...]]:
    orders = Order.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    items = (
        OrderItem.objects.filter(order__customer=OuterRef("pk"))
        .order_by()
        .values("order__customer")
    )
    return (
        Customer.objects.annotate(
            n_orders=Coalesce(Subquery(orders.annotate(n=Count("pk")).values("n")), 0),
            spend=Subquery(orders.annotate(s=Sum("total")).values("s")),
            biggest=Subquery(orders.annotate(m=Max("total")).values("m")),
            n_lines=Coalesce(Subquery(items.annotate(n=Count("pk")).values("n")), 0),
        )
        .order_by("id")
        .values_list("id", "n_orders", "spend", "biggest", "n_lines")
    )


def delivered_spend_per_customer() -> Iterable[tuple[Any, ...]]:
    delivered = (
        Order.objects.filter(customer=OuterRef("pk"), status="delivered")
        .order_by()
        .values("customer")
        .annotate(s=Sum("total"))
        .values("s")
    )
    return (
        Customer.objects.annotate(spend=Subquery(delivered))
        .order_by("id")
        .values_list("id", "spend")
    )


def average_line_per_country() -> Iterable[tuple[Any, ...]]:
    averages = dict(
        OrderItem.objects.values("order__customer__country")
        .annotate(a=Avg("line_total"))
        .values_list("order__customer__country", "a")
    )
    countries = sorted(set(Customer.objects.values_list("country", flat=True)))
    return [(country, averages.get(country)) for country in countries]


def revenue_by_parent_category() -> Iterable[tuple[Any, ...]]:
    return (
        OrderItem.objects.values("product__category__parent__name")
        .annotate(revenue=Sum("line_total"))
        .values_list("product__category__parent__name", "revenue")
    )


def third_page_of_orders() -> Iterable[tuple[Any, ...]]:
    return Order.objects.order_by("-total", "id").values_list("id", "total")[20:30]


def big_lines_by_hidden_amount() -> Iterable[tuple[Any, ...]]:
    return (
        OrderItem.objects.filter(quantity__gte=3)
        .order_by("-line_total", "id")
        .values_list("order_id", "quantity")[:15]
    )


def orders_in_january_2026() -> Iterable[tuple[Any, ...]]:
    # `between 2026-01-01 and 2026-01-31` on a date-time: both whole days, Berlin time.
    return [
        (
            Order.objects.filter(
                created_at__gte=local(2026, 1, 1), created_at__lt=local(2026, 2, 1)
            ).count(),
        )
    ]


def orders_on_june_first() -> Iterable[tuple[Any, ...]]:
    return (
        Order.objects.filter(created_at__gte=local(2026, 6, 1), created_at__lt=local(2026, 6, 2))
        .order_by("id")
        .values_list("id")
    )


def invoices_first_quarter_2024() -> Iterable[tuple[Any, ...]]:
    return [
        tuple(
            chinook.Invoice.objects.filter(
                invoice_date__gte=local(2024, 1, 1), invoice_date__lt=local(2024, 4, 1)
            )
            .aggregate(n=Count("id"), revenue=Sum("total"))
            .values()
        )
    ]


def monthly_orders_2025_in_berlin() -> Iterable[tuple[Any, ...]]:
    per_month: dict[dt.date, list[Decimal]] = defaultdict(list)
    rows = Order.objects.filter(created_at__gte=local(2025, 1, 1), created_at__lt=local(2026, 1, 1))
    for created_at, total in rows.values_list("created_at", "total"):
        per_month[berlin(created_at).date().replace(day=1)].append(total)
    return [(m, len(v), sum(v)) for m, v in sorted(per_month.items())]


def hourly_orders_last_48_hours() -> Iterable[tuple[Any, ...]]:
    # now is 12:30 in Berlin: the window is 2026-06-13 13:00 .. 2026-06-15 13:00 (exclusive).
    rows = Order.objects.filter(
        created_at__gte=local(2026, 6, 13, 13), created_at__lt=local(2026, 6, 15, 13)
    )
    hours = Counter(
        berlin(c).replace(minute=0, second=0, microsecond=0)
        for c in rows.values_list("created_at", flat=True)
    )
    return sorted(hours.items())


def hires_per_year() -> Iterable[tuple[Any, ...]]:
    years = Counter(
        d.replace(month=1, day=1)
        for d in chinook.Employee.objects.values_list("hire_date", flat=True)
    )
    return sorted(years.items())


def revenue_by_genre() -> Iterable[tuple[Any, ...]]:
    return (
        chinook.InvoiceLine.objects.values("track__genre__name")
        .annotate(revenue=Sum(F("unit_price") * F("quantity")), units=Sum("quantity"))
        .values_list("track__genre__name", "revenue", "units")
    )


def revenue_by_customer_country() -> Iterable[tuple[Any, ...]]:
    return (
        chinook.Invoice.objects.values("customer__country")
        .annotate(revenue=Sum("total"), customers=Count("customer", distinct=True))
        .values_list("customer__country", "revenue", "customers")
    )


def support_reps_book_of_business() -> Iterable[tuple[Any, ...]]:
    customers = (
        chinook.Customer.objects.filter(support_rep=OuterRef("pk"))
        .order_by()
        .values("support_rep")
        .annotate(n=Count("pk"))
        .values("n")
    )
    invoices = (
        chinook.Invoice.objects.filter(customer__support_rep=OuterRef("pk"))
        .order_by()
        .values("customer__support_rep")
    )
    return (
        chinook.Employee.objects.filter(customers__isnull=False)
        .distinct()
        .annotate(
            n_customers=Subquery(customers),
            n_invoices=Subquery(invoices.annotate(n=Count("pk")).values("n")),
            revenue=Subquery(invoices.annotate(s=Sum("total")).values("s")),
        )
        .values_list("last_name", "n_customers", "n_invoices", "revenue")
    )


def playlist_sizes() -> Iterable[tuple[Any, ...]]:
    return (
        chinook.Playlist.objects.annotate(n=Count("tracks")).order_by("id").values_list("id", "n")
    )


def track_length_by_genre() -> Iterable[tuple[Any, ...]]:
    return (
        chinook.Track.objects.values("genre__name")
        .annotate(n=Count("id"), avg_ms=Avg("milliseconds"), longest=Max("milliseconds"))
        .values_list("genre__name", "n", "avg_ms", "longest")
    )


def no_matching_orders() -> Iterable[tuple[Any, ...]]:
    totals = Order.objects.filter(total__gt=1_000_000).aggregate(n=Count("id"), s=Sum("total"))
    return [(totals["n"], totals["s"])]


def unassigned_tickets() -> Iterable[tuple[Any, ...]]:
    return SupportTicket.objects.filter(assignee__isnull=True).order_by("id").values_list("id")


def customers_who_never_ordered() -> Iterable[tuple[Any, ...]]:
    return [(Customer.objects.filter(orders__isnull=True).count(),)]


CASES = [
    Case(
        "sum_count_avg_by_status",
        "from shop.order group by status "
        "aggregate orders = count(), revenue = sum(total), average = avg(total) sort status",
        orders_by_status,
        ordered=True,
    ),
    Case(
        "paid_revenue_by_country_last_30_days",
        "from shop.order where segment paid and created_at in last 30 days "
        "group by customer.country aggregate revenue = sum(total)",
        paid_revenue_by_country_last_30_days,
    ),
    Case(
        "measures",
        "from shop.order group by shipping_country "
        "aggregate revenue = measure(revenue), buyers = measure(unique_customers)",
        measures_by_shipping_country,
    ),
    Case(
        "segments",
        "from shop.customer where segment business and segment active select name sort name",
        active_business_customers,
        ordered=True,
    ),
    Case(
        "count_distinct_per_berlin_month",
        "from shop.order where created_at in 2025 group by month = created_at by month "
        "aggregate buyers = count(distinct customer) sort month",
        distinct_buyers_per_month_2025,
        ordered=True,
    ),
    Case(
        "min_max_of_dates",
        "from shop.order group by status "
        "aggregate earliest = min(created_at), latest = max(created_at) sort status",
        first_and_last_order_by_status,
        ordered=True,
    ),
    Case(
        "having",
        "from shop.order group by customer.country aggregate orders = count() "
        "having orders > 50 sort customer.country",
        countries_with_many_orders,
        ordered=True,
    ),
    Case(
        "having_between_or",
        "from shop.order group by shipping_country aggregate orders = count(), revenue = sum(total) "
        "having orders between 10 and 30 or revenue > 50000 sort shipping_country",
        shipping_countries_having_or,
        ordered=True,
    ),
    Case(
        "division_by_zero_is_null",
        "from shop.order group by status aggregate orders = count(), "
        'refunded = count() filter (where status = "refunded"), '
        "orders_per_refund = orders / refunded sort status",
        orders_per_refund_by_status,
        ordered=True,
    ),
    Case(
        "formula_with_parentheses",
        "from shop.payment group by method aggregate attempts = count(), "
        'failed = count() filter (where status = "failed"), '
        "success_share = (attempts - failed) * 100 / attempts sort method",
        payment_success_share,
        ordered=True,
    ),
    Case(
        "null_safe_not_keeps_null_cities",
        'from shop.customer where not city = "berlin" select name sort name',
        customers_not_in_berlin,
        ordered=True,
    ),
    Case(
        "not_equal_is_null_safe",
        'from shop.customer where city != "Berlin" aggregate n = count()',
        customers_not_equal_berlin,
    ),
    Case(
        "null_safe_not_through_a_nullable_relation",
        'from shop.supportticket where not assignee.username = "support.anna" '
        "aggregate tickets = count()",
        tickets_not_handled_by_anna,
    ),
    Case(
        "free_text_equality_ignores_case",
        'from shop.customer where city = "BERLIN" aggregate n = count()',
        customers_in_berlin_any_case,
    ),
    Case(
        "not_in_keeps_nulls",
        'from shop.customer where city not in ("Berlin", "Paris") aggregate n = count()',
        customers_not_in_two_cities,
    ),
    Case(
        "contains_starts_ends_ignore_case",
        'from shop.customer where name contains "SON" or name starts with "mi" '
        'or name ends with "LABS" select name sort name',
        customers_by_name_pieces,
        ordered=True,
    ),
    Case(
        "exists_with_where",
        'from shop.customer where exists(orders where status = "refunded") select name sort name',
        customers_with_refunded_orders,
        ordered=True,
    ),
    Case(
        "not_exists",
        "from shop.customer where not exists(tickets) select name sort name",
        customers_without_tickets,
        ordered=True,
    ),
    Case(
        "nested_exists",
        "from shop.customer where exists(orders where exists(refunds where "
        'reason = "damaged")) aggregate customers = count()',
        customers_with_damaged_refunds,
    ),
    Case(
        "to_many_filter_does_not_duplicate_rows",
        'from shop.customer where orders.status = "delivered" select name sort name',
        customers_with_delivered_orders,
        ordered=True,
    ),
    Case(
        "to_many_aggregates_per_customer",
        "from shop.customer group by id aggregate orders = count(orders), "
        "spend = sum(orders.total), biggest = max(orders.total), lines = count(orders.items) "
        "sort id",
        per_customer_order_stats,
        ordered=True,
    ),
    Case(
        "to_many_aggregate_with_filter",
        "from shop.customer group by id aggregate spend = sum(orders.total) "
        'filter (where orders.status = "delivered") sort id',
        delivered_spend_per_customer,
        ordered=True,
    ),
    Case(
        "avg_across_two_to_many_hops",
        "from shop.customer group by country aggregate avg_line = avg(orders.items.line_total) "
        "sort country",
        average_line_per_country,
        ordered=True,
    ),
    Case(
        "group_by_three_hop_path",
        "from shop.orderitem group by product.category.parent.name "
        "aggregate revenue = sum(line_total)",
        revenue_by_parent_category,
    ),
    Case(
        "limit_and_offset",
        "from shop.order select id, total sort total desc, id limit 10 offset 20",
        third_page_of_orders,
        ordered=True,
    ),
    Case(
        "sort_by_a_field_not_shown",
        "from shop.orderitem where quantity >= 3 select order.id, quantity "
        "sort line_total desc limit 15",
        big_lines_by_hidden_amount,
        ordered=True,
    ),
    Case(
        "between_bare_dates_covers_whole_days",
        "from shop.order where created_at between 2026-01-01 and 2026-01-31 aggregate n = count()",
        orders_in_january_2026,
    ),
    Case(
        "a_date_for_a_datetime_means_that_day",
        "from shop.order where created_at = 2026-06-01 select id sort id",
        orders_on_june_first,
        ordered=True,
    ),
    Case(
        "calendar_quarter",
        "from chinook.invoice where invoice_date in 2024-Q1 "
        "aggregate invoices = count(), revenue = sum(total)",
        invoices_first_quarter_2024,
    ),
    Case(
        "month_buckets_in_berlin",
        "from shop.order where created_at in 2025 group by created_at by month "
        "aggregate orders = count(), revenue = sum(total) sort created_at_month",
        monthly_orders_2025_in_berlin,
        ordered=True,
    ),
    Case(
        "hour_buckets_in_berlin",
        "from shop.order where created_at in last 48 hours group by created_at by hour "
        "aggregate orders = count() sort created_at_hour",
        hourly_orders_last_48_hours,
        ordered=True,
    ),
    Case(
        "year_buckets_of_a_date_field",
        "from chinook.employee group by hire_date by year aggregate hires = count() "
        "sort hire_date_year",
        hires_per_year,
        ordered=True,
    ),
    Case(
        "chinook_revenue_by_genre",
        "from chinook.invoiceline group by track.genre.name "
        "aggregate revenue = sum(unit_price), units = sum(quantity)",
        revenue_by_genre,
    ),
    Case(
        "chinook_revenue_by_customer_country",
        "from chinook.invoice group by customer.country "
        "aggregate revenue = sum(total), customers = count(distinct customer)",
        revenue_by_customer_country,
    ),
    Case(
        "chinook_two_to_many_hops_per_rep",
        "from chinook.employee where exists(customers) group by last_name "
        "aggregate customers = count(customers), invoices = count(customers.invoices), "
        "revenue = sum(customers.invoices.total)",
        support_reps_book_of_business,
    ),
    Case(
        "chinook_many_to_many_count",
        "from chinook.playlist group by id aggregate tracks = count(tracks) sort id",
        playlist_sizes,
        ordered=True,
    ),
    Case(
        "chinook_avg_and_max",
        "from chinook.track group by genre.name "
        "aggregate tracks = count(), avg_ms = avg(milliseconds), longest = max(milliseconds)",
        track_length_by_genre,
    ),
    Case(
        "no_matching_rows_still_one_row",
        "from shop.order where total > 1000000 aggregate orders = count(), revenue = sum(total)",
        no_matching_orders,
    ),
    Case(
        "relation_is_null",
        "from shop.supportticket where assignee is null select id sort id",
        unassigned_tickets,
        ordered=True,
    ),
    Case(
        "to_many_relation_is_null_means_none",
        "from shop.customer where orders is null aggregate n = count()",
        customers_who_never_ordered,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_dsl_answer_equals_hand_written_orm(case: Case, manifest, tz, now) -> None:
    columns, rows = run(case.dsl, manifest, tz, now)
    expected = canonical(case.orm(), columns)
    assert expected, "a comparison over no rows proves nothing"
    assert_same_rows(canonical(rows, columns), expected, ordered=case.ordered)


def test_there_are_enough_comparisons() -> None:
    assert len(CASES) >= 32


# ------------------------------------------------------------------------------ windows

# now = 2026-06-15 10:30 UTC = 12:30 in Berlin (summer time, +02:00), a Monday.
WINDOWS = [
    ("last 7 days", "2026-06-09T00:00:00+02:00", "2026-06-16T00:00:00+02:00"),
    ("last day", "2026-06-15T00:00:00+02:00", "2026-06-16T00:00:00+02:00"),
    ("this week", "2026-06-15T00:00:00+02:00", "2026-06-22T00:00:00+02:00"),
    ("previous week", "2026-06-08T00:00:00+02:00", "2026-06-15T00:00:00+02:00"),
    ("next 2 weeks", "2026-06-22T00:00:00+02:00", "2026-07-06T00:00:00+02:00"),
    ("this month", "2026-06-01T00:00:00+02:00", "2026-07-01T00:00:00+02:00"),
    # Both cross the switch to summer time on 2026-03-29: the start is in winter time.
    ("previous quarter", "2026-01-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"),
    ("last 4 months", "2026-03-01T00:00:00+01:00", "2026-07-01T00:00:00+02:00"),
    ("previous year", "2025-01-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00"),
    ("this year", "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"),
    ("last 3 hours", "2026-06-15T10:00:00+02:00", "2026-06-15T13:00:00+02:00"),
    ("previous hour", "2026-06-15T11:00:00+02:00", "2026-06-15T12:00:00+02:00"),
    ("2026-03", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"),
    ("2025-Q4", "2025-10-01T00:00:00+02:00", "2026-01-01T00:00:00+01:00"),
]


@pytest.mark.parametrize(("window", "start", "end"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_windows_resolve_to_berlin_dates(window, start, end, manifest, tz, now) -> None:  # type: ignore[no-untyped-def]
    compiled = compile_text(
        f"from shop.order where created_at in {window} aggregate orders = count()",
        manifest,
        tz,
        now,
    )
    [resolved] = compiled.windows
    assert (resolved["start"], resolved["end"]) == (start, end)

    result = ReadOnlyExecutor().run(compiled, tz=tz)
    by_hand = Order.objects.filter(
        created_at__gte=dt.datetime.fromisoformat(start),
        created_at__lt=dt.datetime.fromisoformat(end),
    ).count()
    assert result.rows == [[by_hand]]


def test_windows_on_a_date_field_are_dates(manifest, tz, now) -> None:
    compiled = compile_text(
        "from chinook.employee where hire_date in 2003 select last_name sort last_name",
        manifest,
        tz,
        now,
    )
    assert [(w["start"], w["end"]) for w in compiled.windows] == [("2003-01-01", "2004-01-01")]
    rows = ReadOnlyExecutor().run(compiled, tz=tz).rows
    by_hand = chinook.Employee.objects.filter(hire_date__year=2003).order_by("last_name", "id")
    assert rows == [[name] for name in by_hand.values_list("last_name", flat=True)]


def test_the_explanation_states_the_dates_and_the_today_rule(manifest, tz, now) -> None:
    compiled = compile_text(
        "from shop.order where created_at in last 7 days or created_at in previous month "
        "aggregate orders = count()",
        manifest,
        tz,
        now,
    )
    assert "2026-06-09 to 2026-06-15; today counts" in compiled.explanation
    assert "2026-05-01 to 2026-05-31; today does not count" in compiled.explanation


def test_week_buckets_start_on_monday_across_the_dst_switch(manifest, tz, now) -> None:
    columns, rows = run(
        "from shop.order where created_at in previous quarter "
        "group by week = created_at by week aggregate orders = count() sort week",
        manifest,
        tz,
        now,
    )
    weeks = [dt.date.fromisoformat(week) for week, _ in rows]
    assert all(week.weekday() == 0 for week in weeks), weeks
    # The week of Monday 2026-03-23 holds the switch to summer time (Sunday 2026-03-29).
    assert dt.date(2026, 3, 23) in weeks
    # 2026-01-01 is a Thursday: its week starts in the previous year.
    assert weeks[0] == dt.date(2025, 12, 29)

    in_quarter = Order.objects.filter(
        created_at__gte=local(2026, 1, 1), created_at__lt=local(2026, 4, 1)
    ).values_list("created_at", flat=True)
    by_hand = Counter()
    for created_at in in_quarter:
        day = berlin(created_at).date()
        by_hand[day - dt.timedelta(days=day.weekday())] += 1
    assert canonical(rows, columns) == canonical(sorted(by_hand.items()), columns)


# ------------------------------------------------------------------------------ join inflation


def test_several_to_many_aggregates_are_not_inflated(manifest, tz, now) -> None:
    """The proof the design asks for: counting orders and tickets of the same customers in
    one query gives the true numbers, equal to a hand-written query with one subquery per
    relation, while the naive join-and-count multiplies them."""
    heavy = CustomerFactory(name="Inflation Heavy", country="SE")
    light = CustomerFactory(name="Inflation Light", country="SE")
    quiet = CustomerFactory(name="Inflation Quiet", country="JP")
    for total in ("100.00", "200.00", "300.00"):
        OrderFactory(customer=heavy, total=Decimal(total))
    OrderFactory(customer=light, total=Decimal("50.00"))
    SupportTicketFactory.create_batch(2, customer=heavy)
    SupportTicketFactory(customer=quiet)

    columns, rows = run(
        'from shop.customer where name starts with "inflation " group by country '
        "aggregate customers = count(), orders = count(orders), tickets = count(tickets), "
        "revenue = sum(orders.total) sort country",
        manifest,
        tz,
        now,
    )
    truth = [["JP", 1, 0, 1, None], ["SE", 2, 4, 2, 650.0]]
    assert canonical(rows, columns) == truth

    ours = Customer.objects.filter(name__startswith="Inflation ")
    orders = Order.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    tickets = SupportTicket.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    by_subqueries = (
        ours.annotate(
            n_orders=Coalesce(Subquery(orders.annotate(n=Count("pk")).values("n")), 0),
            n_tickets=Coalesce(Subquery(tickets.annotate(n=Count("pk")).values("n")), 0),
            spend=Subquery(orders.annotate(s=Sum("total")).values("s")),
        )
        .values("country")
        .annotate(
            customer_count=Count("pk"),
            order_count=Sum("n_orders"),
            ticket_count=Sum("n_tickets"),
            revenue=Sum("spend"),
        )
        .order_by("country")
        .values_list("country", "customer_count", "order_count", "ticket_count", "revenue")
    )
    assert canonical(by_subqueries, columns) == truth

    naive = (
        ours.values("country")
        .annotate(
            customer_count=Count("pk", distinct=True),
            order_count=Count("orders"),
            ticket_count=Count("tickets"),
            revenue=Sum("orders__total"),
        )
        .order_by("country")
        .values_list("country", "customer_count", "order_count", "ticket_count", "revenue")
    )
    inflated = canonical(naive, columns)
    # 3 orders x 2 tickets of the heavy customer become 6 joined rows each way.
    assert inflated[1] == ["SE", 2, 7, 6, 1250.0]
    assert inflated != truth
