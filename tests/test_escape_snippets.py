"""Useful ORM snippets — questions a plan cannot express (ranking within groups, a row
compared with a subquery, statistics over per-group counts, conditional expressions) —
run through the escape hatch and give exactly the rows of the same question written by
hand in the Django ORM, on every backend.

Each case is (snippet, hand-written query). Both sides are normalised the same way
(decimals to their field's scale, floats to 6 places, date-times in the request's zone) so
that backend differences in number formatting do not count, while any difference in the
rows does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    StdDev,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import (
    Coalesce,
    DenseRank,
    ExtractIsoWeekDay,
    ExtractYear,
    Lag,
    Length,
    Lower,
    Rank,
    RowNumber,
    TruncMonth,
)
from django.utils import timezone

from demo.chinook.models import Album, Artist, Invoice, InvoiceLine, Track
from demo.chinook.models import Customer as ChinookCustomer
from demo.shop.models import Customer, Order, OrderItem, Payment, Product, Refund
from djai_dsl.escape import EscapeSettings, run_snippet
from tests.conftest import NOW, TZ

pytestmark = pytest.mark.django_db

ALL = EscapeSettings(enabled=True)
PAGE = 1000


@dataclass(frozen=True)
class Snippet:
    id: str
    code: str
    expected: Callable[[], list[tuple[Any, ...]]]
    ordered: bool = True  # compare in order (else as sorted multisets)

    def __str__(self) -> str:
        return self.id


def rows(qs: Any, *fields: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in qs.values_list(*fields)]


LAST_30_DAYS = NOW - dt.timedelta(days=30)
TOP_ORDER = Window(
    expression=Rank(), partition_by=F("customer__country"), order_by=F("total").desc()
)
ORDERS_PER_CUSTOMER = (
    Order.objects.filter(customer=OuterRef("pk"))
    .values("customer")
    .annotate(n=Count("id"))
    .values("n")
)
LATEST_ORDER = Order.objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-id")

SNIPPETS: list[Snippet] = [
    Snippet(
        "top-order-per-country",
        'Order.objects.annotate(rank=Window(expression=Rank(), partition_by=F("customer__country"), '
        'order_by=F("total").desc())).filter(rank=1).values("customer__country", "id", "total")'
        '.order_by("customer__country", "id")',
        lambda: rows(
            Order.objects.annotate(rank=TOP_ORDER)
            .filter(rank=1)
            .order_by("customer__country", "id"),
            "customer__country",
            "id",
            "total",
        ),
    ),
    Snippet(
        "orders-above-customer-average",
        'Order.objects.filter(total__gt=Subquery(Order.objects.filter(customer=OuterRef("customer"))'
        '.values("customer").annotate(a=Avg("total")).values("a"))).count()',
        lambda: [
            (
                Order.objects.filter(
                    total__gt=Subquery(
                        Order.objects.filter(customer=OuterRef("customer"))
                        .values("customer")
                        .annotate(a=Avg("total"))
                        .values("a")
                    )
                ).count(),
            )
        ],
    ),
    Snippet(
        "customers-without-orders",
        'shop_Customer.objects.filter(~Exists(Order.objects.filter(customer=OuterRef("pk"))))'
        '.values("id", "name").order_by("id")',
        lambda: rows(
            Customer.objects.filter(
                ~Exists(Order.objects.filter(customer=OuterRef("pk")))
            ).order_by("id"),
            "id",
            "name",
        ),
    ),
    Snippet(
        "latest-order-status-per-customer",
        'shop_Customer.objects.annotate(last=Subquery(Order.objects.filter(customer=OuterRef("pk"))'
        '.order_by("-created_at", "-id").values("status")[:1])).values("id", "last").order_by("id")[:40]',
        lambda: rows(
            Customer.objects.annotate(last=Subquery(LATEST_ORDER.values("status")[:1])).order_by(
                "id"
            )[:40],
            "id",
            "last",
        ),
    ),
    Snippet(
        "average-orders-per-customer",
        'shop_Customer.objects.annotate(n=Count("orders")).aggregate(avg=Avg("n"), most=Max("n"))',
        lambda: [
            tuple(
                Customer.objects.annotate(n=Count("orders"))
                .aggregate(avg=Avg("n"), most=Max("n"))
                .values()
            )
        ],
    ),
    Snippet(
        "order-size-buckets",
        'Order.objects.annotate(size=Case(When(total__lt=50, then=Value("small")), '
        'When(total__lt=200, then=Value("medium")), default=Value("large"))).values("size")'
        '.annotate(n=Count("id")).order_by("size")',
        lambda: rows(
            Order.objects.annotate(
                size=Case(
                    When(total__lt=50, then=Value("small")),
                    When(total__lt=200, then=Value("medium")),
                    default=Value("large"),
                )
            )
            .values("size")
            .annotate(n=Count("id"))
            .order_by("size"),
            "size",
            "n",
        ),
    ),
    Snippet(
        "paid-share-per-country",
        'Order.objects.values("shipping_country").annotate(share=ExpressionWrapper('
        'Count("id", filter=Q(status__in=["paid", "shipped", "delivered"])) * 1.0 / Count("id"), '
        'output_field=FloatField())).order_by("shipping_country")',
        lambda: rows(
            Order.objects.values("shipping_country")
            .annotate(
                share=ExpressionWrapper(
                    Count("id", filter=Q(status__in=["paid", "shipped", "delivered"]))
                    * 1.0
                    / Count("id"),
                    output_field=FloatField(),
                )
            )
            .order_by("shipping_country"),
            "shipping_country",
            "share",
        ),
    ),
    Snippet(
        "customers-ranked-by-spend",
        'shop_Customer.objects.annotate(spend=Sum("orders__total")).filter(spend__isnull=False)'
        '.annotate(r=Window(expression=DenseRank(), order_by=F("spend").desc()))'
        '.filter(r__lte=5).values("id", "spend", "r")',
        lambda: sorted(
            rows(
                Customer.objects.annotate(spend=Sum("orders__total"))
                .filter(spend__isnull=False)
                .annotate(r=Window(expression=DenseRank(), order_by=F("spend").desc()))
                .filter(r__lte=5),
                "id",
                "spend",
                "r",
            )
        ),
        ordered=False,
    ),
    Snippet(
        "monthly-revenue-with-previous",
        'Order.objects.filter(status__in=["paid", "shipped", "delivered"]).annotate(m=TruncMonth("created_at"))'
        '.values("m").annotate(revenue=Sum("total")).annotate(previous=Window(expression=Lag("revenue"), '
        'order_by=F("m").asc())).order_by("m")',
        lambda: rows(
            Order.objects.filter(status__in=["paid", "shipped", "delivered"])
            .annotate(m=TruncMonth("created_at"))
            .values("m")
            .annotate(revenue=Sum("total"))
            .annotate(previous=Window(expression=Lag("revenue"), order_by=F("m").asc()))
            .order_by("m"),
            "m",
            "revenue",
            "previous",
        ),
    ),
    Snippet(
        "refunded-more-than-paid",
        'Order.objects.annotate(paid=Coalesce(Sum("payments__amount", filter=Q(payments__status="succeeded")), '
        'Value(Decimal("0")), output_field=DecimalField(max_digits=12, decimal_places=2)))'
        '.filter(paid__lt=F("total")).count()',
        lambda: [
            (
                Order.objects.annotate(
                    paid=Coalesce(
                        Sum("payments__amount", filter=Q(payments__status="succeeded")),
                        Value(Decimal("0")),
                        output_field=DecimalField(max_digits=12, decimal_places=2),
                    )
                )
                .filter(paid__lt=F("total"))
                .count(),
            )
        ],
    ),
    Snippet(
        "first-order-per-customer",
        'Order.objects.annotate(n=Window(expression=RowNumber(), partition_by=F("customer"), '
        'order_by=[F("created_at").asc(), F("id").asc()])).filter(n=1).values("customer", "id")'
        '.order_by("customer")[:50]',
        lambda: rows(
            Order.objects.annotate(
                n=Window(
                    expression=RowNumber(),
                    partition_by=F("customer"),
                    order_by=[F("created_at").asc(), F("id").asc()],
                )
            )
            .filter(n=1)
            .order_by("customer")[:50],
            "customer",
            "id",
        ),
    ),
    Snippet(
        "orders-per-weekday",
        'Order.objects.annotate(d=ExtractIsoWeekDay("created_at")).values("d").annotate(n=Count("id")).order_by("d")',
        lambda: rows(
            Order.objects.annotate(d=ExtractIsoWeekDay("created_at", tzinfo=TZ))
            .values("d")
            .annotate(n=Count("id"))
            .order_by("d"),
            "d",
            "n",
        ),
    ),
    Snippet(
        "orders-last-30-days",
        "Order.objects.filter(created_at__gte=now - timedelta(days=30)).count()",
        lambda: [(Order.objects.filter(created_at__gte=LAST_30_DAYS).count(),)],
    ),
    Snippet(
        "customers-with-a-refund-and-a-failed-payment",
        'shop_Customer.objects.filter(Exists(Refund.objects.filter(order__customer=OuterRef("pk"))), '
        'Exists(Payment.objects.filter(order__customer=OuterRef("pk"), status="failed"))).count()',
        lambda: [
            (
                Customer.objects.filter(
                    Exists(Refund.objects.filter(order__customer=OuterRef("pk"))),
                    Exists(Payment.objects.filter(order__customer=OuterRef("pk"), status="failed")),
                ).count(),
            )
        ],
    ),
    Snippet(
        "products-never-ordered",
        'Product.objects.exclude(Exists(OrderItem.objects.filter(product=OuterRef("pk")))).values("sku").order_by("sku")',
        lambda: rows(
            Product.objects.exclude(
                Exists(OrderItem.objects.filter(product=OuterRef("pk")))
            ).order_by("sku"),
            "sku",
        ),
    ),
    Snippet(
        "product-price-vs-average-sale",
        'Product.objects.annotate(sold=Avg("order_items__unit_price")).filter(sold__isnull=False)'
        '.annotate(diff=F("price") - F("sold")).values("sku", "price", "sold", "diff").order_by("sku")[:30]',
        lambda: rows(
            Product.objects.annotate(sold=Avg("order_items__unit_price"))
            .filter(sold__isnull=False)
            .annotate(diff=F("price") - F("sold"))
            .order_by("sku")[:30],
            "sku",
            "price",
            "sold",
            "diff",
        ),
    ),
    Snippet(
        "spend-standard-deviation",
        'Order.objects.aggregate(sd=StdDev("total"), low=Min("total"), high=Max("total"))',
        lambda: [
            tuple(
                Order.objects.aggregate(
                    sd=StdDev("total"), low=Min("total"), high=Max("total")
                ).values()
            )
        ],
    ),
    Snippet(
        "quantity-weighted-average-price",
        'OrderItem.objects.aggregate(avg=ExpressionWrapper(Sum(F("unit_price") * F("quantity")) * 1.0 '
        '/ Sum("quantity"), output_field=FloatField()))',
        lambda: [
            tuple(
                OrderItem.objects.aggregate(
                    avg=ExpressionWrapper(
                        Sum(F("unit_price") * F("quantity")) * 1.0 / Sum("quantity"),
                        output_field=FloatField(),
                    )
                ).values()
            )
        ],
    ),
    Snippet(
        "any-order-over-1000",
        "Order.objects.filter(total__gt=1000).exists()",
        lambda: [(Order.objects.filter(total__gt=1000).exists(),)],
    ),
    Snippet(
        "name-lengths",
        'shop_Customer.objects.annotate(l=Length("name")).values("l").annotate(n=Count("id")).order_by("-n", "l")[:5]',
        lambda: rows(
            Customer.objects.annotate(l=Length("name"))
            .values("l")
            .annotate(n=Count("id"))
            .order_by("-n", "l")[:5],
            "l",
            "n",
        ),
    ),
    Snippet(
        "customers-per-city-lowercased",
        'shop_Customer.objects.filter(city__isnull=False).annotate(c=Lower("city")).values("c")'
        '.annotate(n=Count("id")).order_by("-n", "c")[:10]',
        lambda: rows(
            Customer.objects.filter(city__isnull=False)
            .annotate(c=Lower("city"))
            .values("c")
            .annotate(n=Count("id"))
            .order_by("-n", "c")[:10],
            "c",
            "n",
        ),
    ),
    Snippet(
        "business-share-of-revenue-by-year",
        'Order.objects.annotate(y=ExtractYear("created_at")).values("y").annotate('
        'business=Coalesce(Sum("total", filter=Q(customer__tier="business")), Value(Decimal("0"))), '
        'everyone=Sum("total")).order_by("y")',
        lambda: rows(
            Order.objects.annotate(y=ExtractYear("created_at", tzinfo=TZ))
            .values("y")
            .annotate(
                business=Coalesce(
                    Sum("total", filter=Q(customer__tier="business")), Value(Decimal("0"))
                ),
                everyone=Sum("total"),
            )
            .order_by("y"),
            "y",
            "business",
            "everyone",
        ),
    ),
    Snippet(
        "second-highest-total",
        'Order.objects.order_by("-total", "-id").values("id", "total")[1]',
        lambda: rows(Order.objects.order_by("-total", "-id")[1:2], "id", "total"),
    ),
    Snippet(
        "biggest-order-first",
        'Order.objects.order_by("-total", "id").values("id", "total").first()',
        lambda: rows(Order.objects.order_by("-total", "id")[:1], "id", "total"),
    ),
    Snippet(
        "smallest-order-last",
        'Order.objects.order_by("-total", "id").values("id", "total").last()',
        lambda: rows(Order.objects.order_by("total", "-id")[:1], "id", "total"),
    ),
    Snippet(
        "assignments-then-answer",
        'paid = Q(status__in=["paid", "shipped", "delivered"])\n'
        "recent = Order.objects.filter(paid, created_at__gte=today - timedelta(days=90))\n"
        'result = recent.values("shipping_country").annotate(n=Count("id")).order_by("-n", "shipping_country")[:5]',
        lambda: rows(
            Order.objects.filter(
                status__in=["paid", "shipped", "delivered"],
                created_at__gte=timezone.make_aware(
                    dt.datetime.combine(
                        NOW.astimezone(TZ).date() - dt.timedelta(days=90), dt.time()
                    ),
                    TZ,
                ),
            )
            .values("shipping_country")
            .annotate(n=Count("id"))
            .order_by("-n", "shipping_country")[:5],
            "shipping_country",
            "n",
        ),
    ),
    Snippet(
        "distinct-cities-of-business-customers",
        'shop_Customer.objects.filter(tier="business").values("city").distinct().order_by("city")',
        lambda: rows(
            Customer.objects.filter(tier="business").values("city").distinct().order_by("city"),
            "city",
        ),
    ),
    Snippet(
        "orders-with-more-items-than-average",
        'Order.objects.annotate(n=Count("items")).filter(n__gt=Subquery(Order.objects.annotate(k=Count("items"))'
        ".aggregate_placeholder if False else 2)).count()".replace(
            ".aggregate_placeholder if False else 2", '.values("k").order_by("-k")[4:5]'
        ),
        lambda: [
            (
                Order.objects.annotate(n=Count("items"))
                .filter(
                    n__gt=Subquery(
                        Order.objects.annotate(k=Count("items")).values("k").order_by("-k")[4:5]
                    )
                )
                .count(),
            )
        ],
    ),
    Snippet(
        "chinook-top-artists-by-tracks",
        'Artist.objects.annotate(n=Count("albums__tracks")).order_by("-n", "id").values("name", "n")[:5]',
        lambda: rows(
            Artist.objects.annotate(n=Count("albums__tracks")).order_by("-n", "id")[:5], "name", "n"
        ),
    ),
    Snippet(
        "chinook-longest-track-per-album",
        'Track.objects.annotate(r=Window(expression=RowNumber(), partition_by=F("album"), '
        'order_by=[F("milliseconds").desc(), F("id").asc()])).filter(r=1).values("album", "name")'
        '.order_by("album")[:25]',
        lambda: rows(
            Track.objects.annotate(
                r=Window(
                    expression=RowNumber(),
                    partition_by=F("album"),
                    order_by=[F("milliseconds").desc(), F("id").asc()],
                )
            )
            .filter(r=1)
            .order_by("album")[:25],
            "album",
            "name",
        ),
    ),
    Snippet(
        "chinook-invoice-lines-average-per-invoice",
        'Invoice.objects.annotate(n=Count("lines")).aggregate(avg=Avg("n"))',
        lambda: [
            tuple(Invoice.objects.annotate(n=Count("lines")).aggregate(avg=Avg("n")).values())
        ],
    ),
    Snippet(
        "chinook-customers-above-country-average",
        'chinook_Customer.objects.annotate(spend=Sum("invoices__total")).filter(spend__gt=Subquery('
        'Invoice.objects.filter(customer__country=OuterRef("country")).values("customer__country")'
        '.annotate(a=Avg("total")).values("a"))).count()',
        lambda: [
            (
                ChinookCustomer.objects.annotate(spend=Sum("invoices__total"))
                .filter(
                    spend__gt=Subquery(
                        Invoice.objects.filter(customer__country=OuterRef("country"))
                        .values("customer__country")
                        .annotate(a=Avg("total"))
                        .values("a")
                    )
                )
                .count(),
            )
        ],
    ),
    Snippet(
        "chinook-albums-with-minutes",
        'Album.objects.annotate(minutes=ExpressionWrapper(Sum("tracks__milliseconds") / 60000, '
        'output_field=IntegerField())).order_by("-minutes", "id").values("title", "minutes")[:5]',
        lambda: rows(
            Album.objects.annotate(
                minutes=ExpressionWrapper(
                    Sum("tracks__milliseconds") / 60000, output_field=IntegerField()
                )
            ).order_by("-minutes", "id")[:5],
            "title",
            "minutes",
        ),
    ),
    Snippet(
        "chinook-line-revenue-by-genre",
        'InvoiceLine.objects.values("track__genre__name").annotate(revenue=Sum(F("unit_price") * F("quantity")))'
        '.order_by("-revenue", "track__genre__name")[:5]',
        lambda: rows(
            InvoiceLine.objects.values("track__genre__name")
            .annotate(revenue=Sum(F("unit_price") * F("quantity")))
            .order_by("-revenue", "track__genre__name")[:5],
            "track__genre__name",
            "revenue",
        ),
    ),
]


def canonical(value: Any) -> Any:
    """One form per value whatever the backend returned: decimals and floats rounded,
    date-times in the request's zone, numbers of any type compared as numbers."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (Decimal, float, int)):
        return round(float(value), 2)
    if isinstance(value, str):
        try:
            return round(float(value), 2)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return canonical(parsed)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return aware.astimezone(TZ).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical_rows(data: list[Any], ordered: bool) -> list[tuple[Any, ...]]:
    out = [tuple(canonical(v) for v in row) for row in data]
    return out if ordered else sorted(out, key=repr)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=str)
def test_snippet_matches_the_hand_written_query(snippet: Snippet, manifest: Any) -> None:
    _compiled, result = run_snippet(
        snippet.code, manifest, tz=TZ, now=NOW, page_size=PAGE, settings=ALL
    )
    assert not result.truncated
    with timezone.override(TZ):
        expected = snippet.expected()
    assert expected, "the hand-written query must return rows for the comparison to mean something"
    assert canonical_rows(result.rows, snippet.ordered) == canonical_rows(expected, snippet.ordered)


def test_there_are_enough_useful_snippets() -> None:
    assert len(SNIPPETS) >= 30
    assert len({s.id for s in SNIPPETS}) == len(SNIPPETS)


def test_listing_pages_follow_the_snippets_order(manifest: Any) -> None:
    """Keyset pages of a snippet's rows: the same rows, in the same order, as one big page."""
    code = 'Order.objects.filter(total__gt=100).order_by("-total").values("id", "total")'
    _c, whole = run_snippet(code, manifest, tz=TZ, now=NOW, page_size=PAGE, settings=ALL)
    seen: list[list[Any]] = []
    cursor = None
    for _ in range(100):
        _c, page = run_snippet(
            code, manifest, tz=TZ, now=NOW, page_size=37, cursor=cursor, settings=ALL
        )
        seen += page.rows
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == whole.rows and len(seen) > 37
    expected = rows(Order.objects.filter(total__gt=100).order_by("-total", "id"), "id", "total")
    assert canonical_rows(seen, True) == canonical_rows(expected, True)


def test_model_rows_show_only_visible_fields(manifest: Any) -> None:
    _c, result = run_snippet(
        "shop_Customer.objects.all()[:3]", manifest, tz=TZ, now=NOW, settings=ALL
    )
    names = [c.name for c in result.columns]
    assert "email" not in names and "api_token" not in names
    assert names[:3] == ["id", "name", "country"]
