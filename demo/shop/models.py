"""Models of a small online shop, shaped like the ones a real Django admin manages.

Every foreign key has a ``related_name`` so that reverse paths read as words
(``customer.orders``, ``order.items``, ``product.order_items``): djai's manifest shows these
paths to planners and analysts, and ``order_set`` reads badly in a question.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CountryCode(models.TextChoices):
    """ISO 3166-1 alpha-2 codes of the countries the shop sells to."""

    DE = "DE", "Germany"
    FR = "FR", "France"
    US = "US", "United States"
    GB = "GB", "United Kingdom"
    ES = "ES", "Spain"
    IT = "IT", "Italy"
    NL = "NL", "Netherlands"
    PL = "PL", "Poland"
    SE = "SE", "Sweden"
    BR = "BR", "Brazil"
    JP = "JP", "Japan"
    CA = "CA", "Canada"
    AU = "AU", "Australia"
    IN = "IN", "India"


class Customer(models.Model):
    class Tier(models.TextChoices):
        CONSUMER = "consumer", "Consumer"
        BUSINESS = "business", "Business"

    name = models.CharField("name", max_length=120)
    email = models.EmailField("email address", unique=True)
    country = models.CharField("country", max_length=2, choices=CountryCode.choices)
    # NULL means "the customer never told us", which the demo keeps distinct from an empty
    # string so that "customers without a city" is an `is null` question.
    city = models.CharField("city", max_length=80, null=True, blank=True)  # noqa: DJ001
    # Not called "segment": that is a word of the djai DSL (named conditions).
    tier = models.CharField("tier", max_length=16, choices=Tier.choices, default=Tier.CONSUMER)
    is_active = models.BooleanField("active", default=True)
    signed_up_at = models.DateTimeField("signed up at")
    # Looks secret on purpose: djai must never expose it, whatever the registry says.
    api_token = models.CharField("API token", max_length=64, blank=True)

    class Meta:
        verbose_name = "customer"
        verbose_name_plural = "customers"
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["signed_up_at"]), models.Index(fields=["country"])]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField("name", max_length=80)
    parent = models.ForeignKey(
        "self",
        verbose_name="parent category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "category"
        verbose_name_plural = "categories"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        parent = self.parent
        return f"{parent.name} / {self.name}" if parent is not None else self.name


class Product(models.Model):
    name = models.CharField("name", max_length=120)
    sku = models.CharField("SKU", max_length=32, unique=True)
    category = models.ForeignKey(
        Category, verbose_name="category", on_delete=models.PROTECT, related_name="products"
    )
    price = models.DecimalField("price", max_digits=10, decimal_places=2)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField("created at")

    class Meta:
        verbose_name = "product"
        verbose_name_plural = "products"
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    customer = models.ForeignKey(
        Customer, verbose_name="customer", on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        "status", max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField("created at")
    total = models.DecimalField("total", max_digits=10, decimal_places=2)
    shipping_country = models.CharField(
        "shipping country", max_length=2, choices=CountryCode.choices
    )

    class Meta:
        verbose_name = "order"
        verbose_name_plural = "orders"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class OrderItem(models.Model):
    order = models.ForeignKey(
        Order, verbose_name="order", on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name="product", on_delete=models.PROTECT, related_name="order_items"
    )
    quantity = models.PositiveIntegerField("quantity", default=1)
    unit_price = models.DecimalField("unit price", max_digits=10, decimal_places=2)
    line_total = models.DecimalField("line total", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "order item"
        verbose_name_plural = "order items"
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id} in order #{self.order_id}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card", "Card"
        PAYPAL = "paypal", "PayPal"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(
        Order, verbose_name="order", on_delete=models.CASCADE, related_name="payments"
    )
    amount = models.DecimalField("amount", max_digits=10, decimal_places=2)
    method = models.CharField("method", max_length=16, choices=Method.choices)
    status = models.CharField("status", max_length=16, choices=Status.choices)
    paid_at = models.DateTimeField("paid at")

    class Meta:
        verbose_name = "payment"
        verbose_name_plural = "payments"
        ordering = ["-paid_at", "-id"]
        indexes = [models.Index(fields=["paid_at"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} payment of {self.amount} for order #{self.order_id}"


class Refund(models.Model):
    class Reason(models.TextChoices):
        DAMAGED = "damaged", "Arrived damaged"
        NOT_AS_DESCRIBED = "not_as_described", "Not as described"
        LATE_DELIVERY = "late_delivery", "Late delivery"
        CHANGED_MIND = "changed_mind", "Changed mind"
        OTHER = "other", "Other"

    order = models.ForeignKey(
        Order, verbose_name="order", on_delete=models.CASCADE, related_name="refunds"
    )
    amount = models.DecimalField("amount", max_digits=10, decimal_places=2)
    reason = models.CharField("reason", max_length=24, choices=Reason.choices)
    created_at = models.DateTimeField("created at")

    class Meta:
        verbose_name = "refund"
        verbose_name_plural = "refunds"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"Refund of {self.amount} for order #{self.order_id}"


class SupportTicket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    customer = models.ForeignKey(
        Customer, verbose_name="customer", on_delete=models.CASCADE, related_name="tickets"
    )
    subject = models.CharField("subject", max_length=200)
    status = models.CharField("status", max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(
        "priority", max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="assignee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField("created at")
    closed_at = models.DateTimeField("closed at", null=True, blank=True)

    class Meta:
        verbose_name = "support ticket"
        verbose_name_plural = "support tickets"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"
