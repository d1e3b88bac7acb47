"""Admin pages for djai's records: chats can be browsed and renamed; messages, query logs
and chat events are an audit trail and are read-only (they are append-only in the ORM too).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from djai_dsl.admin_mixins import link_assistant_from_index
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Viewing only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Message
    fields = ("created_at", "role", "kind", "content", "plan_dsl")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "owner", "current_topic", "updated_at", "deleted_at")
    list_filter = ("deleted_at", "title_source")
    search_fields = ("title", "owner__username", "current_topic")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    fields = (
        "owner",
        "title",
        "title_source",
        "current_topic",
        "conversation_summary",
        "pending_clarification",
        "created_at",
        "updated_at",
        "deleted_at",
    )
    readonly_fields = tuple(f for f in fields if f != "title")
    inlines = [MessageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # chats start in the assistant, for their owner

    def save_model(self, request: HttpRequest, obj: Chat, form: Any, change: bool) -> None:
        if "title" in form.changed_data:
            obj.title_source = Chat.TitleSource.USER  # no longer replaced automatically
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is kept; the API's delete hides a chat from its owner


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "chat", "role", "kind", "short_content")
    list_filter = ("role", "kind")
    search_fields = ("content", "trace_id")
    list_select_related = ("chat",)
    raw_id_fields = ("chat",)

    @admin.display(description="content")
    def short_content(self, obj: Message) -> str:
        return obj.content[:80]


@admin.register(QueryLog)
class QueryLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "kind",
        "route",
        "intent_label",
        "intent_confidence",
        "row_count",
        "total_latency_ms",
        "error_code",
    )
    list_filter = ("kind", "route", "intent_label", "error_code")
    search_fields = ("trace_id", "plan", "user__username")
    date_hierarchy = "created_at"
    list_select_related = ("user",)


@admin.register(ChatEvent)
class ChatEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "chat", "type", "actor", "trace_id")
    list_filter = ("type",)
    search_fields = ("trace_id", "chat__title")
    list_select_related = ("chat", "actor")


# The chat page, linked from the admin index (djai_dsl/admin_mixins.py says how and why).
link_assistant_from_index(admin.site)
