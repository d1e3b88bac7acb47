"""factory_boy factories for the demo shop's models.

Values come from sequences, not Faker, so a test that builds the same objects in the same
order gets the same rows: snapshot tests can rely on names, amounts and timestamps. Times
count forward from ``BASE_TIME`` so that "later" objects really are later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from demo.shop.models import (
    Category,
    CountryCode,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    SupportTicket,
)

BASE_TIME = datetime(2024, 1, 1, 9, 0, tzinfo=dt_timezone.utc)
COUNTRIES = [code.value for code in CountryCode]


def _hours_after_base(n: int) -> datetime:
    return BASE_TIME + timedelta(hours=n)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    # No password by default (tests log in with ``client.force_login``); pass
    # ``password=factory.django.Password("...")`` when a test needs one.
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class SuperUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    country = factory.Sequence(lambda n: COUNTRIES[n % len(COUNTRIES)])
    city = factory.Sequence(lambda n: f"City {n % 7}")
    tier = Customer.Tier.CONSUMER
    is_active = True
    signed_up_at = factory.Sequence(lambda n: BASE_TIME - timedelta(days=365) + timedelta(days=n))
    api_token = factory.Sequence(lambda n: f"tok_{n:040d}")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    category = factory.SubFactory(CategoryFactory)
    price = factory.Sequence(lambda n: Decimal(10 + n % 90) + Decimal("0.99"))
    is_active = True
    created_at = factory.Sequence(lambda n: BASE_TIME - timedelta(days=30) + timedelta(hours=n))


class OrderFactory(DjangoModelFactory):
    """An order with no items; its ``total`` is whatever the test says (100.00 by default).
    Use :class:`OrderItemFactory` and set the total when the two must agree."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.PAID
    created_at = factory.Sequence(_hours_after_base)
    total = Decimal("100.00")
    shipping_country = factory.LazyAttribute(lambda o: o.customer.country)


class OrderItemFactory(DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda i: i.product.price)
    line_total = factory.LazyAttribute(lambda i: i.unit_price * i.quantity)


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    amount = factory.LazyAttribute(lambda p: p.order.total)
    method = Payment.Method.CARD
    status = Payment.Status.SUCCEEDED
    paid_at = factory.LazyAttribute(lambda p: p.order.created_at + timedelta(minutes=5))


class RefundFactory(DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory, status=Order.Status.REFUNDED)
    amount = factory.LazyAttribute(lambda r: r.order.total)
    reason = Refund.Reason.DAMAGED
    created_at = factory.LazyAttribute(lambda r: r.order.created_at + timedelta(days=7))


class SupportTicketFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicket

    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Question {n}")
    status = SupportTicket.Status.OPEN
    priority = SupportTicket.Priority.NORMAL
    assignee = None
    created_at = factory.Sequence(_hours_after_base)
    closed_at = None
