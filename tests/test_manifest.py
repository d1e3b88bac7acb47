"""The manifest: what each user may query, built from the demo apps and their registries."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields as dataclass_fields
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

import djai_dsl
from demo.shop.models import Customer, Order, Product
from djai_dsl.errors import BadRequest, ConfigurationError
from djai_dsl.manifest import build_manifest, manifest_as_dict, register, registry, render_text
from djai_dsl.manifest.builder import is_secret_name
from djai_dsl.plan import Aggregate, InList

pytestmark = pytest.mark.django_db

SHOP_MODELS = {
    "shop.category",
    "shop.customer",
    "shop.order",
    "shop.orderitem",
    "shop.payment",
    "shop.product",
    "shop.refund",
    "shop.supportticket",
}


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def restore_registry():  # type: ignore[no-untyped-def]
    """Tests re-register demo models; put the demo registry back afterwards."""
    saved = registry.registrations()
    yield
    for model in list(registry.registrations()):
        if model not in saved:
            registry.unregister(model)
    for model, reg in saved.items():
        register(model, **registration_options(reg))


def registration_options(reg: Any) -> dict[str, Any]:
    """A Registration as register() keyword arguments."""
    return {f.name: getattr(reg, f.name) for f in dataclass_fields(reg) if f.name != "model"}


def reregister(model: Any, **changes: Any) -> None:
    """Register ``model`` again with its demo registration, changed by ``changes``."""
    reg = registry.get_registration(model)
    assert reg is not None
    register(model, **{**registration_options(reg), **changes})


def user_with(django_user_model: Any, username: str, *codenames: str, **extra: Any) -> Any:
    """A staff user holding ``app_label.codename`` permissions, fetched fresh (no perm cache)."""
    user = django_user_model.objects.create_user(username, password="x", is_staff=True, **extra)
    for dotted in codenames:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return django_user_model.objects.get(pk=user.pk)


# -- which models ----------------------------------------------------------------------------


def test_without_user_every_concrete_model_of_non_excluded_apps():
    labels = set(build_manifest().models)
    assert labels >= SHOP_MODELS
    assert {"chinook.track", "chinook.playlisttrack", "auth.user", "auth.group"} <= labels
    for app_label in ("admin", "contenttypes", "sessions", "djai_dsl"):
        assert not any(label.startswith(f"{app_label}.") for label in labels), app_label
    # auto-created M2M through tables (auth.User.groups) are not models of their own
    assert not any("_" in label.split(".")[1] and label.startswith("auth.") for label in labels)
    assert list(build_manifest().models) == sorted(labels)


def test_superuser_sees_every_model(django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    assert set(build_manifest(admin).models) == set(build_manifest().models)


def test_user_without_permissions_sees_nothing(django_user_model):
    assert build_manifest(user_with(django_user_model, "nobody")).models == {}


def test_inactive_users_see_nothing_even_superusers(django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x", is_active=False)
    clerk = user_with(django_user_model, "clerk", "shop.view_order", is_active=False)
    assert build_manifest(admin).models == {}
    assert build_manifest(clerk).models == {}


def test_anonymous_user_sees_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert build_manifest(AnonymousUser()).models == {}


def test_view_order_only_gives_order_without_relations_to_unseen_models(django_user_model):
    manifest = build_manifest(user_with(django_user_model, "clerk", "shop.view_order"))
    assert list(manifest.models) == ["shop.order"]
    order = manifest.models["shop.order"]
    assert order.relations == {}  # customer, items, payments, refunds lead to unseen models
    assert {"status", "total", "created_at"} <= set(order.fields)


def test_relations_appear_with_permission_on_their_target(django_user_model):
    user = user_with(django_user_model, "clerk", "shop.view_order", "shop.view_customer")
    manifest = build_manifest(user)
    assert set(manifest.models) == {"shop.order", "shop.customer"}
    assert set(manifest.models["shop.order"].relations) == {"customer"}
    assert set(manifest.models["shop.customer"].relations) == {"orders"}
    assert manifest.resolve("shop.order", "customer.country").orm_path == "customer__country"


def test_change_permission_alone_does_not_grant_view(django_user_model):
    user = user_with(django_user_model, "editor", "shop.change_order")
    # Django implies view from change in the admin, but has_perm does not; djai asks for view.
    assert "shop.order" not in build_manifest(user).models


def test_group_permissions_count(django_user_model):
    group = Group.objects.create(name="analysts")
    group.permissions.add(Permission.objects.get(codename="view_invoice"))
    user = django_user_model.objects.create_user("ana", password="x")
    user.groups.add(group)
    assert list(build_manifest(user).models) == ["chinook.invoice"]


def test_apps_argument_restricts_models_and_relations_leaving_them():
    manifest = build_manifest(apps=["shop"])
    assert set(manifest.models) == SHOP_MODELS
    # SupportTicket.assignee points to auth.user, which is outside the selection
    assert "assignee" not in manifest.models["shop.supportticket"].relations
    assert "customer" in manifest.models["shop.supportticket"].relations


def test_unknown_app_is_a_bad_request():
    with pytest.raises(BadRequest, match="no installed app 'nosuch'"):
        build_manifest(apps=["nosuch"])


def test_excluded_apps_setting_replaces_the_default_list():
    with override_settings(DJAI={"EXCLUDED_APPS": ["auth", "chinook"]}):
        labels = set(build_manifest().models)
    assert labels >= SHOP_MODELS
    assert not any(label.startswith(("auth.", "chinook.")) for label in labels)
    assert "admin.logentry" in labels  # no longer excluded: the list is not merged
    assert "auth.user" in build_manifest().models  # the cache was reset with the setting


def test_registry_exclude(restore_registry):
    reregister(Product, exclude=True)
    manifest = build_manifest()
    assert "shop.product" not in manifest.models
    assert "product" not in manifest.models["shop.orderitem"].relations
    assert "products" not in manifest.models["shop.category"].relations


# -- secrets and hidden names ----------------------------------------------------------------


def test_secret_fields_are_absent():
    manifest = build_manifest()
    customer = manifest.models["shop.customer"]
    assert "api_token" not in customer.names()
    user = manifest.models["auth.user"]
    assert "password" not in user.names()
    assert "last_login" in user.fields  # only secret-looking names go


def test_secret_patterns_are_case_insensitive_substrings():
    assert is_secret_name("API_TOKEN", ["token"])
    assert is_secret_name("reset_password_sent", ["PASSWORD"])
    assert not is_secret_name("total", ["token"])


def test_secret_patterns_setting_applies_to_fields_and_relations():
    with override_settings(DJAI={"SECRET_FIELD_PATTERNS": ["country", "customer"]}):
        manifest = build_manifest()
    order = manifest.models["shop.order"]
    assert "shipping_country" not in order.fields
    assert "customer" not in order.relations
    assert "country" not in manifest.models["shop.customer"].fields
    # the defaults are back once the setting is restored
    assert "customer" in build_manifest().models["shop.order"].relations


def test_registry_hidden_fields_are_absent():
    manifest = build_manifest()
    assert "email" not in manifest.models["shop.customer"].fields
    employee = manifest.models["chinook.employee"]
    assert not {"address", "phone", "email", "birth_date"} & set(employee.fields)
    assert "hire_date" in employee.fields


def test_registry_hidden_relations_are_absent(restore_registry):
    reregister(Product, hidden=("sku", "order_items"))
    product = build_manifest().models["shop.product"]
    assert "sku" not in product.fields
    assert "order_items" not in product.relations
    assert "category" in product.relations


def test_misspelt_hidden_name_is_a_configuration_error(restore_registry):
    reregister(Product, hidden=("skuu",))
    with pytest.raises(ConfigurationError, match=r"shop\.product: hidden names 'skuu'"):
        build_manifest()


# -- fields ----------------------------------------------------------------------------------


def test_field_types_and_flags():
    manifest = build_manifest()
    order = manifest.models["shop.order"]
    assert order.pk_name == "id"
    assert order.fields["id"].type == "integer" and order.fields["id"].primary_key
    assert order.fields["total"].type == "decimal"
    assert order.fields["created_at"].type == "datetime"
    assert order.fields["status"].type == "string"
    assert manifest.models["shop.orderitem"].fields["quantity"].type == "integer"
    assert manifest.models["shop.customer"].fields["is_active"].type == "boolean"
    assert manifest.models["chinook.employee"].fields["hire_date"].type == "date"
    assert manifest.models["auth.user"].fields["email"].type == "string"  # EmailField
    assert manifest.models["shop.customer"].fields["city"].nullable
    assert not order.fields["total"].nullable
    # a foreign key is a relation, never a field, and its attname is not a field either
    assert "customer" not in order.fields and "customer_id" not in order.names()


def test_choices_are_plain_values_with_str_labels():
    status = build_manifest().models["shop.order"].fields["status"]
    assert status.choices[:2] == (("pending", "Pending"), ("paid", "Paid"))
    assert all(type(v) is str and type(label) is str for v, label in status.choices)


def test_descriptions_and_synonyms_come_from_the_registry():
    order = build_manifest().models["shop.order"]
    assert order.description.startswith("Order: one purchase")
    assert order.synonyms == ("purchases", "sales", "checkouts")
    assert "revenue" in order.fields["total"].synonyms
    assert order.fields["total"].description.startswith("Order value in EUR")
    assert order.verbose_name == "order" and order.verbose_name_plural == "orders"
    ticket = build_manifest().models["shop.supportticket"]
    assert ticket.relations["assignee"].description.startswith("The staff user")


def test_help_text_is_the_fallback_description():
    user = build_manifest().models["auth.user"]
    assert user.fields["is_staff"].description.startswith("Designates whether the user")


def test_default_time_field_from_registry_or_heuristic(restore_registry):
    manifest = build_manifest()
    assert manifest.models["shop.customer"].default_time_field == "signed_up_at"
    assert manifest.models["chinook.invoice"].default_time_field == "invoice_date"
    assert manifest.models["auth.user"].default_time_field is None
    reregister(Product, default_time_field=None)
    assert build_manifest().models["shop.product"].default_time_field == "created_at"


def test_default_time_field_must_be_a_visible_date(restore_registry):
    reregister(Product, default_time_field="price")
    with pytest.raises(ConfigurationError, match="default_time_field 'price'"):
        build_manifest()


# -- relations -------------------------------------------------------------------------------


def test_relation_kinds_names_and_way_back():
    manifest = build_manifest()
    order = manifest.models["shop.order"].relations
    assert (order["customer"].kind, order["customer"].many) == ("fk", False)
    assert order["customer"].target == "shop.customer"
    assert order["customer"].reverse_name == "orders"
    assert (order["items"].kind, order["items"].many) == ("reverse_fk", True)
    assert order["items"].reverse_name == "order"
    category = manifest.models["shop.category"].relations
    assert category["parent"].target == "shop.category" and category["parent"].nullable
    assert category["children"].reverse_name == "parent"
    playlist = manifest.models["chinook.playlist"].relations
    assert (playlist["tracks"].kind, playlist["tracks"].reverse_name) == ("m2m", "playlists")
    track = manifest.models["chinook.track"].relations
    assert (track["playlists"].kind, track["playlists"].reverse_name) == ("reverse_m2m", "tracks")
    user = manifest.models["auth.user"].relations
    assert user["groups"].reverse_name == "user"
    assert manifest.models["auth.group"].relations["user"].kind == "reverse_m2m"
    assert user["assigned_tickets"].target == "shop.supportticket"


def test_every_relation_name_and_reverse_name_is_an_orm_lookup():
    """Paths are compiled into filter() lookups: each name must be one Django accepts, on
    the source model (name) and on the target model (reverse_name)."""
    manifest = build_manifest()
    checked = 0
    for info in manifest.models.values():
        for rel in info.relations.values():
            target = manifest.models[rel.target].model
            assert rel.reverse_name, f"{info.label}.{rel.name} has no way back"
            str(info.model._default_manager.filter(**{f"{rel.name}__isnull": False}).query)
            str(target._default_manager.filter(**{f"{rel.reverse_name}__isnull": False}).query)
            back = manifest.models[rel.target].relations.get(rel.reverse_name)
            if back is not None:
                assert back.target == info.label
            checked += 1
    assert checked > 40


def test_forward_and_reverse_lookups_find_the_same_rows():
    rel = build_manifest().models["shop.customer"].relations["orders"]
    customer = Customer.objects.filter(orders__isnull=False).first()
    assert customer is not None
    via_reverse = set(Order.objects.filter(**{rel.reverse_name: customer}).values_list("pk"))
    via_name = set(Customer.objects.filter(pk=customer.pk).values_list(f"{rel.name}__pk"))
    assert via_reverse == via_name


# -- segments, measures, scope ---------------------------------------------------------------


def test_segments_and_measures_are_parsed():
    order = build_manifest().models["shop.order"]
    paid = order.segments["paid"]
    assert isinstance(paid.condition, InList)
    assert paid.text.startswith("status in (")
    assert paid.description == "Orders that were paid and not refunded."
    revenue = order.measures["revenue"]
    assert isinstance(revenue.aggregate, Aggregate)
    assert (revenue.aggregate.name, revenue.aggregate.func) == ("revenue", "sum")
    assert revenue.aggregate.field == "total"
    assert revenue.aggregate.filter is not None
    assert order.measures["order_count"].aggregate.func == "count"


def test_bad_segment_is_a_configuration_error_naming_model_and_segment(restore_registry):
    reregister(Order, segments={"broken": "status = = 'paid'"})
    with pytest.raises(ConfigurationError, match=r"shop\.order: segment 'broken'"):
        build_manifest()


def test_bad_measure_is_a_configuration_error(restore_registry):
    reregister(Order, measures={"bad": "median(total)"})
    with pytest.raises(ConfigurationError, match=r"shop\.order: measure 'bad'"):
        build_manifest()


def test_segment_name_must_be_usable_in_a_plan(restore_registry):
    reregister(Order, segments={"paid orders": 'status = "paid"'})
    with pytest.raises(ConfigurationError, match="segment 'paid orders'"):
        build_manifest()


def test_system_check_reports_registry_errors(restore_registry):
    assert not [m for m in run_checks() if m.id == "djai.E003"]
    reregister(Order, segments={"broken": "status = = 'paid'"})
    reregister(Product, hidden=("skuu",))
    errors = [m for m in run_checks() if m.id == "djai.E003"]
    assert len(errors) == 2  # every broken registration, not only the first
    assert "shop.order" in errors[0].msg and "broken" in errors[0].msg
    assert "shop.product" in errors[1].msg and "skuu" in errors[1].msg


def test_scope_is_bound_to_the_requesting_user(restore_registry, django_user_model):
    seen: list[Any] = []

    def own_orders_only(qs: Any, user: Any) -> Any:
        seen.append(user)
        return qs.none() if user is None else qs.filter(customer__name=user.username)

    reregister(Order, scope=own_orders_only)
    clerk = user_with(django_user_model, "clerk", "shop.view_order")
    order = build_manifest(clerk).models["shop.order"]
    assert order.base_queryset().count() == 0
    assert seen == [clerk]
    assert build_manifest().models["shop.order"].base_queryset().count() == 0
    assert seen[-1] is None
    assert build_manifest().models["shop.customer"].scope is None


def test_register_invalidates_the_cache(restore_registry):
    assert build_manifest().models["shop.product"].description.startswith("Product:")
    reregister(Product, description="Things we sell.")
    assert build_manifest().models["shop.product"].description == "Things we sell."


def test_each_build_returns_independent_copies():
    first = build_manifest()
    first.models["shop.order"].relations.clear()
    first.models["shop.order"].fields.pop("total")
    second = build_manifest()
    assert "customer" in second.models["shop.order"].relations
    assert "total" in second.models["shop.order"].fields


# -- rendering -------------------------------------------------------------------------------


def test_render_text_block_for_a_model():
    text = render_text(build_manifest(apps=["shop"]))
    block = next(b for b in text.split("\n\n") if b.startswith("shop.order "))
    lines = block.splitlines()
    assert lines[0] == (
        'shop.order "order" — Order: one purchase by a customer, with its items, payments '
        "and refunds. (synonyms: purchases, sales, checkouts)"
    )
    assert "  default time: created_at" in lines
    assert "  id: integer, primary key" in lines
    assert (
        "  status: string in {pending, paid, shipped, delivered, cancelled, refunded} — "
        "pending (not paid yet), paid, shipped, delivered, cancelled (never paid) "
        "or refunded (paid, then money returned)."
    ) in lines
    assert (
        "  total: decimal — Order value in EUR: the sum of its items' line totals. "
        "(synonyms: revenue, amount, sales, order value, turnover)"
    ) in lines
    assert "  customer -> shop.customer (one)" in lines
    assert "  items -> shop.orderitem (many)" in lines
    assert (
        '  segment paid: status in ("paid", "shipped", "delivered") — '
        "Orders that were paid and not refunded."
    ) in lines
    assert "  measure order_count: count() — Number of orders." in lines


def test_render_text_choice_labels_and_nullable():
    text = render_text(build_manifest(apps=["shop"]))
    assert "  country: string in {DE (Germany), FR (France), US (United States)," in text
    assert "damaged (Arrived damaged), not_as_described, late_delivery, changed_mind" in text
    assert "  city: string, nullable — City of the customer's address" in text
    assert "  parent -> shop.category (one) — The parent category" in text


def test_render_text_is_deterministic_and_sorted():
    text = render_text(build_manifest())
    assert text == render_text(build_manifest())
    headers = [block.split(" ", 1)[0] for block in text.split("\n\n")]
    assert headers == sorted(build_manifest().models)


def test_render_text_never_mentions_secret_or_hidden_fields():
    text = render_text(build_manifest())
    assert "api_token" not in text and "password" not in text
    blocks = {block.split(" ", 1)[0]: block for block in text.split("\n\n")}
    for label, name in [
        ("shop.customer", "email"),
        ("chinook.employee", "birth_date"),
        ("chinook.customer", "postal_code"),
    ]:
        assert f"\n  {name}:" not in blocks[label], (label, name)
    assert "\n  email:" in blocks["auth.user"]  # not hidden there


def test_manifest_as_dict_is_json():
    data = json.loads(json.dumps(manifest_as_dict(build_manifest())))
    order = next(m for m in data["models"] if m["label"] == "shop.order")
    assert order["pk_name"] == "id" and order["default_time_field"] == "created_at"
    total = next(f for f in order["fields"] if f["name"] == "total")
    assert total["type"] == "decimal" and "revenue" in total["synonyms"]
    status = next(f for f in order["fields"] if f["name"] == "status")
    assert ["paid", "Paid"] in status["choices"]
    customer = next(r for r in order["relations"] if r["name"] == "customer")
    assert customer == {
        "name": "customer",
        "target": "shop.customer",
        "many": False,
        "reverse_name": "orders",
        "kind": "fk",
        "verbose_name": "customer",
        "description": "",
        "nullable": False,
    }
    paid = next(s for s in order["segments"] if s["name"] == "paid")
    assert paid["condition"]["kind"] == "in"
    revenue = next(m for m in order["measures"] if m["name"] == "revenue")
    assert revenue["aggregate"]["name"] == "revenue"
    assert data["clipped"] == []


# -- the management command ------------------------------------------------------------------


def run_djai(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("djai", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_manifest_text():
    out, _ = run_djai("manifest", "--app", "shop")
    assert out.startswith('shop.category "category"')
    assert "  items -> shop.orderitem (many)" in out
    assert "chinook." not in out and "api_token" not in out


def test_command_manifest_json_for_a_user(django_user_model):
    user_with(django_user_model, "clerk", "shop.view_order", "shop.view_customer")
    out, _ = run_djai("manifest", "--json", "--user", "clerk")
    data = json.loads(out)
    assert [m["label"] for m in data["models"]] == ["shop.customer", "shop.order"]


def test_command_manifest_several_apps():
    out, _ = run_djai("manifest", "--json", "--app", "shop", "--app", "chinook")
    labels = {m["label"] for m in json.loads(out)["models"]}
    assert labels > SHOP_MODELS and "chinook.track" in labels and "auth.user" not in labels


def test_command_manifest_user_without_permissions(django_user_model):
    user_with(django_user_model, "nobody")
    out, err = run_djai("manifest", "--user", "nobody")
    assert out == ""
    assert "no view permission" in err


def test_command_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="There is no user with username 'ghost'"):
        run_djai("manifest", "--user", "ghost")


def test_command_unknown_app_is_an_error():
    with pytest.raises(CommandError, match="no installed app 'nosuch'"):
        run_djai("manifest", "--app", "nosuch")


def test_command_needs_a_subcommand():
    with pytest.raises(CommandError, match="SUBCOMMAND"):
        run_djai()


# -- the facade ------------------------------------------------------------------------------


def test_facade_exposes_register_and_build_manifest():
    assert djai_dsl.register is register
    assert djai_dsl.build_manifest is build_manifest
    with pytest.raises(AttributeError):
        djai_dsl.no_such_name  # noqa: B018


def test_register_is_importable_before_django_is_set_up():
    code = (
        "import djai_dsl; "
        "from djai_dsl import register; "
        "from djai_dsl.manifest import build_manifest, render_text; "
        "print(register.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": "."},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "register"
