"""(chat, user, content, client_context) -> envelope: one conversation turn, end to end.

The service is the only stage that touches chat state in the database. For a message it
runs router -> context -> manifest -> planner -> validation -> compile -> execute -> compose
and then records what happened (the assistant Message with its plan, a QueryLog row,
ChatEvents, the chat's summary/topic/title/pending clarification) in one transaction. The
user's query itself runs only inside the executor's read-only transaction.

Every request ends in an envelope: a :class:`~djai_dsl.errors.DjaiError` at any stage
becomes an error envelope with its status, and anything else an ``internal_error`` one
(logged with the trace id), so the HTTP layer and the CLI never see a raw exception from here.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from djai_dsl.chat import composer
from djai_dsl.chat.clarification import ClarificationMachine, PendingOption, Transition
from djai_dsl.chat.composer import MetaInfo
from djai_dsl.chat.context import ContextBuilder, auto_title, update_summary
from djai_dsl.chat.envelope import AnswerEnvelope, EnvelopeModel, envelope_json
from djai_dsl.chat.router import Intent, IntentRouter
from djai_dsl.compiler import CompiledQuery, compile_plan
from djai_dsl.conf import get_config
from djai_dsl.errors import (
    BadRequest,
    ChatNotFound,
    ConfigurationError,
    DjaiError,
    ErrorDetail,
    InputTooLarge,
    MessageNotFound,
    RateLimited,
)
from djai_dsl.escape import may_use_escape_hatch
from djai_dsl.executor import ReadOnlyExecutor, display_sql
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest import build_manifest
from djai_dsl.manifest.types import Manifest
from djai_dsl.models import Chat, ChatEvent, Message, QueryLog
from djai_dsl.observability import Trace, accept_trace_id, log_event, redact
from djai_dsl.plan import QueryPlan
from djai_dsl.planners.base import (
    Clarification,
    ClarifyOption,
    CodeProposal,
    OutOfScope,
    Planner,
    PlannerResult,
    PlanProposal,
)
from djai_dsl.planners.select import get_planner

logger = logging.getLogger("djai_dsl.chat")

USE_PERMISSION = "djai_dsl.use_assistant"
CODE_PERMISSION = "djai_dsl.view_generated_code"
TITLE_MAX_LENGTH = 200
RATE_WINDOW = dt.timedelta(seconds=60)


def get_clock() -> Callable[[], dt.datetime]:
    """``DJAI["CLOCK"]`` (a dotted path) or ``timezone.now``."""
    path = get_config()["CLOCK"]
    if not path:
        return timezone.now
    try:
        return import_string(path)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise ConfigurationError(f"DJAI['CLOCK'] cannot be imported: {exc}") from None


@dataclass(frozen=True)
class ClientContext:
    """``client_context`` of a request: the user's time zone and locale."""

    timezone: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class ClarificationAnswer:
    """An explicit answer to a pending clarification (the quick-action buttons send it)."""

    pending_clarification_id: str
    option_id: str


@dataclass
class Reply:
    envelope: dict[str, Any]
    status: int
    trace_id: str
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 429

    @property
    def type(self) -> str:
        return str(self.envelope["type"])


@dataclass
class _Turn:
    """Everything one request produced, for the recording step."""

    kind: str  # QueryLog.Kind
    trace: Trace
    meta: MetaInfo
    chat: Chat | None = None
    envelope: EnvelopeModel | None = None
    status: int = 200
    route: str = ""
    message_kind: str = ""  # Message.Kind of the assistant message to record; "" = none
    user_message_id: int | None = None
    machine: ClarificationMachine | None = None
    events: list[Transition] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # extra HTTP headers of the reply
    question: str = ""  # for the summary line
    title_from: str = ""  # the text an automatic title is made from
    plan_dsl: str = ""
    code: str = ""  # the ORM snippet an escape-hatch answer ran
    time_zone: str = ""
    plan_now: dt.datetime | None = None
    topic: str = ""
    row_count: int | None = None
    truncated: bool = False
    retry_count: int = 0
    llm_latency_ms: float | None = None
    db_latency_ms: float | None = None
    planner: str = ""
    candidate_models: list[str] = field(default_factory=list)
    error_code: str = ""
    answer_message_id: int | None = None  # the message an answer's pages belong to

    def attach(self, chat: Chat) -> None:
        self.chat = chat
        self.meta.chat_id = chat.pk

    def set_intent(self, label: Any, confidence: float | None, candidates: list[str]) -> None:
        self.meta.intent_label = label
        self.meta.intent_confidence = confidence
        if candidates:
            self.candidate_models = list(candidates)

    def fail(self, exc: DjaiError) -> None:
        self.envelope = composer.error(self.meta, exc)
        self.status = exc.http_status
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)
        self.route = QueryLog.Route.ERROR
        self.error_code = exc.code
        self.message_kind = Message.Kind.ERROR if self.user_message_id is not None else ""
        self.events.append(Transition(ChatEvent.Type.ERROR, {"code": exc.code}))


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
        chat = None
        if valid_id(chat_id):
            chat = Chat.objects.owned_by(self.user).filter(pk=chat_id).first()
        if chat is None:
            raise ChatNotFound()
        return chat

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
            machine = ClarificationMachine(chat, now=self.now(), ttl_seconds=self._ttl())
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
        code: str,
        client_context: ClientContext | None = None,
        page_size: int | None = None,
        *,
        execute: bool = True,
    ) -> Reply:
        """Run an ORM snippet (the escape hatch), or with ``execute=False`` check and show it
        without running it. Refused unless the hatch is on and the user may use it."""
        kind = QueryLog.Kind.RUN if execute else QueryLog.Kind.PREVIEW
        return self._handle(
            kind,
            lambda turn: self._run_code(turn, chat_id, code, client_context, page_size, execute),
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

        def fail(turn: _Turn) -> None:
            if chat_id is not None:
                chat = None
                if valid_id(chat_id):
                    chat = Chat.objects.owned_by(self.user).filter(pk=chat_id).first()
                if chat is not None:
                    turn.attach(chat)
            raise exc

        return self._handle(kind, fail)

    # ------------------------------------------------------------------ steps

    def _message(
        self,
        turn: _Turn,
        chat_id: int,
        content: str,
        client_context: ClientContext | None,
        clarification: ClarificationAnswer | None,
    ) -> None:
        trace = turn.trace
        chat, text, tz, locale, now, machine = self._open_turn(
            turn, chat_id, content, "content", Message.Kind.QUESTION, client_context
        )
        chosen = None
        if clarification is not None:
            chosen = machine.answer_by_id(
                clarification.pending_clarification_id, clarification.option_id
            )
        with trace.stage("manifest"):
            manifest = build_manifest(self.user)
        with trace.stage("router") as log:
            pending = machine.pending
            if chosen is not None and pending is not None:
                intent = Intent("CLARIFICATION", 1.0, list(pending.candidate_models), option=chosen)
            else:
                intent = self.router.route(
                    text,
                    manifest,
                    pending=pending,
                    current_topic=chat.current_topic,
                    has_previous_plan=bool(chat.current_topic),
                )
            log.update(
                intent=intent.label,
                confidence=intent.confidence,
                candidates=intent.candidate_models,
                reason=intent.reason,
                question=redact(text),
            )
        turn.set_intent(intent.label, intent.confidence, intent.candidate_models)

        question, planner_pending = text, None
        if pending is not None:
            resolved = machine.resolve(intent.option, text)
            turn.title_from = resolved.original_question
            if intent.option is not None and intent.option.plan:
                plan = parse(intent.option.plan)
                self._answer(turn, plan, manifest, tz, now, question=resolved.original_question)
                return
            if intent.option is not None:
                question = intent.option.question or resolved.original_question
            else:
                planner_pending = resolved.for_planner()
        elif (
            intent.label in ("OUT_OF_SCOPE", "GENERAL_HELP")
            and intent.confidence >= self.config["OUT_OF_SCOPE_CONFIDENCE"]
        ):
            self._refuse_by_router(turn, intent, manifest)
            return
        self._plan(turn, intent, question, manifest, tz, now, locale, planner_pending, execute=True)

    def _open_turn(
        self,
        turn: _Turn,
        chat_id: int,
        value: str,
        name: str,
        kind: str,
        client_context: ClientContext | None,
    ) -> tuple[Chat, str, ZoneInfo, str, dt.datetime, ClarificationMachine]:
        """What a question and a query text share before they differ: the owner's chat, the
        rate limit, the size check, the client's zone and locale, the recorded user message
        (an error reply until something better is recorded) and the clarification machine."""
        turn.attach(self.chat(chat_id))
        chat = turn.chat
        assert chat is not None
        self._check_rate_limit()
        limit = self.config["MAX_MESSAGE_LENGTH" if name == "content" else "MAX_DSL_LENGTH"]
        text = self._text(value, name, limit)
        tz, locale = self._client(client_context)
        now = self.now()
        turn.user_message_id = Message.objects.create(
            chat=chat, role=Message.Role.USER, kind=kind, content=text, trace_id=self.trace_id
        ).pk
        turn.message_kind = Message.Kind.ERROR
        machine = ClarificationMachine(chat, now=now, ttl_seconds=self._ttl())
        turn.machine = machine
        return chat, text, tz, locale, now, machine

    def _preview(
        self,
        turn: _Turn,
        chat_id: int,
        content: str | None,
        dsl: str | None,
        client_context: ClientContext | None,
    ) -> None:
        turn.attach(self.chat(chat_id))
        self._check_rate_limit()
        if (content is None) == (dsl is None):
            raise BadRequest("Send either `content` (a question) or `dsl` (query text).")
        tz, locale = self._client(client_context)
        now = self.now()
        with turn.trace.stage("manifest"):
            manifest = build_manifest(self.user)
        if dsl is not None:
            text = self._text(dsl, "dsl", self.config["MAX_DSL_LENGTH"])
            plan = self._parse(turn, text, manifest)
            turn.set_intent("DATA_QUERY", 1.0, [plan.source])
            self._answer(turn, plan, manifest, tz, now, question=text, execute=False)
            return
        assert content is not None
        text = self._text(content, "content", self.config["MAX_MESSAGE_LENGTH"])
        chat = turn.chat
        assert chat is not None
        with turn.trace.stage("router"):
            intent = self.router.route(
                text,
                manifest,
                current_topic=chat.current_topic,
                has_previous_plan=bool(chat.current_topic),
            )
        turn.set_intent(intent.label, intent.confidence, intent.candidate_models)
        if (
            intent.label in ("OUT_OF_SCOPE", "GENERAL_HELP")
            and intent.confidence >= self.config["OUT_OF_SCOPE_CONFIDENCE"]
        ):
            self._refuse_by_router(turn, intent, manifest)
            return
        self._plan(turn, intent, text, manifest, tz, now, locale, None, execute=False)

    def _run(
        self,
        turn: _Turn,
        chat_id: int,
        dsl: str,
        client_context: ClientContext | None,
        page_size: int | None,
    ) -> None:
        _chat, text, tz, _locale, now, machine = self._open_turn(
            turn, chat_id, dsl, "dsl", Message.Kind.DSL, client_context
        )
        machine.supersede("query text run")
        with turn.trace.stage("manifest"):
            manifest = build_manifest(self.user)
        plan = self._parse(turn, text, manifest)
        turn.set_intent("DATA_QUERY", 1.0, [plan.source])
        self._answer(turn, plan, manifest, tz, now, question="", page_size=page_size)

    def _run_code(
        self,
        turn: _Turn,
        chat_id: int,
        code: str,
        client_context: ClientContext | None,
        page_size: int | None,
        execute: bool,
    ) -> None:
        from djai_dsl.chat.code import answer_with_code
        from djai_dsl.escape import require_escape_hatch

        require_escape_hatch(self.user)  # before anything is recorded in the chat
        if execute:
            _chat, text, tz, _locale, now, machine = self._open_turn(
                turn, chat_id, code, "code", Message.Kind.CODE, client_context
            )
            machine.supersede("code run")
        else:
            turn.attach(self.chat(chat_id))
            self._check_rate_limit()
            text = self._text(code, "code", self.config["MAX_DSL_LENGTH"])
            tz, _locale = self._client(client_context)
            now = self.now()
        with turn.trace.stage("manifest"):
            manifest = build_manifest(self.user)
        turn.set_intent("DATA_QUERY", 1.0, [])
        answer_with_code(
            self, turn, text, manifest, tz, now, question="", execute=execute, page_size=page_size
        )

    def _page(
        self, turn: _Turn, chat_id: int, message_id: int, cursor: str, page_size: int | None
    ) -> None:
        turn.attach(self.chat(chat_id))
        self._check_rate_limit()
        message = (
            None
            if not valid_id(message_id)
            else (
                Message.objects.filter(
                    chat=turn.chat,
                    pk=message_id,
                    role=Message.Role.ASSISTANT,
                    kind=Message.Kind.ANSWER,
                )
                .exclude(plan_dsl="", code="")
                .first()
            )
        )
        if message is None or message.plan_now is None:
            raise MessageNotFound(hint="only answers that ran a query have pages")
        try:
            tz = ZoneInfo(message.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MessageNotFound(hint="the answer's time zone is no longer known") from None
        with turn.trace.stage("manifest"):
            manifest = build_manifest(self.user)
        turn.answer_message_id = message.pk
        if message.code:
            from djai_dsl.chat.code import answer_with_code

            turn.set_intent("DATA_QUERY", 1.0, [])
            answer_with_code(
                self,
                turn,
                message.code,
                manifest,
                tz,
                message.plan_now,
                question="",
                cursor=cursor,
                page_size=page_size,
            )
            return
        plan = self._parse(turn, message.plan_dsl, manifest)
        turn.set_intent("DATA_QUERY", 1.0, [plan.source])
        self._answer(
            turn,
            plan,
            manifest,
            tz,
            message.plan_now,
            question="",
            cursor=cursor,
            page_size=page_size,
        )

    # ------------------------------------------------------------------ planning

    def _plan(
        self,
        turn: _Turn,
        intent: Intent,
        question: str,
        manifest: Manifest,
        tz: ZoneInfo,
        now: dt.datetime,
        locale: str,
        pending: dict[str, Any] | None,
        *,
        execute: bool,
    ) -> None:
        chat = turn.chat
        assert chat is not None
        with turn.trace.stage("context"):
            context = self.context_builder.build(
                chat,
                tz=tz,
                now=now,
                locale=locale,
                exclude_message_id=turn.user_message_id,
                pending=pending,
            )
            context.escape_hatch = may_use_escape_hatch(self.user)
        planner = self.planner
        turn.planner = str(getattr(planner, "name", type(planner).__name__))[:64]
        with turn.trace.stage("planner", planner=turn.planner) as log:
            result: PlannerResult = planner.plan(question, context, manifest)
            log["result"] = type(result).__name__
        turn.llm_latency_ms = turn.trace.timings.get("planner")

        def label_of(own: Any) -> Any:
            # A reply to a clarifying question stays labelled as one, whatever it became.
            return "CLARIFICATION" if intent.label == "CLARIFICATION" else own

        if isinstance(result, PlanProposal):
            if result.llm_latency_ms is not None:
                turn.llm_latency_ms = result.llm_latency_ms
            turn.retry_count = result.retry_count
            turn.set_intent(
                label_of(result.intent_label),
                result.confidence,
                result.candidate_models or intent.candidate_models,
            )
            if result.confidence >= self.config["ANSWER_CONFIDENCE"]:
                turn.title_from = turn.title_from or question
                self._answer(
                    turn,
                    result.plan,
                    manifest,
                    tz,
                    now,
                    question=question,
                    notes=result.notes,
                    execute=execute,
                )
            elif result.confidence >= self.config["CLARIFY_CONFIDENCE"]:
                self._confirm(turn, result, question, manifest, tz, now, persist=execute)
            else:
                self._refuse(
                    turn,
                    "I am not sure what you are asking for.",
                    "Name what to count or list, and over which period.",
                    examples_for(manifest, result.candidate_models),
                )
        elif isinstance(result, Clarification):
            turn.set_intent(
                label_of(result.intent_label),
                result.confidence,
                result.candidate_models or intent.candidate_models,
            )
            self._clarify(
                turn,
                result.question,
                result.options,
                question,
                manifest,
                tz,
                now,
                persist=execute,
            )
        elif isinstance(result, CodeProposal):
            self._code_proposal(turn, result, intent, question, manifest, tz, now, execute)
        elif isinstance(result, OutOfScope):
            turn.set_intent(result.intent_label, result.confidence, intent.candidate_models)
            examples = result.examples or examples_for(manifest, intent.candidate_models)
            self._refuse(turn, result.reason, result.how_to_rephrase, examples)
        else:
            raise TypeError(f"planner {turn.planner} returned {type(result).__name__}")

    def _code_proposal(
        self,
        turn: _Turn,
        result: CodeProposal,
        intent: Intent,
        question: str,
        manifest: Manifest,
        tz: ZoneInfo,
        now: dt.datetime,
        execute: bool,
    ) -> None:
        """A planner answered with an ORM snippet: run it when the user may use the escape
        hatch (checked again here, whatever the planner was told) and the planner is sure."""
        from djai_dsl.chat.code import answer_with_code

        if result.llm_latency_ms is not None:
            turn.llm_latency_ms = result.llm_latency_ms
        turn.retry_count = result.retry_count
        label = "CLARIFICATION" if intent.label == "CLARIFICATION" else result.intent_label
        turn.set_intent(label, result.confidence, result.candidate_models)
        if result.confidence < self.config["ANSWER_CONFIDENCE"]:
            self._refuse(
                turn,
                "I am not sure what you are asking for.",
                "Name what to count or list, and over which period.",
                examples_for(manifest, result.candidate_models),
            )
            return
        turn.title_from = turn.title_from or question
        answer_with_code(
            self,
            turn,
            result.code,
            manifest,
            tz,
            now,
            question=question,
            notes=result.notes,
            execute=execute,
        )

    def _answer(
        self,
        turn: _Turn,
        plan: QueryPlan,
        manifest: Manifest,
        tz: ZoneInfo,
        now: dt.datetime,
        *,
        question: str,
        notes: list[str] | None = None,
        execute: bool = True,
        cursor: str | None = None,
        page_size: int | None = None,
    ) -> None:
        trace = turn.trace
        with trace.stage("compile") as log:
            compiled = compile_plan(plan, manifest, tz=tz, now=now)
            log["source"] = compiled.model_label
        plan_text = format_plan(compiled.plan)
        result = None
        if execute:
            with trace.stage("execute") as log:
                result = self.executor.run(compiled, tz=tz, page_size=page_size, cursor=cursor)
                log.update(rows=result.row_count, truncated=result.truncated, page=result.page)
            turn.db_latency_ms = result.db_latency_ms
            turn.row_count, turn.truncated = result.row_count, result.truncated
        with trace.stage("compose"):
            turn.envelope = composer.answer(
                turn.meta,
                compiled,
                plan_text,
                result,
                code=self._code(compiled),
                notes=notes,
                message_id=turn.answer_message_id,
            )
        turn.plan_dsl, turn.time_zone, turn.plan_now = plan_text, tz.key, now
        turn.topic = compiled.model_label
        turn.question = question or _first_sentence(compiled.explanation)
        turn.title_from = turn.title_from or turn.question
        if not execute:
            turn.route = QueryLog.Route.PREVIEW
            turn.events.append(Transition(ChatEvent.Type.PREVIEWED, {"source": turn.topic}))
            return
        turn.route = QueryLog.Route.ANSWER
        if turn.kind != QueryLog.Kind.PAGE:
            turn.message_kind = Message.Kind.ANSWER
            turn.events.append(
                Transition(
                    ChatEvent.Type.ANSWERED,
                    {"source": turn.topic, "rows": turn.row_count, "truncated": turn.truncated},
                )
            )

    def _confirm(
        self,
        turn: _Turn,
        proposal: PlanProposal,
        question: str,
        manifest: Manifest,
        tz: ZoneInfo,
        now: dt.datetime,
        *,
        persist: bool,
    ) -> None:
        """A plan the planner is unsure of: show the reading and let the user confirm it."""
        option = ClarifyOption(id="run", label="Yes, run this", plan=proposal.plan)
        self._clarify(
            turn,
            "Is this what you mean? Choose the option to run it, or rephrase your question.",
            [option],
            question,
            manifest,
            tz,
            now,
            persist=persist,
        )

    def _clarify(
        self,
        turn: _Turn,
        text: str,
        options: list[ClarifyOption],
        original_question: str,
        manifest: Manifest,
        tz: ZoneInfo,
        now: dt.datetime,
        *,
        persist: bool,
    ) -> None:
        pending_options = []
        for option in options:
            if option.plan is None:
                pending_options.append(
                    PendingOption(option.id, option.label, question=option.question)
                )
                continue
            try:
                compiled = compile_plan(option.plan, manifest, tz=tz, now=now)
            except DjaiError as exc:  # never offer what could not run
                log_event("option_dropped", self.trace_id, option=option.id, code=exc.code)
                continue
            pending_options.append(
                PendingOption(
                    option.id,
                    option.label,
                    plan=format_plan(compiled.plan),
                    explanation=compiled.explanation,
                )
            )
        pending_id = expires_at = None
        if persist:
            assert turn.machine is not None
            pending = turn.machine.ask(
                text,
                pending_options,
                original_question=original_question,
                candidate_models=turn.candidate_models,
            )
            pending_options = pending.options
            pending_id, expires_at = pending.id, pending.expires_at.isoformat()
        else:
            from djai_dsl.chat.clarification import normalise_options

            pending_options = normalise_options(pending_options)
        with turn.trace.stage("compose"):
            turn.envelope = composer.clarification(
                turn.meta,
                text,
                [o.view() for o in pending_options],
                pending_id=pending_id,
                expires_at=expires_at,
            )
        turn.route = QueryLog.Route.CLARIFICATION
        turn.message_kind = Message.Kind.CLARIFICATION if persist else ""

    def _refuse_by_router(self, turn: _Turn, intent: Intent, manifest: Manifest) -> None:
        examples = examples_for(manifest, intent.candidate_models)
        if intent.label == "GENERAL_HELP":
            names = ", ".join(sorted({m.verbose_name_plural for m in manifest.models.values()})[:8])
            self._refuse(
                turn,
                "I answer questions about the data you can see in this admin: counts, sums, "
                "averages, lists and trends.",
                f"Ask about {names}." if names else "You have no data to ask about yet.",
                examples,
            )
            return
        if "change data" in intent.reason:
            reason = "I can only read data; I cannot create, change or delete anything."
        else:
            reason = "That is not a question about the data in this project."
        self._refuse(
            turn, reason, "Ask a question about your data, for example one below.", examples
        )

    def _refuse(self, turn: _Turn, reason: str, how: str, examples: list[str]) -> None:
        with turn.trace.stage("compose"):
            turn.envelope = composer.out_of_scope(turn.meta, reason, how, examples)
        turn.route = QueryLog.Route.OUT_OF_SCOPE
        if turn.kind != QueryLog.Kind.PREVIEW:
            turn.message_kind = Message.Kind.OUT_OF_SCOPE
        turn.events.append(
            Transition(ChatEvent.Type.OUT_OF_SCOPE, {"intent": turn.meta.intent_label})
        )

    def _parse(self, turn: _Turn, text: str, manifest: Manifest) -> QueryPlan:
        with turn.trace.stage("parse"):
            return parse(text, manifest=manifest)

    # ------------------------------------------------------------------ recording

    def _handle(self, kind: str, step: Callable[[_Turn], None]) -> Reply:
        turn = _Turn(
            kind=kind, trace=Trace(self.trace_id, kind=kind), meta=MetaInfo(None, self.trace_id)
        )
        try:
            step(turn)
        except DjaiError as exc:
            turn.fail(exc)
        except Exception:  # the last resort: log it, answer with an envelope
            logger.exception("djai %s failed (trace %s)", kind, self.trace_id)
            turn.fail(DjaiError())
        return self._record(turn)

    def _record(self, turn: _Turn) -> Reply:
        trace = turn.trace
        assert turn.envelope is not None
        with trace.stage("record"), transaction.atomic():
            chat = turn.chat
            message = None
            if chat is not None and turn.message_kind:
                message = Message.objects.create(
                    chat=chat,
                    role=Message.Role.ASSISTANT,
                    kind=turn.message_kind,
                    content=turn.envelope.message,
                    envelope=envelope_json(turn.envelope),
                    plan_dsl=turn.plan_dsl if turn.message_kind == Message.Kind.ANSWER else "",
                    code=turn.code if turn.message_kind == Message.Kind.ANSWER else "",
                    time_zone=turn.time_zone,
                    plan_now=turn.plan_now if turn.message_kind == Message.Kind.ANSWER else None,
                    trace_id=self.trace_id,
                )
                if isinstance(turn.envelope, AnswerEnvelope) and turn.route in (
                    QueryLog.Route.ANSWER,
                    QueryLog.Route.ESCAPE_HATCH,
                ):
                    turn.envelope.data.message_id = message.pk
            if chat is not None:
                self._update_chat(chat, turn, message)
                events = list(turn.machine.transitions if turn.machine else []) + turn.events
                ChatEvent.objects.bulk_create(
                    [
                        ChatEvent(
                            chat=chat,
                            actor=self.user,
                            type=t.type,
                            data=t.data,
                            trace_id=self.trace_id,
                        )
                        for t in events
                    ]
                )
            QueryLog.objects.create(
                chat=chat,
                message=message,
                user=self.user,
                trace_id=self.trace_id,
                kind=turn.kind,
                route=turn.route,
                intent_label=turn.meta.intent_label or "",
                intent_confidence=turn.meta.intent_confidence,
                candidate_models=turn.candidate_models,
                planner=turn.planner,
                plan=turn.plan_dsl or turn.code,
                row_count=turn.row_count,
                truncated=turn.truncated,
                retry_count=turn.retry_count,
                router_latency_ms=trace.timings.get("router"),
                llm_latency_ms=turn.llm_latency_ms,
                db_latency_ms=turn.db_latency_ms,
                total_latency_ms=trace.elapsed_ms(),
                error_code=turn.error_code,
            )
        trace.finish(
            outcome=turn.route,
            error_code=turn.error_code,
            chat_id=turn.meta.chat_id,
            intent=turn.meta.intent_label,
            confidence=turn.meta.intent_confidence,
            candidates=turn.candidate_models,
            planner=turn.planner or None,
            rows=turn.row_count,
        )
        return Reply(envelope_json(turn.envelope), turn.status, self.trace_id, dict(turn.headers))

    def _update_chat(self, chat: Chat, turn: _Turn, message: Message | None) -> None:
        fields: set[str] = set()
        if turn.machine is not None and turn.machine.changed:
            fields.add("pending_clarification")
        answered = turn.message_kind == Message.Kind.ANSWER
        if answered:
            chat.conversation_summary = self._summarize(chat.conversation_summary, turn)
            chat.current_topic = turn.topic
            fields.update({"conversation_summary", "current_topic"})
            if not chat.title_source and turn.title_from:
                chat.title, chat.title_source = auto_title(turn.title_from), Chat.TitleSource.AUTO
                fields.update({"title", "title_source"})
                turn.events.append(Transition(ChatEvent.Type.CHAT_TITLED, {"title": chat.title}))
        if message is not None or fields:
            chat.save(update_fields=[*sorted(fields), "updated_at"])

    def _summarize(self, summary: str, turn: _Turn) -> str:
        """The summary after this answer: ``SUMMARIZER``'s, or the deterministic one."""
        arguments: dict[str, Any] = {
            "topic": turn.topic,
            "question": turn.question,
            "plan_dsl": turn.plan_dsl,
            "row_count": turn.row_count,
            "max_chars": int(self.config["SUMMARY_MAX_CHARS"]),
        }
        path = self.config["SUMMARIZER"]
        if not path and self.config["PLANNER"] == "llm":
            # With a provider configured, the model writes the summary too.
            path = "djai_dsl.chat.summary_llm.llm_summary"
        if path:
            try:
                text = str(import_string(path)(summary, **arguments))
                return text[: arguments["max_chars"]]
            except Exception:  # a summary is never worth failing an answer for
                logger.exception("DJAI['SUMMARIZER'] failed (trace %s)", self.trace_id)
        return update_summary(summary, **arguments)

    def _event(self, chat: Chat, type_: str, data: dict[str, Any]) -> None:
        ChatEvent.objects.create(
            chat=chat, actor=self.user, type=type_, data=data, trace_id=self.trace_id
        )

    # ------------------------------------------------------------------ checks

    def _check_rate_limit(self) -> None:
        limit = self.config["RATE_LIMIT_PER_MINUTE"]
        if not limit:
            return
        now = timezone.now()
        recent = QueryLog.objects.filter(user=self.user, created_at__gte=now - RATE_WINDOW).exclude(
            error_code=RateLimited.code
        )
        if recent.count() >= limit:
            # The window frees a place when the oldest counted request leaves it.
            oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
            wait = RATE_WINDOW - (now - oldest) if oldest is not None else RATE_WINDOW
            error = RateLimited(hint=f"at most {limit} questions per minute")
            error.retry_after = max(1, math.ceil(wait.total_seconds()))
            raise error

    @staticmethod
    def _text(value: str, name: str, max_length: int) -> str:
        text = value.strip()
        if not text:
            raise BadRequest(
                f"`{name}` is empty.", details=[ErrorDetail("must not be empty", path=name)]
            )
        if len(text) > max_length:
            raise InputTooLarge(
                f"`{name}` has {len(text)} characters; the limit is {max_length}.",
                details=[ErrorDetail(f"at most {max_length} characters", path=name)],
            )
        return text

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

    @staticmethod
    def _client(client_context: ClientContext | None) -> tuple[ZoneInfo, str]:
        ctx = client_context or ClientContext()
        name = ctx.timezone or timezone.get_default_timezone_name()
        try:
            tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadRequest(
                f"Unknown time zone {name!r}.",
                hint="use an IANA name such as 'Europe/Berlin' or 'UTC'",
                details=[ErrorDetail("unknown time zone", path="client_context.timezone")],
            ) from None
        return tz, ctx.locale or "en-US"

    def _ttl(self) -> int:
        return int(self.config["CLARIFICATION_TTL_SECONDS"])

    def may_see_code(self) -> bool:
        """Whether answers show this user their code (SQL, and ORM snippets)."""
        return bool(self.config["SHOW_CODE"]) and self.user.has_perm(CODE_PERMISSION)

    def _code(self, compiled: CompiledQuery) -> str | None:
        if not self.may_see_code():
            return None
        return display_sql(compiled, self.executor.alias)


def valid_id(value: int) -> bool:
    """Whether ``value`` fits a BigAutoField (Django < 5 passes larger ones to the driver,
    which fails instead of finding nothing)."""
    return 0 < value < 2**63


def examples_for(manifest: Manifest, candidates: list[str] | None = None, n: int = 3) -> list[str]:
    """Questions this user could ask, from the manifest (candidate models first)."""
    labels = [c for c in candidates or [] if c in manifest.models]
    labels += [label for label in sorted(manifest.models) if label not in labels]
    out = []
    for label in labels:
        info = manifest.models[label]
        plural = info.verbose_name_plural
        if info.default_time_field:
            out.append(f"How many {plural} per month this year?")
        else:
            out.append(f"How many {plural} are there?")
        if len(out) == n:
            break
    return out


def _first_sentence(text: str) -> str:
    return text.split(";", 1)[0].split(". ", 1)[0].strip()
