"""The demo project: its migrations, the shop's seed data, the Chinook load and the admin.

Other tests build on these data sets, so the properties they rely on are pinned here: the
seed is deterministic and relative to ``today``, and Chinook loads exactly the upstream rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.urls import reverse

from demo.chinook import loader
from demo.chinook.models import (
    Album,
    Artist,
    Employee,
    Genre,
    Invoice,
    InvoiceLine,
    MediaType,
    Playlist,
    PlaylistTrack,
    Track,
)
from demo.chinook.models import Customer as ChinookCustomer
from demo.demo_project.settings import database_from_url
from demo.shop.models import (
    CountryCode,
    Customer,
    Order,
    OrderItem,
    Payment,
    Refund,
    SupportTicket,
)
from demo.shop.seed import CITIES, COUNTRY_WEIGHTS, SHOP_MODELS, STAFF, ShopNotEmpty, seed
from djai_dsl.grammar import parse
from djai_dsl.manifest import build_manifest
from djai_dsl.manifest.registry import get_registration
from djai_dsl.validation import plan_problems
from tests.factories import (
    OrderFactory,
    OrderItemFactory,
    PaymentFactory,
    RefundFactory,
    StaffUserFactory,
    SuperUserFactory,
    SupportTicketFactory,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2024, 3, 15)
END_OF_TODAY = datetime(2024, 3, 16, tzinfo=dt_timezone.utc)
SMALL = 0.02  # 100 customers, 1,000 orders

CHINOOK_COUNTS = {
    "Artist": 275,
    "Album": 347,
    "Track": 3503,
    "Genre": 25,
    "MediaType": 5,
    "Playlist": 18,
    "PlaylistTrack": 8715,
    "Customer": 59,
    "Employee": 8,
    "Invoice": 412,
    "InvoiceLine": 2240,
}
CHINOOK_MODELS = {
    "Artist": Artist,
    "Album": Album,
    "Track": Track,
    "Genre": Genre,
    "MediaType": MediaType,
    "Playlist": Playlist,
    "PlaylistTrack": PlaylistTrack,
    "Customer": ChinookCustomer,
    "Employee": Employee,
    "Invoice": Invoice,
    "InvoiceLine": InvoiceLine,
}

pytestmark = pytest.mark.django_db


def _fingerprint() -> dict[str, list[tuple]]:
    """Every seeded row that matters, ids included, to compare two runs."""
    return {
        "customers": list(
            Customer.objects.order_by("id").values_list(
                "id", "name", "email", "country", "city", "tier", "signed_up_at", "api_token"
            )
        ),
        "orders": list(
            Order.objects.order_by("id").values_list(
                "id", "customer_id", "status", "created_at", "total", "shipping_country"
            )
        ),
        "items": list(
            OrderItem.objects.order_by("id").values_list(
                "id", "order_id", "product_id", "quantity", "unit_price", "line_total"
            )
        ),
        "payments": list(
            Payment.objects.order_by("id").values_list(
                "id", "order_id", "amount", "method", "status", "paid_at"
            )
        ),
        "refunds": list(
            Refund.objects.order_by("id").values_list("id", "order_id", "amount", "created_at")
        ),
        "tickets": list(
            SupportTicket.objects.order_by("id").values_list(
                "id", "customer_id", "status", "assignee__username", "created_at", "closed_at"
            )
        ),
    }


# The shared conftest may already have seeded the test database (committed, once per
# session); these tests replace that data inside their own transaction, which is rolled back.


@pytest.fixture
def seeded() -> dict[str, int]:
    return seed(seed=42, scale=SMALL, today=TODAY, flush=True)


@pytest.fixture
def chinook() -> dict[str, int]:
    """Chinook loaded (by the conftest already, or now)."""
    return loader.load()


# -- project and migrations ---------------------------------------------------------------


def test_migrations_match_the_models() -> None:
    # Exits non-zero if a model change has no migration.
    call_command("makemigrations", "shop", "chinook", "--check", "--dry-run", verbosity=0)


def test_migrations_created_the_tables() -> None:
    tables = set(connection.introspection.table_names())
    assert {"shop_order", "shop_orderitem", "shop_supportticket"} <= tables
    assert {"chinook_track", "chinook_invoiceline", "chinook_playlisttrack"} <= tables


def test_manage_py_finds_the_demo_apps_from_any_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "demo" / "manage.py"), "seed_demo", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--today" in result.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://postgres@127.0.0.1:5432/djai_demo",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "djai_demo",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": "127.0.0.1",
                "PORT": "5432",
            },
        ),
        (
            "postgresql://app:s%40cret@db.internal/shop?sslmode=require",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "USER": "app",
                "PASSWORD": "s@cret",
                "HOST": "db.internal",
                "PORT": "5432",
                "OPTIONS": {"sslmode": "require"},
            },
        ),
    ],
)
def test_database_url_is_parsed_without_extra_dependencies(url: str, expected: dict) -> None:
    assert database_from_url(url) == expected


@pytest.mark.parametrize("url", ["oracle://u@h/db", "postgres://u@h:5432/"])
def test_unusable_database_url_is_a_configuration_error(url: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        database_from_url(url)


# -- shop seed ----------------------------------------------------------------------------


def test_seed_creates_the_expected_volume(seeded: dict[str, int]) -> None:
    assert seeded["customers"] == 100
    assert seeded["orders"] == 1000
    assert seeded["staff_users"] == len(STAFF)
    assert seeded["categories"] == 20
    assert seeded["products"] == 180
    assert seeded["order_items"] == OrderItem.objects.count() > seeded["orders"]
    assert seeded["payments"] == Payment.objects.count()
    assert seeded["refunds"] == Refund.objects.count() > 0
    assert seeded["support_tickets"] == SupportTicket.objects.count() == 60


def test_seed_is_deterministic_for_the_same_arguments() -> None:
    first_counts = seed(seed=7, scale=SMALL, today=TODAY, flush=True)
    first = _fingerprint()
    first_order_total = Order.objects.order_by("id").values_list("total", flat=True).first()

    second_counts = seed(seed=7, scale=SMALL, today=TODAY, flush=True)

    assert second_counts == first_counts
    assert Order.objects.order_by("id").values_list("total", flat=True).first() == (
        first_order_total
    )
    assert _fingerprint() == first


def test_a_different_seed_gives_different_data() -> None:
    seed(seed=1, scale=SMALL, today=TODAY, flush=True)
    first = _fingerprint()["orders"]
    seed(seed=2, scale=SMALL, today=TODAY, flush=True)
    assert _fingerprint()["orders"] != first


def test_seed_data_is_relative_to_today(seeded: dict[str, int]) -> None:
    span = Order.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] < END_OF_TODAY
    assert span["first"] >= END_OF_TODAY - timedelta(days=3 * 365 + 1)
    assert span["first"] < END_OF_TODAY - timedelta(days=3 * 365 - 30)
    # Every one of the last seven days has orders, so "last 7 days" is never empty.
    last_week = Order.objects.filter(created_at__gte=END_OF_TODAY - timedelta(days=7))
    days = {moment.date() for moment in last_week.values_list("created_at", flat=True)}
    assert days == {TODAY - timedelta(days=n) for n in range(7)}
    for model, field in [
        (Payment, "paid_at"),
        (Refund, "created_at"),
        (SupportTicket, "created_at"),
        (SupportTicket, "closed_at"),
        (Customer, "signed_up_at"),
    ]:
        assert not model.objects.filter(**{f"{field}__gte": END_OF_TODAY}).exists(), field


def test_seed_moves_with_today() -> None:
    later = TODAY + timedelta(days=100)
    seed(seed=42, scale=SMALL, today=later, flush=True)
    latest = Order.objects.aggregate(last=Max("created_at"))["last"]
    assert latest.date() == later


def test_order_totals_are_the_sum_of_their_items(seeded: dict[str, int]) -> None:
    sums = dict(
        OrderItem.objects.values("order_id")
        .annotate(s=Sum("line_total"))
        .values_list("order_id", "s")
    )
    totals = dict(Order.objects.values_list("id", "total"))
    assert totals == sums
    for quantity, unit_price, line_total in OrderItem.objects.values_list(
        "quantity", "unit_price", "line_total"
    ):
        assert unit_price * quantity == line_total


def test_paid_orders_have_one_successful_payment_for_the_total(seeded: dict[str, int]) -> None:
    paid_statuses = ["paid", "shipped", "delivered", "refunded"]
    paid = Order.objects.filter(status__in=paid_statuses)
    succeeded = Payment.objects.filter(status="succeeded")
    assert succeeded.count() == paid.count()
    assert not paid.exclude(payments__status="succeeded").exists()
    assert not succeeded.exclude(amount=F("order__total")).exists()
    assert (
        not Order.objects.exclude(status__in=paid_statuses)
        .filter(payments__status="succeeded")
        .exists()
    )
    assert Payment.objects.filter(status="failed").exists()
    assert not Payment.objects.filter(paid_at__lt=F("order__created_at")).exists()


def test_refunds_match_refunded_orders(seeded: dict[str, int]) -> None:
    refunded = Order.objects.filter(status="refunded")
    assert refunded.exists()
    assert not refunded.filter(refunds__isnull=True).exists()
    assert not Refund.objects.filter(order__status__in=["pending", "cancelled"]).exists()
    assert not Refund.objects.filter(amount__gt=F("order__total")).exists()
    assert not Refund.objects.filter(created_at__lt=F("order__created_at")).exists()


def test_seed_has_the_awkward_cases_questions_need(seeded: dict[str, int]) -> None:
    assert Customer.objects.filter(orders__isnull=True).exists()
    assert Customer.objects.filter(city__isnull=True).exists()
    assert Customer.objects.filter(tier="business").exists()
    assert Customer.objects.exclude(api_token="").exists()
    assert SupportTicket.objects.filter(assignee__isnull=True).exists()
    assert SupportTicket.objects.filter(status="closed", closed_at__isnull=False).exists()
    assert not SupportTicket.objects.filter(status="closed", closed_at__isnull=True).exists()
    assert (
        not SupportTicket.objects.exclude(status="closed").filter(closed_at__isnull=False).exists()
    )
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Order.Status}
    # Orders never predate their customer, nor the products in them.
    assert not Order.objects.filter(created_at__lt=F("customer__signed_up_at")).exists()
    assert not OrderItem.objects.filter(order__created_at__lt=F("product__created_at")).exists()


def test_orders_grow_and_peak_at_year_end() -> None:
    seed(seed=42, scale=0.2, today=date(2024, 12, 31), flush=True)
    per_year = dict(
        Order.objects.values_list("created_at__year")
        .annotate(n=Count("id"))
        .values_list("created_at__year", "n")
    )
    assert per_year[2024] > per_year[2023] > per_year[2022]
    in_2023 = Order.objects.filter(created_at__year=2023)
    december = in_2023.filter(created_at__month=12).count()
    february = in_2023.filter(created_at__month=2).count()
    assert december > 1.5 * february


def test_seed_uses_the_shop_country_codes(seeded: dict[str, int]) -> None:
    assert set(COUNTRY_WEIGHTS) == set(CITIES) == set(CountryCode.values)
    assert set(Customer.objects.values_list("country", flat=True)) <= set(CountryCode.values)


def test_staff_users_are_reused_when_seeding_again(seeded: dict[str, int]) -> None:
    usernames = [username for username, _, _ in STAFF]
    staff = get_user_model().objects.filter(username__in=usernames)
    assert staff.count() == len(STAFF)
    assert all(user.is_staff and not user.has_usable_password() for user in staff)
    seed(seed=42, scale=SMALL, today=TODAY, flush=True)
    assert get_user_model().objects.filter(username__in=usernames).count() == len(STAFF)


def test_seed_refuses_to_mix_data_sets(seeded: dict[str, int]) -> None:
    with pytest.raises(ShopNotEmpty):
        seed(seed=42, scale=SMALL, today=TODAY)


def test_new_rows_get_fresh_ids_after_seeding(seeded: dict[str, int]) -> None:
    # Seeded rows have fixed ids; the id generator must have moved past them (on PostgreSQL
    # it may be further ahead: sequences never move back, see demo/sequences.py).
    order = OrderFactory(customer=Customer.objects.first())
    item = OrderItemFactory(order=order, product=OrderItem.objects.first().product)
    assert order.pk > seeded["orders"]
    assert item.pk > seeded["order_items"]


def test_seed_demo_command() -> None:
    out = StringIO()
    call_command(
        "seed_demo",
        "--scale",
        "0.01",
        "--today",
        "2024-03-15",
        "--seed",
        "3",
        "--flush",
        stdout=out,
    )
    assert "50 customers" in out.getvalue()
    assert "500 orders" in out.getvalue()
    again = StringIO()
    call_command("seed_demo", "--scale", "0.02", stdout=again)
    assert "already has data" in again.getvalue()
    assert Order.objects.count() == 500
    call_command("seed_demo", "--scale", "0.01", "--flush", "--today", "2024-03-15", stdout=out)
    assert Order.objects.count() == 500


@pytest.mark.parametrize("args", [["--today", "15/03/2024"], ["--scale", "0"]])
def test_seed_demo_rejects_bad_arguments(args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo", *args, stdout=StringIO())


# -- chinook ------------------------------------------------------------------------------


def test_load_chinook_loads_every_upstream_row() -> None:
    out = StringIO()
    call_command("load_chinook", "--flush", stdout=out)
    assert "Loaded Chinook" in out.getvalue()
    assert {name: model.objects.count() for name, model in CHINOOK_MODELS.items()} == (
        CHINOOK_COUNTS
    )


def test_load_is_idempotent(chinook: dict[str, int]) -> None:
    assert chinook == CHINOOK_COUNTS
    out = StringIO()
    call_command("load_chinook", stdout=out)
    assert "already loaded" in out.getvalue()
    assert loader.load() == CHINOOK_COUNTS
    assert loader.load(flush=True) == CHINOOK_COUNTS
    assert Track.objects.count() == 3503


def test_chinook_values_survive_the_load(chinook: dict[str, int]) -> None:
    assert Invoice.objects.aggregate(total=Sum("total"))["total"] == Decimal("2328.60")
    first = Invoice.objects.get(pk=1)
    assert first.invoice_date == datetime(2021, 1, 1, tzinfo=dt_timezone.utc)
    assert first.total == Decimal("1.98")
    assert first.lines.count() == 2
    assert first.lines.aggregate(s=Sum("unit_price"))["s"] == first.total
    track = Track.objects.get(pk=1)
    assert (track.name, track.milliseconds, track.unit_price) == (
        "For Those About To Rock (We Salute You)",
        343719,
        Decimal("0.99"),
    )
    assert track.album.artist.name == "AC/DC"
    assert Track.objects.filter(composer__isnull=True).count() == 977
    assert Invoice.objects.aggregate(last=Max("invoice_date"))["last"].date() == date(2025, 12, 22)


def test_chinook_relations(chinook: dict[str, int]) -> None:
    manager = Employee.objects.get(reports_to__isnull=True)
    assert manager.title == "General Manager"
    assert Employee.objects.get(pk=2).reports_to_id == manager.pk
    assert manager.reports.count() == 2
    assert Employee.objects.get(pk=3).customers.count() == 21
    assert Artist.objects.get(name="AC/DC").albums.count() == 2
    assert Genre.objects.get(name="Rock").tracks.count() == 1297
    music = Playlist.objects.get(pk=1)
    assert music.tracks.count() == music.playlist_tracks.count() == 3290
    assert Track.objects.get(pk=1).playlists.count() == 3
    assert ChinookCustomer.objects.filter(invoices__isnull=True).count() == 0
    assert Track.objects.filter(invoice_lines__isnull=False).distinct().count() == 1984


def test_chinook_new_rows_get_fresh_ids(chinook: dict[str, int]) -> None:
    assert Artist.objects.create(name="New Artist").pk > 275
    assert (
        InvoiceLine.objects.create(
            invoice_id=1, track_id=1, unit_price=Decimal("0.99"), quantity=1
        ).pk
        > 2240
    )


def test_load_chinook_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No Chinook database"):
        call_command("load_chinook", "--path", str(tmp_path / "missing.sqlite3"))


def test_load_chinook_reports_a_file_that_is_not_chinook(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).close()
    loader.load()
    with pytest.raises(CommandError, match="Cannot read table"):
        call_command("load_chinook", "--path", str(other), "--flush")
    assert Artist.objects.count() == 275  # all or nothing: the flush was rolled back


def test_chinook_data_ships_with_its_licence() -> None:
    data = REPO_ROOT / "demo" / "chinook" / "data"
    assert "Copyright (c) 2008-2024 Luis Rocha" in (data / "LICENSE.md").read_text()
    assert (data / "chinook.sqlite3").stat().st_size > 900_000


# -- djai registrations -------------------------------------------------------------------


@pytest.mark.parametrize("model", [*CHINOOK_MODELS.values(), *SHOP_MODELS])
def test_registrations_name_real_fields(model: type) -> None:
    registration = get_registration(model)
    assert registration is not None and registration.description
    names = {f.name for f in model._meta.get_fields()}
    named = {*registration.fields, *registration.field_synonyms, *registration.hidden}
    if registration.default_time_field:
        named.add(registration.default_time_field)
    assert named <= names


def _registered_texts() -> list[tuple[str, str, str]]:
    """(model label, clause, DSL text) of every segment and measure the demo registers."""
    texts = []
    for model in [*CHINOOK_MODELS.values(), *SHOP_MODELS]:
        registration = get_registration(model)
        label = model._meta.label_lower
        for entry in registration.segments.values():
            texts.append((label, "where", entry[0] if isinstance(entry, tuple) else entry))
        for entry in registration.measures.values():
            texts.append((label, "aggregate x =", entry[0] if isinstance(entry, tuple) else entry))
    return texts


@pytest.mark.parametrize(("label", "clause", "text"), _registered_texts())
def test_registered_segments_and_measures_are_valid_plans(
    label: str, clause: str, text: str
) -> None:
    plan = parse(f"from {label}\n{clause} {text}")
    assert plan_problems(plan, build_manifest()) == []


def test_secret_and_hidden_fields_stay_out_of_the_manifest() -> None:
    manifest = build_manifest()
    customer = manifest.model("shop.customer")
    assert "api_token" not in customer.names()
    assert "email" not in customer.names()
    assert {"name", "country", "city", "tier", "signed_up_at"} <= set(customer.names())
    assert "email" not in manifest.model("chinook.customer").names()
    assert "birth_date" not in manifest.model("chinook.employee").names()


def test_shop_registration_describes_orders() -> None:
    registration = get_registration(Order)
    assert {"purchases", "sales"} <= set(registration.synonyms)
    assert registration.default_time_field == "created_at"
    assert "revenue" in registration.field_synonyms["total"]
    assert {"paid", "refunded"} <= set(registration.segments)
    assert {"revenue", "order_count"} <= set(registration.measures)
    assert "email" in get_registration(Customer).hidden


# -- admin --------------------------------------------------------------------------------


@pytest.fixture
def order() -> Order:
    """An order with an item, a payment and a ticket, plus a refunded order and a closed
    ticket, so that every shop changelist renders rows of its own."""
    assignee = StaffUserFactory()
    order = OrderFactory(total=Decimal("21.98"))
    OrderItemFactory(order=order, quantity=2, unit_price=Decimal("10.99"))
    PaymentFactory(order=order)
    RefundFactory()
    SupportTicketFactory(customer=order.customer, assignee=assignee)
    SupportTicketFactory(status="closed", closed_at=order.created_at + timedelta(days=1))
    return order


@pytest.fixture
def admin_client_with_data(client, order: Order, chinook: dict[str, int]):
    client.force_login(SuperUserFactory())
    return client


@pytest.mark.parametrize(
    "model",
    [
        "shop.customer",
        "shop.category",
        "shop.product",
        "shop.order",
        "shop.orderitem",
        "shop.payment",
        "shop.refund",
        "shop.supportticket",
        "chinook.track",
        "chinook.album",
        "chinook.invoice",
        "chinook.invoiceline",
        "chinook.employee",
        "chinook.customer",
        "chinook.playlist",
        "chinook.playlisttrack",
    ],
)
def test_admin_changelists_open(admin_client_with_data, model: str) -> None:
    app_label, model_name = model.split(".")
    response = admin_client_with_data.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


def test_admin_order_page_shows_its_items(admin_client_with_data, order: Order) -> None:
    response = admin_client_with_data.get(reverse("admin:shop_order_change", args=[order.pk]))
    assert response.status_code == 200
    assert b"10.99" in response.content


def test_admin_never_shows_the_api_token(admin_client_with_data, order: Order) -> None:
    customer = order.customer
    response = admin_client_with_data.get(reverse("admin:shop_customer_change", args=[customer.pk]))
    assert response.status_code == 200
    assert customer.api_token.encode() not in response.content


def test_admin_date_hierarchy_and_filters(admin_client_with_data) -> None:
    url = reverse("admin:chinook_invoice_changelist")
    response = admin_client_with_data.get(url, {"invoice_date__year": "2021"})
    assert response.status_code == 200
    assert (
        response.context["cl"].result_count
        == Invoice.objects.filter(invoice_date__year=2021).count()
    )
    response = admin_client_with_data.get(
        reverse("admin:shop_supportticket_changelist"), {"status__exact": "closed"}
    )
    assert (
        response.context["cl"].result_count
        == SupportTicket.objects.filter(Q(status="closed")).count()
    )
