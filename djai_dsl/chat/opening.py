"""Opening a turn: the checks a request passes before anything in it is read for meaning.

The owner's chat (someone else's, or a deleted one, does not exist), the per-user rate limit,
the size of the text, the client's time zone and locale; then, for a question or a query
text that will run, the user's message is recorded (so that a failure later still leaves it
in the history, answered by an error) and the chat's clarification machine is started.

This step does not route, plan or answer: it never looks at what the text asks for, and the
only row it writes is the user's own message.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from djai_dsl.chat.clarification import ClarificationMachine
from djai_dsl.chat.turn import ClientContext, Turn
from djai_dsl.errors import BadRequest, ChatNotFound, ErrorDetail, InputTooLarge, RateLimited
from djai_dsl.models import Chat, Message, QueryLog

RATE_WINDOW = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class OpenedTurn:
    """What a question and a query text share once the turn is open."""

    text: str
    tz: ZoneInfo
    locale: str
    now: dt.datetime
    machine: ClarificationMachine


def open_turn(
    turn: Turn,
    chat: Chat,
    value: str,
    name: str,
    kind: str,
    client_context: ClientContext | None,
    *,
    clock: Callable[[], dt.datetime],
) -> OpenedTurn:
    """What a question and a query text share before they differ: the owner's chat, the
    rate limit, the size check, the client's zone and locale, the recorded user message
    (an error reply until something better is recorded) and the clarification machine."""
    turn.attach(chat)
    check_rate_limit(turn.user, turn.config)
    limit = turn.config["MAX_MESSAGE_LENGTH" if name == "content" else "MAX_DSL_LENGTH"]
    text = checked_text(value, name, limit)
    tz, locale = client_zone(client_context)
    now = clock()
    turn.user_message_id = Message.objects.create(
        chat=chat, role=Message.Role.USER, kind=kind, content=text, trace_id=turn.trace_id
    ).pk
    turn.message_kind = Message.Kind.ERROR
    machine = clarification_machine(chat, now, turn.config)
    turn.machine = machine
    return OpenedTurn(text, tz, locale, now, machine)


def clarification_machine(
    chat: Chat, now: dt.datetime, config: dict[str, Any]
) -> ClarificationMachine:
    return ClarificationMachine(chat, now=now, ttl_seconds=int(config["CLARIFICATION_TTL_SECONDS"]))


def owned_chat(user: Any, chat_id: int) -> Chat:
    """The user's chat ``chat_id``; someone else's or a deleted one does not exist."""
    chat = find_owned_chat(user, chat_id)
    if chat is None:
        raise ChatNotFound()
    return chat


def find_owned_chat(user: Any, chat_id: int) -> Chat | None:
    chat = None
    if valid_id(chat_id):
        chat = Chat.objects.owned_by(user).filter(pk=chat_id).first()
    return chat


def valid_id(value: int) -> bool:
    """Whether ``value`` fits a BigAutoField (Django < 5 passes larger ones to the driver,
    which fails instead of finding nothing)."""
    return 0 < value < 2**63


def check_rate_limit(user: Any, config: dict[str, Any]) -> None:
    limit = config["RATE_LIMIT_PER_MINUTE"]
    if not limit:
        return
    now = timezone.now()
    recent = QueryLog.objects.filter(user=user, created_at__gte=now - RATE_WINDOW).exclude(
        error_code=RateLimited.code
    )
    if recent.count() >= limit:
        # The window frees a place when the oldest counted request leaves it.
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
        wait = RATE_WINDOW - (now - oldest) if oldest is not None else RATE_WINDOW
        error = RateLimited(hint=f"at most {limit} questions per minute")
        error.retry_after = max(1, math.ceil(wait.total_seconds()))
        raise error


def checked_text(value: str, name: str, max_length: int) -> str:
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


def client_zone(client_context: ClientContext | None) -> tuple[ZoneInfo, str]:
    """The client's time zone (the server's default when it sends none) and locale."""
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
