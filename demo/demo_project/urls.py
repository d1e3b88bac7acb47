"""URLs of the demo: Django admin, where staff use the djai assistant."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # djai's API (and chat page) under one prefix.
    path("ai-assistant/", include("djai_dsl.api.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
