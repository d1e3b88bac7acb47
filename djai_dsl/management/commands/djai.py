"""``manage.py djai <subcommand>``: djai's developer tools in one command.

Subcommands live in :mod:`djai_dsl.management.subcommands` (one module each, listed in its
``SUBCOMMANDS`` table); this command only builds the parser and dispatches.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from djai_dsl.management.subcommands import Subcommand, load_subcommands


class Command(BaseCommand):
    help = "djai tools. Run 'manage.py djai <subcommand> --help' for one subcommand's options."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommands: dict[str, Subcommand] = {
            name: cls(self) for name, cls in load_subcommands().items()
        }

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", title="subcommands", required=True
        )
        for name, subcommand in self.subcommands.items():
            subparser = sub.add_parser(name, help=subcommand.help, description=subcommand.help)
            subcommand.add_arguments(subparser)

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        self.subcommands[subcommand].handle(**options)
