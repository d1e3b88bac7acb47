"""The admin chat page (djai_dsl/pages.py) and its links from the admin
(djai_dsl/admin_mixins.py), server side. The page's behaviour in a browser is in tests/ui/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.test import Client

from djai_dsl.admin_mixins import INDEX_TEMPLATE, AskAboutMixin, link_assistant_from_index
from tests.fakes import make_staff

pytestmark = pytest.mark.django_db

PAGE = "/ai-assistant/"


def page_config(response: Any) -> dict[str, Any]:
    html = response.content.decode()
    start = html.index('<script id="djai-config" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])  # type: ignore[no-any-return]


def test_anonymous_and_non_staff_users_go_to_the_admin_login(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/ai-assistant/"
    shopper = make_staff("shopper")
    shopper.is_staff = False
    shopper.save()
    client.force_login(shopper)
    assert client.get(PAGE)["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_are_refused(client: Client) -> None:
    client.force_login(make_staff("visitor", assistant=False))
    assert client.get(PAGE).status_code == 403


def test_the_page_is_an_admin_page_with_what_its_script_needs(client: Client) -> None:
    client.force_login(make_staff("analyst"))
    response = client.get(PAGE)
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == [
        "djai_dsl/assistant.html",
        "admin/base_site.html",
    ]
    html = response.content.decode()
    assert '<div class="breadcrumbs">' in html and "Data assistant" in html
    assert 'id="toggle-nav-sidebar"' not in html  # the chats are the sidebar here
    config = page_config(response)
    assert config["apiRoot"] == "/ai-assistant/api/"
    assert config["model"] == ""
    assert config["csrfToken"]
    # Static files the page loads exist (the chart library is vendored: no CDN).
    for url in (config["chartScript"], config["icons"]["yes"]):
        assert finders.find(url.removeprefix("/static/")), url
    for path in ("djai_dsl/js/main.js", "djai_dsl/assistant.css"):
        assert f"/static/{path}" in html and finders.find(path)
    assert "https://" not in Path(finders.find("djai_dsl/js/charts.js")).read_text()


def test_the_vendored_chart_library_ships_without_a_missing_source_map() -> None:
    script = Path(finders.find("djai_dsl/vendor/chartjs/chart.umd.min.js"))
    assert "sourceMappingURL" not in script.read_text()
    assert (script.parent / "LICENSE.md").read_text().startswith("The MIT License")


def test_model_focus_adds_breadcrumbs_back_to_the_changelist(client: Client) -> None:
    client.force_login(make_staff("analyst"))
    response = client.get(PAGE, {"model": "shop.order"})
    html = response.content.decode()
    assert page_config(response)["model"] == "shop.order"
    assert '<a href="/admin/shop/">Shop</a>' in html
    assert '<a href="/admin/shop/order/">Orders</a>' in html
    # Not a label, or a model the user may not view: no focus, no breadcrumbs to it.
    assert page_config(client.get(PAGE, {"model": "<script>"}))["model"] == ""
    response = client.get(PAGE, {"model": "auth.user"})
    assert "/admin/auth/user/" not in response.content.decode()


def test_admin_index_links_the_assistant_for_users_who_may_use_it(client: Client) -> None:
    client.force_login(make_staff("analyst"))
    html = client.get("/admin/").content.decode()
    assert 'id="djai-assistant-module"' in html and f'href="{PAGE}"' in html
    client.force_login(make_staff("visitor", assistant=False))
    html = client.get("/admin/").content.decode()
    assert "djai-assistant-module" not in html
    assert "Shop" in html  # the rest of the index is still there


def test_the_index_template_of_a_site_is_left_alone() -> None:
    assert admin.site.index_template == INDEX_TEMPLATE
    site = admin.AdminSite(name="custom")
    site.index_template = "custom/index.html"
    link_assistant_from_index(site)
    assert site.index_template == "custom/index.html"
    fresh = admin.AdminSite(name="fresh")
    link_assistant_from_index(fresh)
    assert fresh.index_template == INDEX_TEMPLATE


def test_changelists_ask_about_their_model(client: Client) -> None:
    assert isinstance(admin.site._registry[_order_model()], AskAboutMixin)
    client.force_login(make_staff("analyst"))
    html = client.get("/admin/shop/order/").content.decode()
    assert '<a href="/ai-assistant/?model=shop.order" class="djai-ask-link">' in html
    assert "Ask about orders" in html
    client.force_login(make_staff("visitor", assistant=False))
    response = client.get("/admin/shop/order/")
    assert response.status_code == 200 and "djai-ask-link" not in response.content.decode()


def _order_model() -> Any:
    from demo.shop.models import Order

    return Order
