"""Links from Django admin to the assistant page, without a model of their own.

- The admin index: :func:`link_assistant_from_index` points ``site.index_template`` at
  ``djai_dsl/admin/index.html``, which extends the admin's own index and puts a "Data
  assistant" module above the app list for users who may use it. djai's ``admin.py`` calls
  it for the default site. A site that already has an ``index_template`` is left alone: add
  ``{% include "djai_dsl/admin/assistant_module.html" %}`` to that template instead. (The
  same hook django-rq uses; a fake model would add a migration, content type and
  permissions just to draw a link.)
- A changelist: :class:`AskAboutMixin` on a ``ModelAdmin`` adds "Ask about <objects>" to
  the object tools, opening the page focused on that model.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from djai_dsl.api.views import may_use_assistant

INDEX_TEMPLATE = "djai_dsl/admin/index.html"


def link_assistant_from_index(site: admin.AdminSite = admin.site) -> None:
    """Show the assistant at the top of ``site``'s index, unless the site has its own
    index template."""
    if site.index_template is None:
        site.index_template = INDEX_TEMPLATE


def assistant_url(request: HttpRequest, model_label: str = "") -> str | None:
    """The chat page's URL for this user (focused on ``model_label``), or None when they
    may not use the assistant or the host did not include djai's URLs."""
    if not may_use_assistant(request.user):
        return None
    try:
        url = reverse("djai:assistant")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'model': model_label})}" if model_label else url


class AskAboutMixin:
    """A ``ModelAdmin`` mixin: an "Ask about <verbose name plural>" object tool on the
    changelist that opens the assistant about this model.

    ``class OrderAdmin(AskAboutMixin, admin.ModelAdmin)``. It sets ``change_list_template``;
    a ModelAdmin with a changelist template of its own can include
    ``djai_dsl/admin/ask_about_link.html`` in its ``object-tools-items`` block instead (the
    context variable ``djai_ask_url`` is set either way).
    """

    change_list_template = "djai_dsl/admin/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        label = self.opts.label_lower  # type: ignore[attr-defined]
        context = {**(extra_context or {}), "djai_ask_url": assistant_url(request, label)}
        return super().changelist_view(request, context)  # type: ignore[misc, no-any-return]
