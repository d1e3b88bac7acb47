"""The admin chat page: one HTML page inside Django admin that talks to ``api/`` only.

The view renders the admin frame (header, breadcrumbs, theme toggle) and hands the page's
JavaScript the few things it cannot ask the API for: where the API is mounted, static URLs
(the charting library, admin's icons), and a CSRF token (read from the page rather than the
cookie, so that hosts with ``CSRF_COOKIE_HTTPONLY`` or ``CSRF_USE_SESSIONS`` work too).
Everything else — chats, answers, the settings that change behaviour — comes from the HTTP
API, as for any other client.

Who may open it is who may use the API: active staff with ``djai_dsl.use_assistant``. As in
the admin itself, anyone who is not signed in as active staff is sent to the admin login, and
staff without the permission get a 403 (like a model admin page they may not view).

The page belongs to the default admin site (``django.contrib.admin.site``): its header,
theme and breadcrumbs come from there.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

from djai_dsl.api.views import may_use_assistant

#: ``?model=app_label.model_name`` from an "Ask about …" link; anything else is ignored.
MODEL_LABEL = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
CHART_SCRIPT = "djai_dsl/vendor/chartjs/chart.umd.min.js"


def _is_active_staff(user: Any) -> bool:
    return bool(user.is_active and user.is_staff)


@user_passes_test(_is_active_staff, login_url="admin:login")
def assistant(request: HttpRequest) -> HttpResponse:
    """The chat page. ``?chat=<id>`` opens a chat; ``?model=shop.order`` starts one about a
    model (the changelist's "Ask about …" link)."""
    if not may_use_assistant(request.user):
        raise PermissionDenied("You may not use the data assistant.")
    model = request.GET.get("model", "")
    model = model if MODEL_LABEL.match(model) else ""
    page_config: dict[str, Any] = {
        "apiRoot": reverse("djai:capabilities").rsplit("capabilities", 1)[0],
        "csrfToken": get_token(request),
        "chartScript": static(CHART_SCRIPT),
        "icons": {"yes": static("admin/img/icon-yes.svg"), "no": static("admin/img/icon-no.svg")},
        "model": model,
    }
    context = {
        **admin.site.each_context(request),
        "title": "Data assistant",
        "is_nav_sidebar_enabled": False,  # the page has its own sidebar: the chats
        "page_config": page_config,
        "focus": _focus(request, model),
    }
    return render(request, "djai_dsl/assistant.html", context)


def _focus(request: HttpRequest, label: str) -> dict[str, str] | None:
    """Breadcrumbs back to the changelist an "Ask about …" link came from, when the user
    may see it."""
    if not label:
        return None
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower != label:
            continue
        if not model_admin.has_view_or_change_permission(request):
            return None
        opts = model._meta
        try:
            return {
                "app_name": str(opts.app_config.verbose_name),
                "app_url": reverse("admin:app_list", args=[opts.app_label]),
                "name": str(opts.verbose_name_plural),
                "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            }
        except NoReverseMatch:
            return None
    return None
