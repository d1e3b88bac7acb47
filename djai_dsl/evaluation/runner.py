"""Run a question set through the chat service, exactly as the API would answer it.

Each item gets a chat of its own: its ``history`` questions are asked first, then the
question itself, through :class:`~djai_dsl.chat.service.ChatService` (router, context,
planner, validation, compile, read-only execution, composition, recording). What came back
is an :class:`Outcome`, and :func:`judge` compares it with the item's expectation.

The service records chats, messages and query logs; :func:`evaluate` runs everything in a
transaction that is rolled back at the end, so an evaluation leaves the database as it
found it. The questions are asked by a temporary staff user who may view exactly the
models of the set's ``apps``, or of the item's ``dataset`` (or by ``--user`` when given).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test.utils import override_settings

from djai_dsl.chat.service import ChatService, ClientContext, Reply
from djai_dsl.conf import get_config
from djai_dsl.errors import BadRequest, DjaiError
from djai_dsl.evaluation.gold import GoldError, gold_answer
from djai_dsl.evaluation.questions import Question, QuestionSet
from djai_dsl.evaluation.scoring import Comparison, GoldAnswer, Table, Tolerance, compare
from djai_dsl.evaluation.sql_gold import sql_gold_answer
from djai_dsl.manifest.builder import build_manifest
from djai_dsl.manifest.types import Manifest
from djai_dsl.models import QueryLog
from djai_dsl.planners.base import Planner

#: Rows of one answer read at most (pages are followed up to this).
MAX_ROWS = 2000
EVAL_USERNAME = "djai-eval"


@dataclass
class Outcome:
    """What the chat service answered to one question."""

    kind: str  # answer, clarification, out_of_scope, help, error
    table: Table | None = None
    plan: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    error_code: str = ""
    confidence: float | None = None
    retry_count: int = 0
    latency_ms: float = 0.0
    message: str = ""

    @property
    def executed(self) -> bool:
        return self.kind == "answer"

    @property
    def first_pass(self) -> bool:
        """Answered on the first try: no re-ask of the planner, no error."""
        return self.kind == "answer" and self.retry_count == 0 and not self.error_code


@dataclass
class Verdict:
    question: Question
    outcome: Outcome
    correct: bool
    reason: str = ""
    # A confirmation ("is this what you mean?") whose plan would have been right.
    confirm_correct: bool = False


def envelope_outcome(reply: Reply, latency_ms: float) -> Outcome:
    env = reply.envelope
    data, meta = env.get("data") or {}, env.get("meta") or {}
    kind = env["type"]
    if kind == "out_of_scope" and meta.get("intent_label") == "GENERAL_HELP":
        kind = "help"
    outcome = Outcome(
        kind=kind,
        confidence=meta.get("intent_confidence"),
        latency_ms=latency_ms,
        message=str(env.get("message", "")),
    )
    if kind == "answer":
        result = data.get("result") or {"columns": [], "rows": []}
        outcome.table = Table([c["name"] for c in result["columns"]], list(result["rows"]))
        outcome.plan = str(data.get("plan", ""))
    elif kind == "clarification":
        outcome.options = [_option(o) for o in data.get("options", [])]
    elif kind == "error":
        outcome.error_code = str(data.get("error_code", ""))
    return outcome


def _option(option: dict[str, Any]) -> dict[str, Any]:
    resolves = option.get("resolves_to") or {}
    return {
        "id": option.get("id", ""),
        "label": option.get("label", ""),
        "plan": resolves.get("plan", "") or option.get("plan", ""),
        "question": resolves.get("question", "") or option.get("question", ""),
        "explanation": resolves.get("explanation", "") or option.get("explanation", ""),
    }


class ServiceAsker:
    """Asks through :class:`ChatService` as ``user``, at a fixed clock and time zone."""

    def __init__(self, user: Any, planner: Planner, now: dt.datetime, tz_name: str) -> None:
        self.user = user
        self.planner = planner
        self.now = now
        self.client = ClientContext(timezone=tz_name)

    def service(self) -> ChatService:
        return ChatService(self.user, planner=self.planner, clock=lambda: self.now)

    def new_chat(self) -> int:
        return int(self.service().create_chat().pk)

    def ask(self, chat_id: int, text: str) -> Outcome:
        service = self.service()
        began = time.perf_counter()
        reply = service.send_message(chat_id, text, self.client)
        latency = (time.perf_counter() - began) * 1000
        outcome = envelope_outcome(reply, latency)
        log = QueryLog.objects.filter(trace_id=reply.trace_id).order_by("-id").first()
        if log is not None:
            outcome.retry_count = log.retry_count
            outcome.error_code = outcome.error_code or log.error_code
        if outcome.table is not None:
            self._more_pages(service, chat_id, reply, outcome.table)
        return outcome

    @staticmethod
    def _more_pages(service: ChatService, chat_id: int, reply: Reply, table: Table) -> None:
        data = reply.envelope["data"]
        cursor, message_id = data.get("next_cursor"), data.get("message_id")
        while cursor and message_id and len(table.rows) < MAX_ROWS:
            page = service.next_page(chat_id, message_id, cursor, page_size=1000)
            if page.type != "answer":
                break
            table.rows.extend(page.envelope["data"]["result"]["rows"])
            cursor = page.envelope["data"].get("next_cursor")


# --------------------------------------------------------------------------- judging


def judge(
    q: Question,
    outcome: Outcome,
    golds: list[GoldAnswer],
    tolerance: Tolerance,
    confirm: Callable[[str], Table | None] | None = None,
) -> Verdict:
    """Whether ``outcome`` is what ``q`` expects; with several acceptable outcomes, the
    first that fits (or, when none does, the verdict on the first expectation)."""
    verdicts = [
        _judge_as(expect, q, outcome, golds, tolerance, confirm) for expect in q.expectations
    ]
    return next((v for v in verdicts if v.correct), verdicts[0])


def _judge_as(
    expect: str,
    q: Question,
    outcome: Outcome,
    golds: list[GoldAnswer],
    tolerance: Tolerance,
    confirm: Callable[[str], Table | None] | None,
) -> Verdict:
    if expect == "answer":
        if outcome.kind != "answer" or outcome.table is None:
            verdict = Verdict(q, outcome, False, _got(outcome))
            if confirm is not None and _is_confirmation(outcome):
                table = confirm(outcome.options[0]["plan"])
                verdict.confirm_correct = table is not None and any(
                    compare(g, table, tolerance).ok for g in golds
                )
            return verdict
        reasons: list[Comparison] = [compare(g, outcome.table, tolerance) for g in golds]
        if any(c.ok for c in reasons):
            return Verdict(q, outcome, True)
        return Verdict(q, outcome, False, reasons[0].reason)
    if expect == "clarification":
        if outcome.kind != "clarification":
            return Verdict(q, outcome, False, _got(outcome))
        texts = [
            " ".join(
                str(o.get(k, "")) for k in ("label", "plan", "question", "explanation")
            ).lower()
            for o in outcome.options
        ]
        missing = [r for r in q.options if not any(any(s.lower() in t for s in r) for t in texts)]
        if missing:
            return Verdict(q, outcome, False, f"no option for {missing[0][0]!r}")
        return _names_said(q, outcome)
    expected_kind = "help" if expect == "help" else "out_of_scope"
    if outcome.kind == expected_kind:
        return _names_said(q, outcome)
    return Verdict(q, outcome, False, _got(outcome))


def _names_said(q: Question, outcome: Outcome) -> Verdict:
    """A refusal or clarification is right only when it names what the item says it must
    (``names``: one string of each entry), in its message or one of its options."""
    said = " ".join(
        [outcome.message]
        + [str(o.get(k, "")) for o in outcome.options for k in ("label", "question")]
    ).lower()
    missing = [n for n in q.names if not any(s.lower() in said for s in n)]
    if missing:
        return Verdict(q, outcome, False, f"the reply does not name {missing[0][0]!r}")
    return Verdict(q, outcome, True)


def _is_confirmation(outcome: Outcome) -> bool:
    return (
        outcome.kind == "clarification"
        and len(outcome.options) == 1
        and bool(outcome.options[0].get("plan"))
    )


def _got(outcome: Outcome) -> str:
    if outcome.kind == "error":
        return f"error {outcome.error_code}"
    if outcome.kind == "clarification" and _is_confirmation(outcome):
        return "asked to confirm a plan"
    return f"got {outcome.kind.replace('_', ' ')}"


# --------------------------------------------------------------------------- evaluation


@dataclass
class EvalRun:
    question_set: QuestionSet
    verdicts: list[Verdict]
    planner: str
    now: dt.datetime
    timezone: str


def evaluate(
    question_set: QuestionSet,
    planner: Planner,
    *,
    user: Any = None,
    now: dt.datetime | None = None,
    tz_name: str | None = None,
    categories: list[str] | None = None,
    tolerance: Tolerance | None = None,
    progress: Callable[[Verdict], None] | None = None,
) -> EvalRun:
    """Ask every question of the set (or of ``categories``) and judge the answers. The
    database is left unchanged: everything runs in a transaction that is rolled back."""
    tol = tolerance or Tolerance()
    _check_clock(question_set, now, tz_name)
    tz_key = tz_name or (question_set.timezone.key if question_set.timezone else settings.TIME_ZONE)
    moment = now or question_set.now or dt.datetime.now(dt.timezone.utc)
    tz = ZoneInfo(tz_key)
    verdicts: list[Verdict] = []
    with _no_rate_limit(), transaction.atomic():
        askers = _Askers(question_set.apps, planner, user, moment, tz_key)
        for q in question_set.questions:
            if categories and q.category not in categories:
                continue
            asker, manifest = askers.for_question(q)
            golds = _golds(q, manifest, tz, moment)
            chat_id = asker.new_chat()
            for earlier in q.history:
                asker.ask(chat_id, earlier)
            outcome = asker.ask(chat_id, q.question)
            confirm = _confirmer(manifest, tz, moment)
            verdict = judge(q, outcome, golds, tol, confirm)
            verdicts.append(verdict)
            if progress is not None:
                progress(verdict)
        transaction.set_rollback(True)
    return EvalRun(
        question_set, verdicts, getattr(planner, "name", type(planner).__name__), moment, tz_key
    )


class _Askers:
    """Who asks each item, and the manifest they see: one user per set of apps the items
    are asked with (the set's ``apps``, or an item's ``dataset``); ``user`` asks
    everything when given."""

    def __init__(
        self,
        apps: tuple[str, ...],
        planner: Planner | None,
        user: Any,
        now: dt.datetime,
        tz_key: str,
    ) -> None:
        self.default_apps = apps
        self.planner, self.user, self.now, self.tz_key = planner, user, now, tz_key
        self.users: dict[tuple[str, ...], tuple[Any, Manifest]] = {}

    def user_for(self, q: Question) -> tuple[Any, Manifest]:
        apps = self.default_apps if q.apps is None else q.apps
        if apps not in self.users:
            asker_user = self.user or _eval_user(apps)
            self.users[apps] = (asker_user, build_manifest(asker_user))
        return self.users[apps]

    def for_question(self, q: Question) -> tuple[ServiceAsker, Manifest]:
        assert self.planner is not None, "golds are checked without a planner"
        asker_user, manifest = self.user_for(q)
        return ServiceAsker(asker_user, self.planner, self.now, self.tz_key), manifest


@dataclass
class GoldCheck:
    """The golds of one item as computed on the database: rows of each, or what failed."""

    question: Question
    rows: list[int] = field(default_factory=list)  # the gold's, then each accepted reading's
    error: str = ""


def check_golds(
    question_set: QuestionSet, *, categories: list[str] | None = None
) -> list[GoldCheck]:
    """Compute every item's golds (SQL and DSL) at the set's clock, asking nothing: for
    whoever writes a set, to see each gold run, and with how many rows, before any planner
    answers it. Leaves the database unchanged."""
    tz_key = question_set.timezone.key if question_set.timezone else settings.TIME_ZONE
    moment = question_set.now or dt.datetime.now(dt.timezone.utc)
    checks: list[GoldCheck] = []
    with transaction.atomic():
        askers = _Askers(question_set.apps, None, None, moment, tz_key)
        for q in question_set.questions:
            if categories and q.category not in categories:
                continue
            _, manifest = askers.user_for(q)
            try:
                golds = _golds(q, manifest, ZoneInfo(tz_key), moment)
            except GoldError as exc:
                checks.append(GoldCheck(q, error=str(exc)))
                continue
            checks.append(GoldCheck(q, [len(g.table.rows) for g in golds]))
        transaction.set_rollback(True)
    return checks


def _check_clock(question_set: QuestionSet, now: dt.datetime | None, tz_name: str | None) -> None:
    """SQL golds hold literal dates written for the set's ``now`` and time zone: at another
    clock they would no longer be the answer to the question."""
    if not question_set.has_sql_gold:
        return
    if now is not None and now != question_set.now:
        raise BadRequest(
            f"{question_set.name}: its SQL golds are written for now = "
            f"{question_set.now.isoformat() if question_set.now else '?'}",
            hint="run this set at its own clock (leave out --now)",
        )
    own_zone = question_set.timezone.key if question_set.timezone else settings.TIME_ZONE
    if tz_name is not None and tz_name != own_zone:
        raise BadRequest(
            f"{question_set.name}: its SQL golds are written for the time zone {own_zone}",
            hint="run this set in its own time zone (leave out --tz)",
        )


def _golds(q: Question, manifest: Manifest, tz: Any, now: dt.datetime) -> list[GoldAnswer]:
    out = []
    try:
        for sql in q.gold_sql:
            out.append(
                sql_gold_answer(
                    sql, tz=tz, ordered=bool(q.ordered), sort_keys=q.sort_keys, limit=q.limit
                )
            )
        for dsl in q.gold:
            out.append(gold_answer(dsl, manifest, tz=tz, now=now, ordered=q.ordered))
    except GoldError as exc:
        raise GoldError(f"{q.id}: {exc}", hint=exc.hint) from exc
    return out


def _confirmer(manifest: Manifest, tz: Any, now: dt.datetime) -> Callable[[str], Table | None]:
    def run(dsl: str) -> Table | None:
        try:
            return gold_answer(dsl, manifest, tz=tz, now=now).table
        except DjaiError:
            return None

    return run


def _eval_user(apps: tuple[str, ...]) -> Any:
    """A staff user (created inside the evaluation's transaction) who may view the models
    of ``apps`` (every app when empty) and use the assistant."""
    user_model = get_user_model()
    user = user_model._default_manager.create_user(
        username=f"{EVAL_USERNAME}-{time.monotonic_ns()}", is_staff=True
    )
    perms = Permission.objects.filter(codename__startswith="view_")
    if apps:
        perms = perms.filter(content_type__app_label__in=apps)
    user.user_permissions.add(*perms)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="djai_dsl", codename="use_assistant")
    )
    return user_model._default_manager.get(pk=user.pk)  # no stale permission cache


@contextmanager
def _no_rate_limit() -> Iterator[None]:
    """The per-user rate limit protects the API, not a benchmark of hundreds of questions."""
    current = dict(getattr(settings, "DJAI", {}) or {})
    with override_settings(DJAI={**current, "RATE_LIMIT_PER_MINUTE": None}):
        get_config.cache_clear()
        yield
    get_config.cache_clear()
