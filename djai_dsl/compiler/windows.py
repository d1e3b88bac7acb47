"""Resolve time windows to concrete half-open ranges ``[start, end)`` in the client's zone.

The rule for relative windows, stated once (and shown, with the resolved dates, in every
explanation):

- ``last N units``: the current unit *so far* plus the N-1 whole units before it. Today
  counts: ``last 7 days`` on 2026-11-25 is 2026-11-19 .. 2026-11-25.
- ``this unit``: the whole current unit (``this month`` is the 1st to the last day).
- ``previous N units``: the N whole units before the current one; today does not count
  (``previous month`` in November is October).
- ``next N units``: the N whole units after the current one.

Weeks start on Monday (ISO 8601). ``now`` and the zone are always passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from djai_dsl.periods import floor_date, shift_date
from djai_dsl.plan import CalendarPeriod, RelativeWindow, TimeUnit, Window

_UTC = dt.timezone.utc


@dataclass(frozen=True)
class ResolvedWindow:
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date  # exclusive
    unit: TimeUnit

    def describe(self) -> str:
        """`2026-11-19 to 2026-11-25` (inclusive end) or times for hour windows."""
        if isinstance(self.start, dt.datetime):
            assert isinstance(self.end, dt.datetime)
            if self.unit == "hour":
                last = self.end - dt.timedelta(seconds=1)
                return f"{self.start:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M:%S}"
            start_d, last_d = self.start.date(), (self.end - dt.timedelta(days=1)).date()
        else:
            start_d, last_d = self.start, self.end - dt.timedelta(days=1)  # type: ignore[operator]
        if start_d == last_d:
            return f"{start_d.isoformat()}"
        return f"{start_d.isoformat()} to {last_d.isoformat()}"


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def resolve_relative(
    window: RelativeWindow, *, now: dt.datetime, tz: ZoneInfo, as_dates: bool
) -> ResolvedWindow:
    local_now = now.astimezone(tz)
    unit, n = window.unit, window.count
    if unit == "hour":
        # Hours are shifted in absolute time so DST changes do not skip or repeat an hour.
        floor = local_now.replace(minute=0, second=0, microsecond=0).astimezone(_UTC)
        hour = dt.timedelta(hours=1)
        start, end = {
            "last": (floor - (n - 1) * hour, floor + hour),
            "this": (floor, floor + hour),
            "previous": (floor - n * hour, floor),
            "next": (floor + hour, floor + (n + 1) * hour),
        }[window.anchor]
        return ResolvedWindow(start.astimezone(tz), end.astimezone(tz), unit)
    floor_d = floor_date(local_now.date(), unit)
    start_d, end_d = {
        "last": (shift_date(floor_d, unit, -(n - 1)), shift_date(floor_d, unit, 1)),
        "this": (floor_d, shift_date(floor_d, unit, 1)),
        "previous": (shift_date(floor_d, unit, -n), floor_d),
        "next": (shift_date(floor_d, unit, 1), shift_date(floor_d, unit, n + 1)),
    }[window.anchor]
    if as_dates:
        return ResolvedWindow(start_d, end_d, unit)
    return ResolvedWindow(_local_midnight(start_d, tz), _local_midnight(end_d, tz), unit)


def resolve_calendar(window: CalendarPeriod, *, tz: ZoneInfo, as_dates: bool) -> ResolvedWindow:
    parts = window.period.split("-")
    year = int(parts[0])
    unit: TimeUnit
    if len(parts) == 1:
        start_d, unit = dt.date(year, 1, 1), "year"
        end_d = shift_date(start_d, "year", 1)
    elif parts[1].startswith("Q"):
        quarter = int(parts[1][1])
        start_d, unit = dt.date(year, 3 * (quarter - 1) + 1, 1), "quarter"
        end_d = shift_date(start_d, "quarter", 1)
    elif len(parts) == 2:
        start_d, unit = dt.date(year, int(parts[1]), 1), "month"
        end_d = shift_date(start_d, "month", 1)
    else:
        start_d, unit = dt.date(year, int(parts[1]), int(parts[2])), "day"
        end_d = start_d + dt.timedelta(days=1)
    if as_dates:
        return ResolvedWindow(start_d, end_d, unit)
    return ResolvedWindow(_local_midnight(start_d, tz), _local_midnight(end_d, tz), unit)


def resolve_window(
    window: Window, *, now: dt.datetime, tz: ZoneInfo, as_dates: bool
) -> ResolvedWindow:
    if isinstance(window, RelativeWindow):
        return resolve_relative(window, now=now, tz=tz, as_dates=as_dates)
    return resolve_calendar(window, tz=tz, as_dates=as_dates)
