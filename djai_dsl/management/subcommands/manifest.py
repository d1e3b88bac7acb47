"""``manage.py djai manifest``: show what djai may query, as the LLM sees it or as JSON.

Developers use it to check their registry (descriptions, hidden fields, segments) and to see
the schema a given user gets: ``manage.py djai manifest --user alice --app shop``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from djai_dsl.errors import DjaiError
from djai_dsl.management.subcommands.base import Subcommand, add_user_argument, get_user
from djai_dsl.manifest.builder import build_manifest
from djai_dsl.manifest.render import manifest_as_dict, render_text


class ManifestSubcommand(Subcommand):
    help = "Print the manifest (the models, fields and relations djai may query)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_argument(parser)
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="print JSON instead of the prompt text",
        )
        parser.add_argument(
            "--app",
            metavar="LABEL",
            action="append",
            dest="apps",
            help="only models of this app (repeat for several apps)",
        )

    def handle(
        self,
        *,
        user: str | None = None,
        as_json: bool = False,
        apps: list[str] | None = None,
        **options: Any,
    ) -> None:
        who = get_user(user)
        try:
            manifest = build_manifest(who, apps=apps)
        except DjaiError as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(_dumps(manifest_as_dict(manifest)))
            return
        if not manifest.models:
            self.stderr.write(_why_empty(who, user))
            return
        self.stdout.write(render_text(manifest))


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _why_empty(user: Any, username: str | None) -> str:
    if user is None:
        return "No models to show (all are excluded, or the app has none)."
    if not user.is_active:
        return f"User {username!r} is inactive and may not view anything."
    return f"User {username!r} has no view permission on any model djai exposes."
