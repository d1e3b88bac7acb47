"""Permissions through the escape hatch: hidden and secret fields and models without view
permission are unreachable by every way a snippet names a field (lookups, ``F()``,
``values()``, ``order_by()``, aggregates, ``OuterRef``), and row scopes apply as they do
for plans: every ``Model.objects`` is the scoped base queryset, and a join across a to-many
relation into a scoped model is refused for the subquery that applies the scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count, Exists, OuterRef, Q

from demo.shop.models import Customer, Order, OrderItem, Payment
from djai_dsl.errors import DjaiError
from djai_dsl.escape import EscapeSettings, run_snippet
from djai_dsl.manifest import Manifest, build_manifest
from tests.conftest import NOW, TZ

pytestmark = pytest.mark.django_db

ALL = EscapeSettings(enabled=True)
TENANT = "DE"
IN_SCOPE = Q(shipping_country=TENANT)


def value(code: str, manifest: Manifest) -> Any:
    _c, result = run_snippet(code, manifest, tz=TZ, now=NOW, settings=ALL, page_size=1000)
    return result.rows[0][0] if len(result.rows) == 1 and len(result.columns) == 1 else result


def refusal(code: str, manifest: Manifest) -> DjaiError:
    with pytest.raises(DjaiError) as info:
        run_snippet(code, manifest, tz=TZ, now=NOW, settings=ALL)
    return info.value


# ---------------------------------------------------------------------------- hidden fields

HIDDEN_FIELD_SNIPPETS = {
    "lookup": 'shop_Customer.objects.filter(email__icontains="@").count()',
    "lookup-in-q": 'shop_Customer.objects.filter(Q(email="x") | Q(name="y")).count()',
    "lookup-across": 'Order.objects.filter(customer__email__icontains="@").count()',
    "f": 'shop_Customer.objects.annotate(e=F("email")).values("e")',
    "f-in-filter": 'shop_Customer.objects.filter(name=F("email")).count()',
    "values": 'shop_Customer.objects.values("email")',
    "values-list": 'shop_Customer.objects.values_list("api_token", flat=True)',
    "values-across": 'Order.objects.values("customer__email")',
    "order-by": 'shop_Customer.objects.order_by("email").values("name")',
    "aggregate": 'shop_Customer.objects.aggregate(n=Count("email", distinct=True))',
    "function": 'shop_Customer.objects.annotate(n=Length("api_token")).values("n")',
    "outer-ref": 'Order.objects.filter(Exists(shop_Customer.objects.filter(pk=OuterRef("customer"), '
    'email=OuterRef("customer__email")))).count()',
    "outer-ref-secret": "shop_Customer.objects.annotate(x=Subquery(Order.objects.filter("
    'status=OuterRef("api_token")).values("id")[:1])).values("x")',
    "subquery-values": 'Order.objects.annotate(e=Subquery(shop_Customer.objects.filter(pk=OuterRef("customer"))'
    '.values("email")[:1])).values("e")',
    "window-partition": 'shop_Customer.objects.annotate(r=Window(expression=RowNumber(), partition_by="email"))'
    '.values("r")',
    "when": 'shop_Customer.objects.annotate(x=Case(When(email="a", then=Value(1)), default=Value(0))).values("x")',
    "password": 'User.objects.values("password")',
    "password-lookup": 'User.objects.filter(password__startswith="pbkdf2").count()',
}


@pytest.mark.parametrize("code", HIDDEN_FIELD_SNIPPETS.values(), ids=HIDDEN_FIELD_SNIPPETS.keys())
def test_hidden_and_secret_fields_are_unreachable(code: str, superuser_manifest: Manifest) -> None:
    error = refusal(code, superuser_manifest)
    assert error.code == "code_unknown_field", error


def test_a_hidden_field_is_reported_like_a_field_that_does_not_exist(superuser_manifest) -> None:
    hidden = refusal('shop_Customer.objects.values("email")', superuser_manifest)
    absent = refusal('shop_Customer.objects.values("emial")', superuser_manifest)
    assert hidden.message.replace("email", "X") == absent.message.replace("emial", "X")


# ---------------------------------------------------------------------------- models


def test_a_model_without_view_permission_has_no_name(make_user) -> None:
    clerk = build_manifest(make_user("shop.view_order"))
    for code in (
        "shop_Customer.objects.count()",
        "Customer.objects.count()",
        "Payment.objects.count()",
        'Order.objects.filter(Exists(Payment.objects.filter(order=OuterRef("pk")))).count()',
        'Order.objects.annotate(c=Subquery(Customer.objects.filter(pk=OuterRef("customer")).values("name")[:1]))',
    ):
        assert refusal(code, clerk).code == "code_forbidden_name", code


@pytest.mark.parametrize(
    "code",
    [
        'Order.objects.values("customer__name")',
        'Order.objects.filter(customer__country="DE").count()',
        'Order.objects.values("customer_id")',
        'Order.objects.annotate(n=Count("items")).values("n")',
        "Order.objects.filter(payments__amount__gt=0).count()",
        'Order.objects.annotate(c=F("customer__country")).values("c")',
        'Order.objects.order_by("customer__name").values("id")',
        'Order.objects.aggregate(n=Count("customer", distinct=True))',
    ],
)
def test_relations_to_models_without_view_permission_are_unreachable(code: str, make_user) -> None:
    clerk = build_manifest(make_user("shop.view_order"))
    assert refusal(code, clerk).code == "code_unknown_field"


def test_what_the_clerk_may_see_still_works(make_user) -> None:
    clerk = build_manifest(make_user("shop.view_order"))
    assert (
        value('Order.objects.filter(status="paid").count()', clerk)
        == Order.objects.filter(status="paid").count()
    )


# ---------------------------------------------------------------------------- row scope


@pytest.fixture
def scoped(reregister, make_user) -> Manifest:
    """Orders and their items are scoped to the user's tenant (shipping country)."""
    user = make_user(is_superuser=True, last_name=TENANT)

    def orders_of_tenant(queryset: Any, user: Any) -> Any:
        return queryset.filter(shipping_country=user.last_name)

    def items_of_tenant(queryset: Any, user: Any) -> Any:
        return queryset.filter(order__shipping_country=user.last_name)

    reregister(Order, scope=orders_of_tenant)
    reregister(OrderItem, scope=items_of_tenant)
    return build_manifest(user)


def test_the_scope_applies_to_the_model_name(scoped) -> None:
    assert value("Order.objects.count()", scoped) == Order.objects.filter(IN_SCOPE).count()
    assert value('Order.objects.values("shipping_country").distinct()', scoped) == TENANT


def test_the_scope_applies_to_subqueries(scoped) -> None:
    expected = Customer.objects.filter(
        Exists(Order.objects.filter(IN_SCOPE, customer=OuterRef("pk")))
    ).count()
    code = 'shop_Customer.objects.filter(Exists(Order.objects.filter(customer=OuterRef("pk")))).count()'
    assert value(code, scoped) == expected
    assert (
        expected
        < Customer.objects.filter(Exists(Order.objects.filter(customer=OuterRef("pk")))).count()
    )
    code = 'shop_Customer.objects.filter(pk__in=Order.objects.values("customer")).count()'
    assert value(code, scoped) == expected


def test_the_scope_applies_to_terminal_answers(scoped) -> None:
    total = value('Order.objects.aggregate(n=Count("id"))', scoped)
    assert total == Order.objects.filter(IN_SCOPE).count()
    assert value('Order.objects.filter(shipping_country="US").exists()', scoped) is False


@pytest.mark.parametrize(
    "code",
    [
        'shop_Customer.objects.filter(orders__status="refunded").count()',
        'shop_Customer.objects.annotate(n=Count("orders")).values("n")',
        'shop_Customer.objects.values("orders__total")',
        'shop_Customer.objects.order_by("orders__total").values("id")',
        "Product.objects.filter(order_items__quantity__gt=1).count()",
        'shop_Customer.objects.aggregate(s=Sum("orders__total"))',
        'shop_Customer.objects.annotate(t=F("orders__total")).values("t")',
    ],
)
def test_a_join_into_a_scoped_model_is_refused_for_a_subquery(code: str, scoped) -> None:
    error = refusal(code, scoped)
    assert error.code == "code_invalid"
    assert "scoped" in error.message and "Exists(" in error.hint


def test_a_to_one_hop_is_not_scoped_as_in_plans(scoped) -> None:
    # Payments are not scoped; their order is reached by a to-one join, as a plan would.
    expected = Payment.objects.filter(order__shipping_country="US").count()
    assert value('Payment.objects.filter(order__shipping_country="US").count()', scoped) == expected


def test_the_scoped_count_per_customer_through_a_subquery(scoped) -> None:
    code = (
        'shop_Customer.objects.annotate(n=Subquery(Order.objects.filter(customer=OuterRef("pk"))'
        '.values("customer").annotate(c=Count("id")).values("c"))).filter(n__gt=0).count()'
    )
    expected = (
        Customer.objects.annotate(n=Count("orders", filter=Q(orders__shipping_country=TENANT)))
        .filter(n__gt=0)
        .count()
    )
    assert value(code, scoped) == expected
