"""Deterministic demo data for the shop.

``seed(seed=42, scale=1.0, today=date(...))`` fills the shop with about 5,000 customers and
50,000 orders over the three years up to and including ``today`` (``scale`` multiplies both).
Every value comes from one ``random.Random(seed)`` and every timestamp is relative to
``today``, so the same arguments always give the same rows, primary keys included, and
"the last 7 days" always has data whenever the demo is seeded.

The data is shaped like a real shop's, so that questions have interesting answers: orders grow
over time and peak in November and December, a few customers buy a lot and some never buy,
recent orders are still pending or in transit, payments fail now and then, some orders are
refunded, tickets pile up on busy agents and some are left unassigned.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model
from django.utils import timezone

from demo.sequences import advance_id_sequences

from .models import (
    Category,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    SupportTicket,
)

#: Customers and orders at scale 1.0.
CUSTOMERS_AT_SCALE_1 = 5_000
ORDERS_AT_SCALE_1 = 50_000
#: Days of order history, today included.
HISTORY_DAYS = 3 * 365 + 1
#: Support tickets per order.
TICKETS_PER_ORDER = 0.06
BATCH_SIZE = 2_000

SHOP_MODELS: tuple[type[Model], ...] = (
    Category,
    Product,
    Customer,
    Order,
    OrderItem,
    Payment,
    Refund,
    SupportTicket,
)

# Staff who answer tickets. Fixed usernames, so re-seeding reuses the same accounts.
STAFF = (
    ("support.anna", "Anna", "Keller"),
    ("support.ben", "Ben", "Okafor"),
    ("support.chen", "Chen", "Li"),
    ("support.dana", "Dana", "Novak"),
    ("support.emil", "Emil", "Larsen"),
)
# How much of the ticket load each agent carries (some agents are busier than others).
STAFF_WEIGHTS = (35, 25, 20, 12, 8)

COUNTRY_WEIGHTS: dict[str, float] = {
    "DE": 20,
    "US": 18,
    "GB": 11,
    "FR": 10,
    "NL": 6,
    "ES": 6,
    "IT": 6,
    "PL": 5,
    "SE": 4,
    "CA": 4,
    "BR": 3,
    "AU": 3,
    "JP": 2,
    "IN": 2,
}

CITIES: dict[str, tuple[str, ...]] = {
    "DE": ("Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Leipzig"),
    "US": ("New York", "Los Angeles", "Chicago", "Houston", "Seattle", "Boston"),
    "GB": ("London", "Manchester", "Birmingham", "Leeds", "Glasgow"),
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Lille"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "The Hague"),
    "ES": ("Madrid", "Barcelona", "Valencia", "Seville"),
    "IT": ("Rome", "Milan", "Naples", "Turin", "Bologna"),
    "PL": ("Warsaw", "Krakow", "Wroclaw", "Gdansk"),
    "SE": ("Stockholm", "Gothenburg", "Malmo"),
    "CA": ("Toronto", "Montreal", "Vancouver", "Calgary"),
    "BR": ("Sao Paulo", "Rio de Janeiro", "Belo Horizonte"),
    "AU": ("Sydney", "Melbourne", "Brisbane", "Perth"),
    "JP": ("Tokyo", "Osaka", "Yokohama", "Nagoya"),
    "IN": ("Mumbai", "Delhi", "Bangalore", "Chennai"),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    """
    Anna Ben Clara David Elena Felix Grace Hugo Ines Jonas Klara Lucas Maria Noah Olivia Paul
    Quinn Rosa Samuel Tara Umar Vera William Xenia Yusuf Zoe Liam Mia Emma Leon Sofia Mateo
    Hannah Oscar Aiko Ravi Priya Lars Ingrid Pedro
"""
)
LAST_NAMES = _words(
    """
    Schmidt Martin Smith Garcia Rossi Meyer Nowak Andersson Silva Tanaka Brown Wilson Dubois
    Fischer Weber Lopez Bianchi Jansen Kowalski Nilsson Santos Sato Taylor Clarke Moreau Becker
    Hoffmann Fernandez Romano Bakker Patel Sharma Murphy Campbell Lefebvre Wagner Ricci Visser
    Lindqvist Costa
"""
)
COMPANY_SUFFIXES = ("Trading", "Supplies", "Group", "& Partners", "Solutions", "Studio", "Labs")

# Top-level category -> leaf category -> (product nouns, price range in EUR).
CATALOGUE: dict[str, dict[str, tuple[tuple[str, ...], tuple[int, int]]]] = {
    "Electronics": {
        "Phones": (("Smartphone", "Phone Case", "Charger", "Screen Protector"), (9, 899)),
        "Laptops": (("Laptop", "Ultrabook", "Laptop Sleeve", "Docking Station"), (29, 1899)),
        "Audio": (("Headphones", "Earbuds", "Speaker", "Soundbar"), (19, 499)),
        "Accessories": (("USB Cable", "Power Bank", "Mouse", "Keyboard"), (5, 129)),
    },
    "Home & Kitchen": {
        "Kitchen": (("Chef Knife", "Frying Pan", "Coffee Grinder", "Kettle"), (12, 249)),
        "Furniture": (("Desk Chair", "Bookshelf", "Side Table", "Standing Desk"), (49, 899)),
        "Lighting": (("Desk Lamp", "Floor Lamp", "LED Strip", "Pendant Light"), (9, 299)),
    },
    "Books": {
        "Fiction": (("Novel", "Thriller", "Short Stories", "Fantasy Saga"), (6, 35)),
        "Non-fiction": (("Cookbook", "Biography", "Travel Guide", "History Book"), (9, 59)),
        "Children's": (("Picture Book", "Activity Book", "Bedtime Stories"), (5, 25)),
    },
    "Sports": {
        "Outdoor": (("Tent", "Sleeping Bag", "Hiking Backpack", "Trekking Poles"), (19, 449)),
        "Fitness": (("Yoga Mat", "Dumbbell Set", "Resistance Bands", "Jump Rope"), (7, 199)),
    },
    "Clothing": {
        "Men": (("T-Shirt", "Hoodie", "Jeans", "Rain Jacket"), (12, 189)),
        "Women": (("Dress", "Blouse", "Cardigan", "Winter Coat"), (15, 249)),
        "Shoes": (("Running Shoes", "Sneakers", "Boots", "Sandals"), (25, 219)),
    },
}
ADJECTIVES = ("Classic", "Pro", "Eco", "Compact", "Premium", "Everyday", "Urban", "Nordic")
PRODUCTS_PER_LEAF = 12

# Relative order volume by month (peak season in November and December) and by weekday.
MONTH_WEIGHTS = (0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.35, 1.55)
WEEKDAY_WEIGHTS = (1.05, 1.0, 1.0, 1.0, 0.95, 0.9, 1.1)
# Orders by hour of day (UTC): quiet at night, busy in the evening.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 5, 3)

# Status mix by the order's age in days: new orders are still open, old ones have settled.
STATUS_MIX_BY_AGE: tuple[tuple[int, dict[str, float]], ...] = (
    (1, {"pending": 35, "paid": 45, "shipped": 15, "cancelled": 5}),
    (7, {"pending": 6, "paid": 20, "shipped": 52, "delivered": 17, "cancelled": 5}),
    (30, {"pending": 1, "shipped": 8, "delivered": 80, "cancelled": 6, "refunded": 5}),
    (
        HISTORY_DAYS,
        {"pending": 0.3, "shipped": 0.7, "delivered": 86, "cancelled": 7, "refunded": 6},
    ),
)
ITEMS_PER_ORDER = {1: 45, 2: 28, 3: 15, 4: 8, 5: 4}
QUANTITIES = {1: 76, 2: 17, 3: 5, 4: 1, 5: 1}
PAYMENT_METHODS = {"card": 64, "paypal": 26, "bank_transfer": 10}
REFUND_REASONS = {
    "damaged": 30,
    "not_as_described": 25,
    "late_delivery": 15,
    "changed_mind": 22,
    "other": 8,
}
PRIORITIES = {"low": 25, "normal": 50, "high": 18, "urgent": 7}
ORDER_TICKET_SUBJECTS = (
    "Where is my order #{order}?",
    "Order #{order} arrived damaged",
    "Wrong item in order #{order}",
    "Please cancel order #{order}",
    "Invoice needed for order #{order}",
    "Refund for order #{order} not received",
)
GENERAL_TICKET_SUBJECTS = (
    "Cannot log in to my account",
    "How do I change my delivery address?",
    "Question about a product",
    "Discount code does not work",
    "Please delete my account",
    "Do you ship to my country?",
)

STATUSES_WITH_PAYMENT = ("paid", "shipped", "delivered", "refunded")
# Chance of a failed payment attempt, by the order's final status (default for the others).
FAILED_PAYMENT_RATE = {"pending": 0.1, "cancelled": 0.3}


class ShopNotEmpty(Exception):
    """Seeding into a shop that already has data would mix two data sets; flush first."""


def seed(
    *,
    seed: int = 42,
    scale: float = 1.0,
    today: date | None = None,
    flush: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> dict[str, int]:
    """Fill the shop with demo data and return how many rows of each kind were created.

    ``today`` defaults to the current date in the project's time zone; all timestamps lie in
    the three years up to the end of that day (UTC). With ``flush=True`` existing shop rows
    are deleted first; otherwise a shop that already has data raises :class:`ShopNotEmpty`.
    """
    if not scale > 0:
        raise ValueError(f"scale must be a positive number, not {scale!r}")
    today = today or timezone.localdate()
    with transaction.atomic(using=using):
        if flush:
            flush_shop(using=using)
        elif any(model._default_manager.using(using).exists() for model in SHOP_MODELS):
            raise ShopNotEmpty("The shop already has data.")
        counts = _ShopGenerator(random.Random(seed), scale, today).write(using)
        advance_id_sequences(SHOP_MODELS, using=using)
    return counts


def flush_shop(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete every shop row, children first, so that PROTECT foreign keys never object.
    Staff users are kept: they are auth accounts, not shop data."""
    for model in (Refund, Payment, OrderItem, SupportTicket, Order, Customer, Product):
        model._default_manager.using(using).all().delete()
    categories = Category._default_manager.using(using)
    while categories.exists():  # leaves first: parent is a PROTECT self-reference
        categories.filter(children__isnull=True).delete()


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class WeightedPicker:
    """Draws indexes 0..n-1 with the given weights, optionally only among the first ``k``.

    The prefix form is what keeps the data consistent over time: customers and products are
    sorted by creation time, and an order may only use those that existed when it was placed.
    """

    def __init__(self, weights: Sequence[float]) -> None:
        self.cumulative = list(accumulate(weights))

    def pick(self, rng: random.Random, among_first: int | None = None) -> int:
        k = len(self.cumulative) if among_first is None else max(1, among_first)
        index = bisect_right(self.cumulative, rng.random() * self.cumulative[k - 1])
        return min(index, k - 1)


def _choice(rng: random.Random, weighted: Mapping[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


@dataclass
class _OrderDraft:
    """What tickets need to know about an order."""

    id: int
    customer: int
    created_at: datetime


@dataclass
class _OrderRows:
    orders: list[Order] = field(default_factory=list)
    items: list[OrderItem] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    drafts: list[_OrderDraft] = field(default_factory=list)


class _ShopGenerator:
    """Builds every row in memory (ids assigned here), then bulk-inserts them in batches."""

    def __init__(self, rng: random.Random, scale: float, today: date) -> None:
        self.rng = rng
        self.today = today
        self.end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=dt_timezone.utc)
        self.start = self.end - timedelta(days=HISTORY_DAYS)
        self.n_customers = max(20, round(CUSTOMERS_AT_SCALE_1 * scale))
        self.n_orders = max(20, round(ORDERS_AT_SCALE_1 * scale))
        self.day_weights = [self._day_weight(i) for i in range(HISTORY_DAYS)]
        self.hours = WeightedPicker(HOUR_WEIGHTS)

    # -- time helpers -------------------------------------------------------------------

    def _day_weight(self, index: int) -> float:
        """Relative activity on day ``index`` of the history (0 = first day): volume triples
        over the three years, with a seasonal and a weekly rhythm."""
        day = self.today - timedelta(days=HISTORY_DAYS - 1 - index)
        growth = 1 + 2 * index / HISTORY_DAYS
        return growth * MONTH_WEIGHTS[day.month - 1] * WEEKDAY_WEIGHTS[day.weekday()]

    def _moment_on(self, day_index: int) -> datetime:
        seconds = self.hours.pick(self.rng) * 3600 + self.rng.randrange(3600)
        return self.start + timedelta(days=day_index, seconds=seconds)

    def _any_time_after(self, moment: datetime) -> datetime:
        """A moment between ``moment`` and the end of ``today``, uniformly."""
        room = int((self.end - moment).total_seconds()) - 1
        return moment + timedelta(seconds=self.rng.randint(0, max(room, 0)))

    def _after(self, moment: datetime, delay_seconds: int) -> datetime:
        """``moment`` plus the delay, unless that passes the end of ``today``: then a moment
        drawn from the time that is left, so recent events do not pile up at midnight."""
        if moment + timedelta(seconds=delay_seconds) >= self.end:
            return self._any_time_after(moment)
        return moment + timedelta(seconds=delay_seconds)

    def _earlier_moment(self, days_before_start: int) -> datetime:
        """A moment in the ``days_before_start`` days before the order history begins."""
        return self.start - timedelta(seconds=self.rng.randrange(days_before_start * 86400))

    # -- rows ---------------------------------------------------------------------------

    def write(self, using: str) -> dict[str, int]:
        staff_ids = self._staff_users(using)
        categories, leaves = self._categories()
        products = self._products(leaves)
        customers = self._customers()
        order_rows = self._orders(customers, products)
        tickets = self._tickets(customers, order_rows.drafts, staff_ids)
        tables: dict[str, list] = {
            # Parents before children; in ``categories`` parents come before their children.
            "categories": categories,
            "products": products,
            "customers": customers,
            "orders": order_rows.orders,
            "order_items": order_rows.items,
            "payments": order_rows.payments,
            "refunds": order_rows.refunds,
            "support_tickets": tickets,
        }
        for model, rows in zip(SHOP_MODELS, tables.values(), strict=True):
            model._default_manager.using(using).bulk_create(rows, batch_size=BATCH_SIZE)
        return {name: len(rows) for name, rows in tables.items()} | {"staff_users": len(staff_ids)}

    def _staff_users(self, using: str) -> list[int]:
        user_model = get_user_model()
        ids = []
        for username, first_name, last_name in STAFF:
            user, created = user_model._default_manager.db_manager(using).get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@shop.example.com",
                    "is_staff": True,
                },
            )
            if created:
                user.set_unusable_password()
                user.save(using=using, update_fields=["password"])
            ids.append(user.pk)
        return ids

    def _categories(self) -> tuple[list[Category], list[tuple[Category, tuple, tuple]]]:
        categories: list[Category] = []
        leaves = []
        for top_name, children in CATALOGUE.items():
            top = Category(id=len(categories) + 1, name=top_name)
            categories.append(top)
            for leaf_name, (nouns, price_range) in children.items():
                leaf = Category(id=len(categories) + 1, name=leaf_name, parent_id=top.id)
                categories.append(leaf)
                leaves.append((leaf, nouns, price_range))
        return categories, leaves

    def _products(self, leaves: list[tuple[Category, tuple, tuple]]) -> list[Product]:
        rng = self.rng
        drafts = []
        for leaf, nouns, (low, high) in leaves:
            names = [f"{adjective} {noun}" for noun in nouns for adjective in ADJECTIVES]
            for number, name in enumerate(rng.sample(names, PRODUCTS_PER_LEAF), start=1):
                # Most of the catalogue predates the order history; the rest arrives later.
                if rng.random() < 0.65:
                    created_at = self._earlier_moment(365)
                else:
                    created_at = self._moment_on(rng.randrange(HISTORY_DAYS))
                price_cents = round(rng.uniform(low, high)) * 100 - 1  # prices end in .99
                drafts.append(
                    (
                        created_at,
                        name,
                        f"{leaf.name[:3].upper()}-{leaf.id:02d}{number:03d}",
                        leaf.id,
                        max(price_cents, 99),
                        rng.random() < 0.92,
                    )
                )
        drafts.sort(key=lambda d: (d[0], d[2]))
        self.product_created = [d[0] for d in drafts]
        self.product_price = [d[4] for d in drafts]
        self.product_popularity = WeightedPicker(
            [min(rng.paretovariate(1.4), 25.0) for _ in drafts]
        )
        return [
            Product(
                id=i + 1,
                created_at=created_at,
                name=name,
                sku=sku,
                category_id=category_id,
                price=_money(price_cents),
                is_active=is_active,
            )
            for i, (created_at, name, sku, category_id, price_cents, is_active) in enumerate(drafts)
        ]

    def _customers(self) -> list[Customer]:
        rng = self.rng
        countries = list(COUNTRY_WEIGHTS)
        country_weights = list(COUNTRY_WEIGHTS.values())
        signup_days = WeightedPicker(self.day_weights)
        signups = []
        for n in range(self.n_customers):
            # The first customers, and 15% overall, joined before the order history starts.
            if n < 3 or rng.random() < 0.15:
                signups.append(self._earlier_moment(365))
            else:
                signups.append(self._moment_on(signup_days.pick(rng)))
        signups.sort()
        customers = []
        for i, signed_up_at in enumerate(signups):
            customer_id = i + 1
            country = rng.choices(countries, weights=country_weights)[0]
            cities = CITIES[country]
            is_business = rng.random() < 0.2
            last = rng.choice(LAST_NAMES)
            if is_business:
                name = f"{last} {rng.choice(COMPANY_SUFFIXES)}"
            else:
                name = f"{rng.choice(FIRST_NAMES)} {last}"
            # Bigger cities first in each list, so they get more customers.
            city = (
                None
                if rng.random() < 0.03
                else cities[min(int(rng.expovariate(0.8)), len(cities) - 1)]
            )
            has_token = rng.random() < (0.85 if is_business else 0.08)
            customers.append(
                Customer(
                    id=customer_id,
                    name=name,
                    email=f"{name.lower().replace(' ', '.').replace('&', 'and')}.{customer_id}"
                    "@example.com",
                    country=country,
                    city=city,
                    tier="business" if is_business else "consumer",
                    is_active=rng.random() < 0.93,
                    signed_up_at=signed_up_at,
                    api_token=f"{rng.getrandbits(160):040x}" if has_token else "",
                )
            )
        return customers

    def _orders(self, customers: list[Customer], products: list[Product]) -> _OrderRows:
        rng = self.rng
        # 15% of customers never order, and some buyers are never picked (the earliest one
        # always buys, so that the first order has someone to belong to). Heavy buyers are rare.
        buyers = [c for i, c in enumerate(customers) if i == 0 or rng.random() < 0.85]
        buyer_signups = [c.signed_up_at for c in buyers]
        buyer_picker = WeightedPicker([min(rng.paretovariate(1.3), 20.0) for _ in buyers])
        countries = list(COUNTRY_WEIGHTS)

        # Seven orders are pinned to the last seven days so that "last 7 days" is never empty.
        day_picker = WeightedPicker(self.day_weights)
        days = [day_picker.pick(rng) for _ in range(self.n_orders - 7)]
        days += range(HISTORY_DAYS - 7, HISTORY_DAYS)
        moments = sorted(self._moment_on(day) for day in days)

        rows = _OrderRows()
        for i, created_at in enumerate(moments):
            order_id = i + 1
            buyer = buyers[buyer_picker.pick(rng, bisect_right(buyer_signups, created_at))]
            age_days = (self.end - created_at).days
            mix = next(mix for limit, mix in STATUS_MIX_BY_AGE if age_days < limit)
            status = _choice(rng, mix)
            line_cents = self._order_lines(rows, order_id, created_at, products)
            total_cents = sum(line_cents)
            shipping_country = buyer.country if rng.random() < 0.95 else rng.choice(countries)
            rows.orders.append(
                Order(
                    id=order_id,
                    customer_id=buyer.id,
                    status=status,
                    created_at=created_at,
                    total=_money(total_cents),
                    shipping_country=shipping_country,
                )
            )
            self._payments(rows, order_id, status, created_at, total_cents)
            self._refunds(rows, order_id, status, created_at, line_cents)
            rows.drafts.append(_OrderDraft(order_id, buyer.id, created_at))
        return rows

    def _order_lines(
        self, rows: _OrderRows, order_id: int, created_at: datetime, products: list[Product]
    ) -> list[int]:
        """Add the order's items to ``rows``; return each line's total in cents (integer
        arithmetic, so that the order total is exactly the sum of its lines)."""
        rng = self.rng
        available = bisect_right(self.product_created, created_at)
        wanted = _weighted_int(rng, ITEMS_PER_ORDER)
        chosen: list[int] = []
        for _ in range(wanted * 3):  # a few retries: the same product is not listed twice
            index = self.product_popularity.pick(rng, available)
            if index not in chosen:
                chosen.append(index)
            if len(chosen) == wanted:
                break
        # Black Friday week: 15% off everything.
        discounted = created_at.month == 11 and created_at.day >= 24
        line_cents = []
        for index in chosen:
            quantity = _weighted_int(rng, QUANTITIES)
            unit_cents = self.product_price[index]
            if discounted:
                unit_cents = unit_cents * 85 // 100
            rows.items.append(
                OrderItem(
                    id=len(rows.items) + 1,
                    order_id=order_id,
                    product_id=products[index].id,
                    quantity=quantity,
                    unit_price=_money(unit_cents),
                    line_total=_money(unit_cents * quantity),
                )
            )
            line_cents.append(unit_cents * quantity)
        return line_cents

    def _payments(
        self, rows: _OrderRows, order_id: int, status: str, created_at: datetime, cents: int
    ) -> None:
        """A succeeded payment for every order that was paid; now and then a failed attempt
        before it (more often for orders that ended up pending or cancelled)."""
        rng = self.rng
        method = _choice(rng, PAYMENT_METHODS)
        attempts = []
        if rng.random() < FAILED_PAYMENT_RATE.get(status, 0.05):
            paid_at = self._after(created_at, rng.randint(5, 300))
            attempts.append(("failed", paid_at))
        if status in STATUSES_WITH_PAYMENT:
            if method == "bank_transfer":
                paid_at = self._after(created_at, rng.randint(12, 72) * 3600)
            else:
                paid_at = self._after(created_at, rng.randint(20, 900))
            attempts.append(("succeeded", paid_at))
        for payment_status, paid_at in attempts:
            rows.payments.append(
                Payment(
                    id=len(rows.payments) + 1,
                    order_id=order_id,
                    amount=_money(cents),
                    method=method,
                    status=payment_status,
                    paid_at=paid_at,
                )
            )

    def _refunds(
        self,
        rows: _OrderRows,
        order_id: int,
        status: str,
        created_at: datetime,
        line_cents: list[int],
    ) -> None:
        """Refunded orders get their money back in full; a few delivered orders get one line
        (or half of a single-line order) back and stay delivered."""
        rng = self.rng
        if status == "refunded":
            cents = sum(line_cents)
        elif status == "delivered" and rng.random() < 0.03:
            cents = rng.choice(line_cents) if len(line_cents) > 1 else line_cents[0] // 2
        else:
            return
        refunded_at = self._after(created_at, rng.randint(3 * 86400, 31 * 86400))
        rows.refunds.append(
            Refund(
                id=len(rows.refunds) + 1,
                order_id=order_id,
                amount=_money(cents),
                reason=_choice(rng, REFUND_REASONS),
                created_at=refunded_at,
            )
        )

    def _tickets(
        self, customers: list[Customer], orders: list[_OrderDraft], staff_ids: list[int]
    ) -> list[SupportTicket]:
        rng = self.rng
        staff = WeightedPicker(STAFF_WEIGHTS)
        drafts = []
        for _ in range(round(len(orders) * TICKETS_PER_ORDER)):
            if rng.random() < 0.85:
                order = rng.choice(orders)
                customer_id = order.customer
                subject = rng.choice(ORDER_TICKET_SUBJECTS).format(order=order.id)
                created_at = self._after(order.created_at, rng.randrange(20 * 86400))
            else:
                customer = rng.choice(customers)
                customer_id = customer.id
                subject = rng.choice(GENERAL_TICKET_SUBJECTS)
                created_at = self._any_time_after(customer.signed_up_at)
            drafts.append((created_at, customer_id, subject))
        drafts.sort(key=lambda d: (d[0], d[1]))

        tickets = []
        for i, (created_at, customer_id, subject) in enumerate(drafts):
            age_days = (self.end - created_at).days
            if age_days < 2:
                status = _choice(rng, {"open": 60, "pending": 25, "closed": 15})
            elif age_days < 14:
                status = _choice(rng, {"open": 25, "pending": 30, "closed": 45})
            else:
                status = _choice(rng, {"open": 3, "pending": 5, "closed": 92})
            # Closed tickets were handled by someone; open ones often wait for an agent.
            assigned = rng.random() < {"open": 0.5, "pending": 0.9, "closed": 1.0}[status]
            closed_at = None
            if status == "closed":
                # Half of the tickets are closed within a day, a few take weeks.
                closed_at = self._after(created_at, 300 + int(rng.expovariate(1 / 129600)))
            tickets.append(
                SupportTicket(
                    id=i + 1,
                    customer_id=customer_id,
                    subject=subject,
                    status=status,
                    priority=_choice(rng, PRIORITIES),
                    assignee_id=staff_ids[staff.pick(rng)] if assigned else None,
                    created_at=created_at,
                    closed_at=closed_at,
                )
            )
        return tickets


def _weighted_int(rng: random.Random, weighted: Mapping[int, float]) -> int:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]
