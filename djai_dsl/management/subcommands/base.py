"""What every ``manage.py djai <subcommand>`` shares: the Subcommand base class and the
``--user`` option (commands act as a given user so that they see what that user would)."""

from __future__ import annotations

import abc
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


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


def add_clock_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--tz", default=None, help="time zone for windows and buckets (default: TIME_ZONE)"
    )
    parser.add_argument(
        "--now", default=None, help="pretend it is this ISO date-time (for reproducible output)"
    )


def clock_from_options(options: dict[str, Any]) -> tuple[ZoneInfo, dt.datetime]:
    """``--tz`` and ``--now`` as a time zone and an aware datetime."""
    name = options.get("tz") or timezone.get_default_timezone_name()
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"Unknown time zone {name!r}.") from None
    now = timezone.now()
    if options.get("now"):
        try:
            now = dt.datetime.fromisoformat(options["now"])
        except ValueError:
            raise CommandError(f"--now must be an ISO date-time, not {options['now']!r}.") from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=tz)
    return tz, now
