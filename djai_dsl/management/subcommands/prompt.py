"""``manage.py djai prompt "<question>"``: show exactly what the LLM planner would send.

The request body is built by the real planner code path (our messages, then instructor's
tool definition or JSON-mode instructions) and captured in memory, so what is printed is
what would go over the wire, for the manifest of ``--user``. Nothing is sent and no API key
is needed. Use it to review prompts, to snapshot them, and to check that a user's prompt
holds only what they may see.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from djai_dsl.errors import DjaiError
from djai_dsl.grammar import parse
from djai_dsl.management.subcommands.base import (
    Subcommand,
    add_clock_arguments,
    add_user_argument,
    clock_from_options,
    get_user,
)
from djai_dsl.manifest.builder import build_manifest
from djai_dsl.planners.base import PlannerContext


class PromptSubcommand(Subcommand):
    help = "Print the exact messages and JSON schema the LLM planner would send for a question."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", help="the question, as a user would type it")
        add_user_argument(parser)
        add_clock_arguments(parser)
        parser.add_argument(
            "--previous-plan",
            metavar="DSL",
            default=None,
            help="the plan of the previous answer, as DSL text (for follow-up questions)",
        )
        parser.add_argument(
            "--mode",
            choices=["tools", "json"],
            default=None,
            help="override DJAI['LLM']['MODE'] for this preview",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="print the whole request body as JSON",
        )

    def handle(self, **options: Any) -> None:
        from dataclasses import replace

        from djai_dsl.planners.llm import LLMPlanner, LLMSettings

        try:
            settings = LLMSettings.from_config(require_model=False)
            if options.get("mode"):
                settings = replace(settings, mode=options["mode"])
            tz, now = clock_from_options(options)
            manifest = build_manifest(get_user(options.get("user")))
            previous = options.get("previous_plan")
            context = PlannerContext(
                tz=tz,
                now=now,
                previous_plan=parse(previous, manifest=manifest) if previous else None,
            )
            body = LLMPlanner(settings).preview_request(options["question"], context, manifest)
        except DjaiError as exc:
            raise CommandError(f"[{exc.code}] {exc}") from exc
        if options["as_json"]:
            self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
            return
        self.stdout.write(render_request(body, base_url=settings.base_url, mode=settings.mode))


def render_request(body: dict[str, Any], *, base_url: str, mode: str) -> str:
    """The request for reading: endpoint line, each message, then the output schema."""
    endpoint = (base_url or "https://api.openai.com/v1").rstrip("/") + "/chat/completions"
    model = body.get("model") or "(DJAI['LLM']['MODEL'] is not set)"
    out = [f"POST {endpoint}", f"model: {model}  mode: {mode}"]
    extras = {k: v for k, v in body.items() if k not in {"messages", "tools", "model"}}
    if extras:
        out.append("options: " + json.dumps(extras, ensure_ascii=False))
    for i, message in enumerate(body.get("messages", []), 1):
        out.append(f"\n=== message {i}: {message.get('role')} ===")
        out.append(str(message.get("content") or ""))
    for tool in body.get("tools", []):
        function = tool.get("function", {})
        out.append(f"\n=== schema: tool {function.get('name')!r} ===")
        out.append(json.dumps(function, indent=2, ensure_ascii=False))
    if not body.get("tools"):
        out.append("\n=== schema: in the system message above (JSON mode) ===")
    return "\n".join(out)
