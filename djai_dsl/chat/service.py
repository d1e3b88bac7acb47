"""(chat, user, content, client_context) -> envelope: one conversation turn, end to end.

The service is the only stage that touches chat state in the database, and this module is
its orchestration: each public method runs one kind of turn as a short sequence of named
steps, each in the module named for it —

======================  ==============================================================
step                    module
======================  ==============================================================
open the turn           :mod:`~djai_dsl.chat.opening` (chat, rate limit, sizes, zone)
route                   :mod:`~djai_dsl.chat.routing` (with :mod:`~djai_dsl.chat.router`)
plan                    :mod:`~djai_dsl.chat.planning` (context, planner, its verdict)
clarify                 :mod:`~djai_dsl.chat.clarifying` (ask back, take the reply)
refuse                  :mod:`~djai_dsl.chat.refusing`
answer                  :mod:`~djai_dsl.chat.answering` (compile, execute, compose)
answer with code        :mod:`~djai_dsl.chat.code` (escape hatch: ORM snippets)
record                  :mod:`~djai_dsl.chat.recording` (rows, log line, reply)
======================  ==============================================================

— sharing one :class:`~djai_dsl.chat.turn.Turn` record, which the recording step writes in
one transaction. The user's query itself runs only inside the executor's read-only
transaction.

Every request ends in an envelope: a :class:`~djai_dsl.errors.DjaiError` at any stage
becomes an error envelope with its status, and anything else an ``internal_error`` one
(logged with the trace id), so the HTTP layer and the CLI never see a raw exception from here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from djai_dsl.chat import (
    answering,
    clarifying,
    code,
    opening,
    planning,
    recording,
    refusing,
    routing,
)
from djai_dsl.chat.composer import MetaInfo
from djai_dsl.chat.context import ContextBuilder
from djai_dsl.chat.router import IntentRouter
from djai_dsl.chat.turn import ClarificationAnswer, ClientContext, Reply, Scope, Turn
from djai_dsl.conf import get_config
from djai_dsl.errors import (
    BadRequest,
    ConfigurationError,
    DjaiError,
    ErrorDetail,
    InputTooLarge,
    MessageNotFound,
)
from djai_dsl.escape import require_escape_hatch
from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.manifest import build_manifest
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog
from djai_dsl.observability import Trace, accept_trace_id
from djai_dsl.plan import QueryPlan
from djai_dsl.planners.base import CodeProposal, Planner, PlanProposal
from djai_dsl.planners.select import get_planner

# The service's own inputs and output, imported from here by the API, the CLI and the
# evaluation runner.
__all__ = [
    "USE_PERMISSION",
    "ChatService",
    "ClarificationAnswer",
    "ClientContext",
    "Reply",
    "get_clock",
]

logger = logging.getLogger("djai_dsl.chat")

USE_PERMISSION = "djai_dsl.use_assistant"
TITLE_MAX_LENGTH = 200


def get_clock() -> Callable[[], dt.datetime]:
    """``DJAI["CLOCK"]`` (a dotted path) or ``timezone.now``."""
    path = get_config()["CLOCK"]
    if not path:
        return timezone.now
    try:
        return import_string(path)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise ConfigurationError(f"DJAI['CLOCK'] cannot be imported: {exc}") from None


class ChatService:
    """One user's view of their chats. Construct one per request (it carries the trace id).

    ``planner``, ``executor`` and ``clock`` default to the configured ones; tests and the
    benchmark pass their own.
    """

    def __init__(
        self,
        user: Any,
        *,
        planner: Planner | None = None,
        executor: ReadOnlyExecutor | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        trace_id: str | None = None,
    ) -> None:
        self.user = user
        self.config = get_config()
        self._planner = planner
        self._executor = executor
        self._clock = clock
        self.trace_id = accept_trace_id(trace_id)
        self.router = IntentRouter()
        self.context_builder = ContextBuilder(history_size=int(self.config["HISTORY_MESSAGES"]))

    @property
    def planner(self) -> Planner:
        if self._planner is None:
            self._planner = get_planner()
        return self._planner

    @property
    def executor(self) -> ReadOnlyExecutor:
        if self._executor is None:
            self._executor = ReadOnlyExecutor()
        return self._executor

    def now(self) -> dt.datetime:
        """The request's "now", in UTC (plans store it; the same value must come back from
        the database so that page cursors stay bound to the same query)."""
        now = (self._clock or get_clock())()
        if now.tzinfo is None:
            raise ConfigurationError("DJAI['CLOCK'] must return an aware datetime")
        return now.astimezone(dt.timezone.utc)

    # ------------------------------------------------------------------ chats

    def chats(self, limit: int = 100) -> list[Chat]:
        return list(Chat.objects.owned_by(self.user).order_by("-updated_at", "-id")[:limit])

    def chat(self, chat_id: int) -> Chat:
        """The user's chat ``chat_id``; someone else's or a deleted one does not exist."""
        return opening.owned_chat(self.user, chat_id)

    def create_chat(self, title: str = "") -> Chat:
        title = self._title(title, allow_empty=True)
        with transaction.atomic():
            chat = Chat.objects.create(
                owner=self.user, title=title, title_source=Chat.TitleSource.USER if title else ""
            )
            self._event(chat, ChatEvent.Type.CHAT_CREATED, {"title": title})
        return chat

    def rename_chat(self, chat_id: int, title: str) -> Chat:
        title = self._title(title, allow_empty=False)
        with transaction.atomic():
            chat = self.chat(chat_id)
            old = chat.title
            chat.title, chat.title_source = title, Chat.TitleSource.USER
            chat.save(update_fields=["title", "title_source", "updated_at"])
            self._event(chat, ChatEvent.Type.CHAT_RENAMED, {"from": old, "to": title})
        return chat

    def delete_chat(self, chat_id: int) -> None:
        """Hide the chat from its owner; its messages, logs and events stay for audit."""
        with transaction.atomic():
            chat = self.chat(chat_id)
            machine = opening.clarification_machine(chat, self.now(), self.config)
            machine.supersede("chat deleted")
            for transition in machine.transitions:
                self._event(chat, transition.type, transition.data)
            chat.deleted_at = timezone.now()
            chat.save(update_fields=["deleted_at", "pending_clarification", "updated_at"])
            self._event(chat, ChatEvent.Type.CHAT_DELETED, {})

    def messages(self, chat_id: int, limit: int = 500) -> list[Message]:
        chat = self.chat(chat_id)
        return list(Message.objects.filter(chat=chat).order_by("created_at", "id")[:limit])

    # ------------------------------------------------------------------ questions

    def send_message(
        self,
        chat_id: int,
        content: str,
        client_context: ClientContext | None = None,
        clarification: ClarificationAnswer | None = None,
    ) -> Reply:
        """Answer one chat message: an answer, a clarifying question, a refusal or an error."""
        return self._handle(
            QueryLog.Kind.MESSAGE,
            lambda turn: self._message(turn, chat_id, content, client_context, clarification),
        )

    def preview(
        self,
        chat_id: int,
        *,
        content: str | None = None,
        dsl: str | None = None,
        client_context: ClientContext | None = None,
    ) -> Reply:
        """How a question (or a DSL text) would be answered, without running it or changing
        the conversation."""
        return self._handle(
            QueryLog.Kind.PREVIEW,
            lambda turn: self._preview(turn, chat_id, content, dsl, client_context),
        )

    def run_query(
        self,
        chat_id: int,
        dsl: str,
        client_context: ClientContext | None = None,
        page_size: int | None = None,
    ) -> Reply:
        """Run a DSL text as given (e.g. a plan an analyst edited); it becomes the chat's
        previous plan, so follow-up questions build on it."""
        return self._handle(
            QueryLog.Kind.RUN,
            lambda turn: self._run(turn, chat_id, dsl, client_context, page_size),
        )

    def run_code(
        self,
        chat_id: int,
        source: str,
        client_context: ClientContext | None = None,
        page_size: int | None = None,
        *,
        execute: bool = True,
    ) -> Reply:
        """Run an ORM snippet (the escape hatch), or with ``execute=False`` check it and show
        its SQL without running it. Refused unless the hatch is on and the user may use it."""
        kind = QueryLog.Kind.RUN if execute else QueryLog.Kind.PREVIEW
        return self._handle(
            kind,
            lambda turn: self._run_code(turn, chat_id, source, client_context, page_size, execute),
        )

    def next_page(
        self, chat_id: int, message_id: int, cursor: str, page_size: int | None = None
    ) -> Reply:
        """The next page of an earlier answer: the stored plan is compiled again with the
        same time zone and "now", so the cursor still fits it."""
        return self._handle(
            QueryLog.Kind.PAGE,
            lambda turn: self._page(turn, chat_id, message_id, cursor, page_size),
        )

    def reject(self, kind: str, exc: DjaiError, chat_id: int | None = None) -> Reply:
        """An error found before the service could start (bad JSON, unknown fields...), made
        into an envelope and logged like any other request of that kind."""

        def fail(turn: Turn) -> None:
            if chat_id is not None:
                chat = opening.find_owned_chat(self.user, chat_id)
                if chat is not None:
                    turn.attach(chat)
            raise exc

        return self._handle(kind, fail)

    # ------------------------------------------------------------------ the turns

    def _handle(self, kind: str, steps: Callable[[Turn], None]) -> Reply:
        """Run one turn's ``steps``; whatever happens, record the turn and reply."""
        turn = Turn(
            kind=kind,
            user=self.user,
            config=self.config,
            trace=Trace(self.trace_id, kind=kind),
            meta=MetaInfo(None, self.trace_id),
        )
        try:
            steps(turn)
        except DjaiError as exc:
            turn.fail(exc)
        except Exception:  # the last resort: log it, answer with an envelope
            logger.exception("djai %s failed (trace %s)", kind, self.trace_id)
            turn.fail(DjaiError())
        return recording.record(turn)

    def _message(
        self,
        turn: Turn,
        chat_id: int,
        content: str,
        client_context: ClientContext | None,
        clarification: ClarificationAnswer | None,
    ) -> None:
        opened = opening.open_turn(
            turn,
            self.chat(chat_id),
            content,
            "content",
            Message.Kind.QUESTION,
            client_context,
            clock=self.now,
        )
        machine, text = opened.machine, opened.text
        chosen = None
        if clarification is not None:
            chosen = machine.answer_by_id(
                clarification.pending_clarification_id, clarification.option_id
            )
        scope = self._scope(turn, opened.tz, opened.now, opened.locale)
        pending = machine.pending
        intent = routing.route(
            turn, self.router, text, scope.manifest, pending=pending, chosen=chosen
        )
        question, planner_pending = text, None
        if pending is not None:
            resolved = clarifying.resolve_reply(turn, machine, intent.option, text)
            if resolved.plan is not None:
                self._answer(turn, resolved.plan, scope, question=resolved.question)
                return
            question, planner_pending = resolved.question, resolved.planner_pending
        elif routing.answered_by_router(intent, self.config):
            refusing.refuse_by_router(turn, intent, scope.manifest)
            return
        context = planning.planner_context(turn, self.context_builder, scope, planner_pending)
        proposal = planning.ask_planner(
            turn, self.planner, intent, question, context, scope, persist=True
        )
        self._answer_proposal(turn, proposal, scope, question=question)

    def _preview(
        self,
        turn: Turn,
        chat_id: int,
        content: str | None,
        dsl: str | None,
        client_context: ClientContext | None,
    ) -> None:
        turn.attach(self.chat(chat_id))
        opening.check_rate_limit(self.user, self.config)
        if (content is None) == (dsl is None):
            raise BadRequest("Send either `content` (a question) or `dsl` (query text).")
        tz, locale = opening.client_zone(client_context)
        scope = self._scope(turn, tz, self.now(), locale)
        if dsl is not None:
            text = opening.checked_text(dsl, "dsl", self.config["MAX_DSL_LENGTH"])
            plan = answering.plan_from_text(turn, text, scope.manifest)
            self._answer(turn, plan, scope, question=text, execute=False)
            return
        assert content is not None
        text = opening.checked_text(content, "content", self.config["MAX_MESSAGE_LENGTH"])
        # A preview's router line has never carried the reading; kept as it was.
        intent = routing.route(turn, self.router, text, scope.manifest, log_reading=False)
        if routing.answered_by_router(intent, self.config):
            refusing.refuse_by_router(turn, intent, scope.manifest)
            return
        context = planning.planner_context(turn, self.context_builder, scope, None)
        proposal = planning.ask_planner(
            turn, self.planner, intent, text, context, scope, persist=False
        )
        self._answer_proposal(turn, proposal, scope, question=text, execute=False)

    def _run(
        self,
        turn: Turn,
        chat_id: int,
        dsl: str,
        client_context: ClientContext | None,
        page_size: int | None,
    ) -> None:
        opened = opening.open_turn(
            turn, self.chat(chat_id), dsl, "dsl", Message.Kind.DSL, client_context, clock=self.now
        )
        opened.machine.supersede("query text run")
        scope = self._scope(turn, opened.tz, opened.now, opened.locale)
        plan = answering.plan_from_text(turn, opened.text, scope.manifest)
        self._answer(turn, plan, scope, question="", page_size=page_size)

    def _run_code(
        self,
        turn: Turn,
        chat_id: int,
        source: str,
        client_context: ClientContext | None,
        page_size: int | None,
        execute: bool,
    ) -> None:
        require_escape_hatch(self.user)  # before anything is recorded in the chat
        if execute:
            opened = opening.open_turn(
                turn,
                self.chat(chat_id),
                source,
                "code",
                Message.Kind.CODE,
                client_context,
                clock=self.now,
            )
            opened.machine.supersede("code run")
            text, scope = opened.text, self._scope(turn, opened.tz, opened.now, opened.locale)
        else:
            turn.attach(self.chat(chat_id))
            opening.check_rate_limit(self.user, self.config)
            text = opening.checked_text(source, "code", self.config["MAX_DSL_LENGTH"])
            tz, locale = opening.client_zone(client_context)
            scope = self._scope(turn, tz, self.now(), locale)
        turn.set_intent("DATA_QUERY", 1.0, [])
        self._answer_code(turn, text, scope, question="", execute=execute, page_size=page_size)

    def _page(
        self, turn: Turn, chat_id: int, message_id: int, cursor: str, page_size: int | None
    ) -> None:
        turn.attach(self.chat(chat_id))
        opening.check_rate_limit(self.user, self.config)
        message = None
        if opening.valid_id(message_id):
            message = (
                Message.objects.filter(
                    chat=turn.chat,
                    pk=message_id,
                    role=Message.Role.ASSISTANT,
                    kind=Message.Kind.ANSWER,
                )
                .exclude(plan_dsl="", code="")
                .first()
            )
        if message is None or message.plan_now is None:
            raise MessageNotFound(hint="only answers that ran a query have pages")
        try:
            tz = ZoneInfo(message.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MessageNotFound(hint="the answer's time zone is no longer known") from None
        scope = self._scope(turn, tz, message.plan_now)  # the answer's own zone and "now"
        turn.answer_message_id = message.pk
        if message.code:  # an answer of the escape hatch: the same snippet again
            turn.set_intent("DATA_QUERY", 1.0, [])
            self._answer_code(
                turn, message.code, scope, question="", cursor=cursor, page_size=page_size
            )
            return
        plan = answering.plan_from_text(turn, message.plan_dsl, scope.manifest)
        self._answer(turn, plan, scope, question="", cursor=cursor, page_size=page_size)

    # ------------------------------------------------------------------ shared by the turns

    def _scope(self, turn: Turn, tz: ZoneInfo, now: dt.datetime, locale: str = "en-US") -> Scope:
        """The manifest this user may see (the ``manifest`` stage), with the zone and now."""
        with turn.trace.stage("manifest"):
            manifest = build_manifest(self.user)
        return Scope(manifest, tz, now, locale)

    def _answer(self, turn: Turn, plan: QueryPlan, scope: Scope, **options: Any) -> None:
        # The executor is made when the step first needs it, after compiling, as before.
        answering.answer(turn, plan, scope, lambda: self.executor, **options)

    def _answer_code(self, turn: Turn, source: str, scope: Scope, **options: Any) -> None:
        code.answer_with_code(turn, source, scope, lambda: self.executor, **options)

    def _answer_proposal(
        self,
        turn: Turn,
        proposal: PlanProposal | CodeProposal | None,
        scope: Scope,
        *,
        question: str,
        execute: bool = True,
    ) -> None:
        """Answer what the planner proposed: a plan, or an ORM snippet (escape hatch)."""
        if isinstance(proposal, CodeProposal):
            self._answer_code(
                turn,
                proposal.code,
                scope,
                question=question,
                notes=proposal.notes,
                execute=execute,
            )
        elif proposal is not None:
            self._answer(
                turn, proposal.plan, scope, question=question, notes=proposal.notes, execute=execute
            )

    def _event(self, chat: Chat, type_: str, data: dict[str, Any]) -> None:
        recording.record_event(chat, self.user, type_, data, self.trace_id)

    @staticmethod
    def _title(title: str, *, allow_empty: bool) -> str:
        title = " ".join(title.split())
        if not title and not allow_empty:
            raise BadRequest(
                "The title is empty.", details=[ErrorDetail("must not be empty", path="title")]
            )
        if len(title) > TITLE_MAX_LENGTH:
            raise InputTooLarge(f"Titles have at most {TITLE_MAX_LENGTH} characters.")
        return title
