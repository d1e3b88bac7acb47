"""``manage.py djai ask "<question>" [--chat ID] [--user NAME] [--json]``.

Runs the same chat service as ``POST …/chats/{id}/message``: routing, context, planner,
validation, read-only execution, and recording (the chat, its messages, a QueryLog row).
Without ``--chat`` a new chat is started; its id is printed so that follow-ups continue it
(``--chat 12 "and by month?"``), and a clarifying question is answered the same way with the
option's number. The terminal user is trusted with the staff check, but not with the data:
answers use the manifest of ``--user`` (by default the chat's owner, or the only superuser).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from djai_dsl.chat.service import ChatService, ClientContext, Reply
from djai_dsl.errors import DjaiError
from djai_dsl.management.subcommands.base import Subcommand, add_user_argument, get_user
from djai_dsl.management.subcommands.query import format_table
from djai_dsl.models import Chat


class AskSubcommand(Subcommand):
    help = "Ask a question in words, as in the chat (same service as the API)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", help="the question, or a clarification option's number")
        parser.add_argument("--chat", type=int, default=None, help="continue this chat")
        add_user_argument(parser)
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
        parser.add_argument(
            "--tz", default=None, help="time zone of the question (default: TIME_ZONE)"
        )

    def handle(
        self,
        *,
        question: str,
        chat: int | None = None,
        user: str | None = None,
        as_json: bool = False,
        tz: str | None = None,
        **options: Any,
    ) -> None:
        who = get_user(user) if user is not None else _default_user(chat)
        service = ChatService(who)
        try:
            chat_id = chat if chat is not None else service.create_chat().pk
            service.chat(chat_id)
        except DjaiError as exc:
            raise CommandError(f"[{exc.code}] {exc}") from exc
        reply = service.send_message(chat_id, question, ClientContext(timezone=tz))
        if as_json:
            self.stdout.write(json.dumps(reply.envelope, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(render(reply))
            self.stdout.write(f"\n(chat {chat_id}: continue with --chat {chat_id})")
        if reply.type == "error":
            data = reply.envelope["data"]
            raise CommandError(f"[{data['error_code']}] {reply.envelope['message']}")


def _default_user(chat_id: int | None) -> Any:
    if chat_id is not None:
        chat = Chat.objects.visible().select_related("owner").filter(pk=chat_id).first()
        if chat is None:
            raise CommandError(f"There is no chat {chat_id}.")
        return chat.owner
    superusers = list(
        get_user_model()._default_manager.filter(is_superuser=True, is_active=True)[:2]
    )
    if len(superusers) != 1:
        raise CommandError("Name the user to ask as: --user USERNAME.")
    return superusers[0]


def render(reply: Reply) -> str:
    """An envelope as terminal text."""
    envelope = reply.envelope
    data = envelope["data"]
    kind = envelope["type"]
    if kind == "answer":
        lines = [data["explanation"], ""]
        result = data["result"] or {"columns": [], "rows": []}
        lines.append(format_table([c["name"] for c in result["columns"]], result["rows"]))
        lines += ["", envelope["message"]]
        if data["next_cursor"]:
            lines.append(f"More rows: GET …/messages/{data['message_id']}/page?cursor=…")
        lines += ["", data["plan"]]
        if data.get("code"):
            lines += ["", data["code"]]
        return "\n".join(lines)
    if kind == "clarification":
        lines = [data["question"]]
        for number, option in enumerate(data["options"], start=1):
            lines.append(f"  {number}. {option['label']}  [{option['id']}]")
        lines.append("Answer with the option's number, or say what you mean.")
        return "\n".join(lines)
    if kind == "out_of_scope":
        lines = [data["reason"], data["how_to_rephrase"]]
        lines += [f"  - {example}" for example in data["examples"]]
        return "\n".join(lines)
    return f"error [{data['error_code']}]: {envelope['message']}"
