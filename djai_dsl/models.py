"""What djai remembers: chats, their messages, one log row per query, and an audit trail.

- :class:`Chat` is the only mutable record: its title, summary, topic and pending
  clarification change as the conversation goes on. Deleting a chat through the API only
  marks it deleted, so that its history stays auditable.
- :class:`Message`, :class:`QueryLog` and :class:`ChatEvent` are append-only. Saving an
  existing row, ``delete()``, and queryset ``update()``/``delete()`` raise
  :class:`ImmutableRecordError`; their foreign keys PROTECT, so a user or chat with history
  cannot be deleted by cascade either (deactivate users instead). The database itself is not
  asked to enforce this: a developer with SQL access can still change rows, the ORM just
  never does it by accident.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class ImmutableRecordError(Exception):
    """An attempt to change or delete an append-only record through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """A queryset that can create and read rows but not change or delete them."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be deleted")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be updated")

    def _raw_delete(self, using: str) -> int:  # the deletion collector's fast path
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    """Base of the append-only models: a row is written once, then only read."""

    objects: ClassVar[Any] = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        # The deletion collector and related managers use the base manager: make it ours.
        base_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{type(self).__name__} rows cannot be deleted")


class ChatQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def visible(self) -> ChatQuerySet:
        """Chats that were not deleted."""
        return self.filter(deleted_at__isnull=True)

    def owned_by(self, user: Any) -> ChatQuerySet:
        return self.filter(owner=user).visible()


class Chat(models.Model):
    """One conversation of one staff user with the assistant."""

    class TitleSource(models.TextChoices):
        NONE = "", "not titled yet"
        AUTO = "auto", "from the first question"
        USER = "user", "set by the user"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="owner",
        on_delete=models.PROTECT,
        related_name="djai_chats",
    )
    title = models.CharField("title", max_length=200, blank=True, default="")
    title_source = models.CharField(
        "title source", max_length=8, choices=TitleSource.choices, blank=True, default=""
    )
    # Deterministic, bounded summary of earlier answers (see chat/context.py).
    conversation_summary = models.TextField("conversation summary", blank=True, default="")
    # The model label the conversation is about, e.g. "shop.order" (empty before an answer).
    current_topic = models.CharField("current topic", max_length=200, blank=True, default="")
    # {"id", "question", "options": [{"id", "label", "plan"|"question"}], "original_question",
    #  "created_at", "expires_at", "candidate_models"}; null when nothing is pending.
    pending_clarification = models.JSONField("pending clarification", null=True, blank=True)
    created_at = models.DateTimeField("created at", auto_now_add=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)
    deleted_at = models.DateTimeField("deleted at", null=True, blank=True)

    objects = ChatQuerySet.as_manager()

    class Meta:
        verbose_name = "chat"
        verbose_name_plural = "chats"
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "deleted_at", "updated_at"])]
        permissions = [
            ("use_assistant", "Can use the djai data assistant"),
            ("view_generated_code", "Can see the SQL djai generates"),
            ("use_escape_hatch", "Can run ORM snippets through the escape hatch"),
        ]

    def __str__(self) -> str:
        return self.title or f"Chat #{self.pk}"


class Message(AppendOnlyModel):
    """One turn: the user's text, or the assistant's envelope (and the plan it ran)."""

    class Role(models.TextChoices):
        USER = "user", "user"
        ASSISTANT = "assistant", "assistant"

    class Kind(models.TextChoices):
        QUESTION = "question", "question in words"
        DSL = "dsl", "query text run as given"
        CODE = "code", "ORM snippet run as given"
        ANSWER = "answer", "answer"
        CLARIFICATION = "clarification", "clarifying question"
        OUT_OF_SCOPE = "out_of_scope", "out of scope"
        ERROR = "error", "error"

    chat = models.ForeignKey(
        Chat, verbose_name="chat", on_delete=models.PROTECT, related_name="messages"
    )
    role = models.CharField("role", max_length=16, choices=Role.choices)
    kind = models.CharField("kind", max_length=16, choices=Kind.choices)
    content = models.TextField("content")
    envelope = models.JSONField("envelope", null=True, blank=True)
    # The plan an answer ran, as canonical DSL, with the time zone and "now" it was compiled
    # with: the next page recompiles exactly the same query (cursors are bound to it).
    plan_dsl = models.TextField("plan", blank=True, default="")
    time_zone = models.CharField("time zone", max_length=64, blank=True, default="")
    plan_now = models.DateTimeField("compiled at", null=True, blank=True)
    # The ORM snippet an answer ran instead of a plan (the escape hatch), for its pages.
    code = models.TextField("ORM snippet", blank=True, default="")
    trace_id = models.CharField("trace id", max_length=64, blank=True, default="")
    created_at = models.DateTimeField("created at", auto_now_add=True)

    class Meta(AppendOnlyModel.Meta):
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["chat", "created_at"])]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class QueryLog(AppendOnlyModel):
    """One row per request that reached the chat service: what was routed where, how long
    each stage took and how it ended. Metrics and ``manage.py djai stats`` read it."""

    class Kind(models.TextChoices):
        MESSAGE = "message", "chat message"
        PREVIEW = "preview", "plan preview"
        RUN = "run", "query text run"
        PAGE = "page", "next page"

    class Route(models.TextChoices):
        ANSWER = "answer", "answered"
        PREVIEW = "preview", "plan shown, not run"
        CLARIFICATION = "clarification", "asked to clarify"
        OUT_OF_SCOPE = "out_of_scope", "out of scope"
        ERROR = "error", "error"
        ESCAPE_HATCH = "escape_hatch", "answered by an ORM snippet"

    chat = models.ForeignKey(
        Chat,
        verbose_name="chat",
        on_delete=models.PROTECT,
        related_name="query_logs",
        null=True,
        blank=True,
    )
    message = models.ForeignKey(
        Message,
        verbose_name="answer message",
        on_delete=models.PROTECT,
        related_name="query_logs",
        null=True,
        blank=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="user",
        on_delete=models.PROTECT,
        related_name="djai_query_logs",
        null=True,
        blank=True,
    )
    trace_id = models.CharField("trace id", max_length=64, db_index=True)
    kind = models.CharField("kind", max_length=16, choices=Kind.choices)
    route = models.CharField("route", max_length=16, choices=Route.choices)
    intent_label = models.CharField("intent", max_length=32, blank=True, default="")
    intent_confidence = models.FloatField("intent confidence", null=True, blank=True)
    candidate_models = models.JSONField("candidate models", default=list, blank=True)
    planner = models.CharField("planner", max_length=64, blank=True, default="")
    plan = models.TextField("plan", blank=True, default="")
    row_count = models.IntegerField("rows", null=True, blank=True)
    truncated = models.BooleanField("truncated", default=False)
    retry_count = models.PositiveIntegerField("retries", default=0)
    router_latency_ms = models.FloatField("router latency (ms)", null=True, blank=True)
    llm_latency_ms = models.FloatField("planner latency (ms)", null=True, blank=True)
    db_latency_ms = models.FloatField("database latency (ms)", null=True, blank=True)
    total_latency_ms = models.FloatField("total latency (ms)", null=True, blank=True)
    error_code = models.CharField("error code", max_length=64, blank=True, default="")
    created_at = models.DateTimeField("created at", auto_now_add=True, db_index=True)

    class Meta(AppendOnlyModel.Meta):
        verbose_name = "query log"
        verbose_name_plural = "query logs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.route} {self.trace_id}"


class ChatEvent(AppendOnlyModel):
    """An audit record of a transition or a user-visible event in a chat (created, renamed,
    clarification asked/answered/expired, answered, deleted...)."""

    class Type(models.TextChoices):
        CHAT_CREATED = "chat_created", "chat created"
        CHAT_RENAMED = "chat_renamed", "chat renamed"
        CHAT_TITLED = "chat_titled", "chat titled automatically"
        CHAT_DELETED = "chat_deleted", "chat deleted"
        ANSWERED = "answered", "answered"
        PREVIEWED = "previewed", "plan previewed"
        OUT_OF_SCOPE = "out_of_scope", "refused as out of scope"
        ERROR = "error", "error"
        CLARIFICATION_ASKED = "clarification_asked", "clarification asked"
        CLARIFICATION_RESOLVED = "clarification_resolved", "clarification answered"
        CLARIFICATION_EXPIRED = "clarification_expired", "clarification expired"
        CLARIFICATION_SUPERSEDED = "clarification_superseded", "clarification replaced"
        CLARIFICATION_REJECTED = "clarification_rejected", "stale clarification answer refused"

    chat = models.ForeignKey(
        Chat, verbose_name="chat", on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="actor",
        on_delete=models.PROTECT,
        related_name="djai_chat_events",
        null=True,
        blank=True,
    )
    type = models.CharField("type", max_length=32, choices=Type.choices)
    data = models.JSONField("data", default=dict, blank=True)
    trace_id = models.CharField("trace id", max_length=64, blank=True, default="")
    created_at = models.DateTimeField("created at", auto_now_add=True)

    class Meta(AppendOnlyModel.Meta):
        verbose_name = "chat event"
        verbose_name_plural = "chat events"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["chat", "created_at"])]

    def __str__(self) -> str:
        return f"{self.type} in chat {self.chat_id}"
