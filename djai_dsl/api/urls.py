"""Include once in the host's URLconf: ``path("ai-assistant/", include("djai_dsl.api.urls"))``.

Everything lives under ``api/`` of that prefix; ``api/openapi.json`` describes it. A new
path needs its description in ``api/endpoints.py`` too (a test checks each one is documented).
"""

from django.urls import path, re_path

from djai_dsl import pages
from djai_dsl.api import capabilities, code, export, views

app_name = "djai"

urlpatterns = [
    path("", pages.assistant, name="assistant"),  # the admin chat page
    path("api/capabilities", capabilities.capabilities, name="capabilities"),
    path("api/chats", views.chats, name="chats"),
    path("api/chats/<int:chat_id>", views.chat_detail, name="chat"),
    path("api/chats/<int:chat_id>/messages", views.messages, name="messages"),
    path("api/chats/<int:chat_id>/message", views.message, name="message"),
    path("api/chats/<int:chat_id>/plan", views.plan, name="plan"),
    path("api/chats/<int:chat_id>/run", views.run, name="run"),
    path("api/chats/<int:chat_id>/code", code.run_code, name="code"),
    path("api/chats/<int:chat_id>/code/preview", code.preview_code, name="code_preview"),
    path("api/chats/<int:chat_id>/messages/<int:message_id>/page", views.page, name="page"),
    path(
        "api/chats/<int:chat_id>/messages/<int:message_id>/export.csv",
        export.export_csv,
        name="export",
    ),
    path("api/openapi.json", views.openapi, name="openapi"),
    path("api/metrics", views.metrics, name="metrics"),
    re_path(r"^api/", views.not_found, name="not_found"),
]
