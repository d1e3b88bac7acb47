"""What every ``manage.py djai <subcommand>`` shares: the Subcommand base class and the
``--user`` option (commands act as a given user so that they see what that user would)."""

from __future__ import annotations

import abc
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Subcommand(abc.ABC):
    """One subcommand. Output goes through the parent command's ``stdout``/``stderr`` so that
    ``call_command(..., stdout=buf)`` captures it."""

    #: one line for ``manage.py djai --help``
    help: str = ""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    @property
    def stdout(self) -> Any:
        return self.command.stdout

    @property
    def stderr(self) -> Any:
        return self.command.stderr

    @property
    def style(self) -> Any:
        return self.command.style

    def add_arguments(self, parser: CommandParser) -> None:  # noqa: B027 (optional hook)
        """Add this subcommand's options to its own sub-parser (none by default)."""

    @abc.abstractmethod
    def handle(self, **options: Any) -> None:
        """Run the subcommand with the parsed options."""


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="act as this user: only what they may view (default: everything, no scoping user)",
    )


def get_user(username: str | None) -> Any:
    """The user named by ``--user``, or None when the option was not given."""
    if username is None:
        return None
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    try:
        return user_model._default_manager.get(**{field: username})
    except user_model.DoesNotExist:
        raise CommandError(f"There is no user with {field} {username!r}.") from None
