"""What the shop tells djai about its models (autodiscovered like admin.py).

Segments and measures are written in the djai DSL, so an analyst reads the same words here
as in a plan: ``paid`` is a condition, ``revenue`` an aggregate.
"""

from djai_dsl.manifest.registry import register

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

# Orders that brought money in: refunded and cancelled ones did not, pending ones not yet.
PAID_STATUSES = '("paid", "shipped", "delivered")'

register(
    Customer,
    description="Customer: a person or company with a shop account; may have placed orders.",
    synonyms=("clients", "buyers", "shoppers", "accounts"),
    default_time_field="signed_up_at",
    # Personal data: analysts count and group customers, they do not read their addresses.
    hidden=("email",),
    fields={
        "name": "Full name of the person, or the company name for business customers.",
        "country": "ISO 3166-1 alpha-2 code of the customer's country, e.g. DE, US, GB.",
        "city": "City of the customer's address; empty when unknown.",
        "tier": "consumer (private person) or business (company account).",
        "is_active": "False when the account was closed or blocked.",
        "signed_up_at": "When the account was created.",
    },
    field_synonyms={
        "signed_up_at": ("signup date", "registration date", "joined"),
        "tier": ("customer type", "segment", "account type"),
        "is_active": ("active",),
    },
    segments={
        "business": ('tier = "business"', "Company accounts."),
        "consumer": ('tier = "consumer"', "Private customers."),
        "active": ("is_active = true", "Accounts that are not closed or blocked."),
    },
    measures={
        "customer_count": ("count()", "Number of customers."),
    },
)

register(
    Category,
    description="Category: a product category; sub-categories point to their parent.",
    synonyms=("product categories", "departments"),
    fields={
        "name": "Category name, e.g. Electronics or Phones.",
        "parent": "The parent category; empty for top-level categories.",
    },
)

register(
    Product,
    description="Product: an item in the catalogue, sold in orders through order items.",
    synonyms=("articles", "goods", "merchandise", "catalogue"),
    default_time_field="created_at",
    fields={
        "sku": "Stock keeping unit: the product's unique code.",
        "price": "Current list price in EUR; orders keep the price at the time of sale.",
        "is_active": "False when the product is no longer sold.",
        "created_at": "When the product was added to the catalogue.",
    },
    field_synonyms={"price": ("list price", "cost"), "sku": ("product code",)},
    segments={"active": ("is_active = true", "Products still on sale.")},
    measures={"product_count": ("count()", "Number of products.")},
)

register(
    Order,
    description="Order: one purchase by a customer, with its items, payments and refunds.",
    synonyms=("purchases", "sales", "checkouts"),
    default_time_field="created_at",
    fields={
        "status": (
            "pending (not paid yet), paid, shipped, delivered, cancelled (never paid) "
            "or refunded (paid, then money returned)."
        ),
        "created_at": "When the order was placed.",
        "total": "Order value in EUR: the sum of its items' line totals.",
        "shipping_country": "ISO 3166-1 alpha-2 code of the delivery address's country.",
    },
    field_synonyms={
        "total": ("revenue", "amount", "sales", "order value", "turnover"),
        "created_at": ("order date", "placed at", "date"),
        "shipping_country": ("destination", "delivery country"),
    },
    segments={
        "paid": (f"status in {PAID_STATUSES}", "Orders that were paid and not refunded."),
        "open": ('status in ("pending", "paid")', "Orders not shipped yet."),
        "refunded": ('status = "refunded"', "Orders whose money was returned."),
        "cancelled": ('status = "cancelled"', "Orders cancelled before payment."),
        "large": ("total >= 500", "Orders worth 500 EUR or more."),
    },
    measures={
        "revenue": (
            f"sum(total) filter (where status in {PAID_STATUSES})",
            "Money from paid, shipped and delivered orders.",
        ),
        "order_count": ("count()", "Number of orders."),
        "average_order_value": (
            f"avg(total) filter (where status in {PAID_STATUSES})",
            "Average value of paid orders.",
        ),
        "unique_customers": (
            "count(distinct customer)",
            "Number of different customers who ordered.",
        ),
    },
)

register(
    OrderItem,
    description="Order item: one product line of an order (product, quantity, price).",
    synonyms=("order lines", "line items", "basket items"),
    fields={
        "quantity": "How many units of the product were ordered.",
        "unit_price": "Price of one unit at the time of the order, in EUR.",
        "line_total": "quantity times unit price, in EUR.",
    },
    field_synonyms={"quantity": ("units", "qty"), "line_total": ("line amount",)},
    measures={
        "units_sold": ("sum(quantity)", "Units sold."),
        "item_revenue": ("sum(line_total)", "Value of the order lines."),
    },
)

register(
    Payment,
    description="Payment: an attempt to charge an order; failed attempts are kept too.",
    synonyms=("charges", "transactions", "payment attempts"),
    default_time_field="paid_at",
    fields={
        "amount": "Charged amount in EUR.",
        "method": "card, paypal or bank_transfer.",
        "status": "succeeded or failed.",
        "paid_at": "When the payment was attempted.",
    },
    field_synonyms={"method": ("payment method", "payment type")},
    segments={
        "succeeded": ('status = "succeeded"', "Payments that went through."),
        "failed": ('status = "failed"', "Declined or failed payments."),
    },
    measures={
        "collected": ('sum(amount) filter (where status = "succeeded")', "Money collected."),
    },
)

register(
    Refund,
    description="Refund: money returned to the customer for an order, fully or in part.",
    synonyms=("returns", "chargebacks", "reimbursements"),
    default_time_field="created_at",
    fields={
        "amount": "Refunded amount in EUR.",
        "reason": "damaged, not_as_described, late_delivery, changed_mind or other.",
        "created_at": "When the refund was issued.",
    },
    measures={"refunded_amount": ("sum(amount)", "Money refunded.")},
)

register(
    SupportTicket,
    description="Support ticket: a customer's request to the support team.",
    synonyms=("tickets", "support requests", "complaints", "cases", "issues"),
    default_time_field="created_at",
    fields={
        "subject": "One-line summary written by the customer.",
        "status": "open (new), pending (waiting for the customer) or closed.",
        "priority": "low, normal, high or urgent.",
        "assignee": "The staff user handling the ticket; empty when nobody is assigned.",
        "created_at": "When the ticket was opened.",
        "closed_at": "When the ticket was closed; empty while it is not.",
    },
    field_synonyms={
        "assignee": ("agent", "owner", "assigned to"),
        "closed_at": ("resolved at", "resolution date"),
    },
    segments={
        "unresolved": ('status in ("open", "pending")', "Tickets not closed yet."),
        "unassigned": ("assignee is null", "Tickets nobody is handling."),
        "urgent": ('priority in ("high", "urgent")', "High and urgent tickets."),
    },
    measures={"ticket_count": ("count()", "Number of tickets.")},
)
