"""The time-window rule (compiler/windows.py): exact dates for a fixed clock, DST, ISO weeks,
and properties that hold for any clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djai_dsl.compiler.windows import resolve_window
from djai_dsl.plan import CalendarPeriod, RelativeWindow

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 2026-06-17, 09:15 in Berlin.
NOW = dt.datetime(2026, 6, 17, 7, 15, tzinfo=dt.timezone.utc)


def rel(anchor: str, unit: str, count: int = 1) -> RelativeWindow:
    return RelativeWindow(anchor=anchor, unit=unit, count=count)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("window", "start", "end"),
    [
        (rel("last", "day", 7), dt.date(2026, 6, 11), dt.date(2026, 6, 18)),
        (rel("last", "day"), dt.date(2026, 6, 17), dt.date(2026, 6, 18)),
        (rel("this", "month"), dt.date(2026, 6, 1), dt.date(2026, 7, 1)),
        (rel("previous", "month"), dt.date(2026, 5, 1), dt.date(2026, 6, 1)),
        (rel("previous", "month", 3), dt.date(2026, 3, 1), dt.date(2026, 6, 1)),
        (rel("this", "week"), dt.date(2026, 6, 15), dt.date(2026, 6, 22)),  # Monday..Sunday
        (rel("previous", "week", 2), dt.date(2026, 6, 1), dt.date(2026, 6, 15)),
        (rel("next", "week"), dt.date(2026, 6, 22), dt.date(2026, 6, 29)),
        (rel("this", "quarter"), dt.date(2026, 4, 1), dt.date(2026, 7, 1)),
        (rel("previous", "quarter"), dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        (rel("last", "quarter", 2), dt.date(2026, 1, 1), dt.date(2026, 7, 1)),
        (rel("previous", "year"), dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
        (rel("next", "month", 3), dt.date(2026, 7, 1), dt.date(2026, 10, 1)),
        (rel("last", "month", 12), dt.date(2025, 7, 1), dt.date(2026, 7, 1)),
        (CalendarPeriod(period="2024"), dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
        (CalendarPeriod(period="2024-Q4"), dt.date(2024, 10, 1), dt.date(2025, 1, 1)),
        (CalendarPeriod(period="2024-02"), dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
        (CalendarPeriod(period="2024-12"), dt.date(2024, 12, 1), dt.date(2025, 1, 1)),
        (CalendarPeriod(period="2024-02-29"), dt.date(2024, 2, 29), dt.date(2024, 3, 1)),
    ],
)
def test_date_windows(window, start, end) -> None:  # type: ignore[no-untyped-def]
    resolved = resolve_window(window, now=NOW, tz=BERLIN, as_dates=True)
    assert (resolved.start, resolved.end) == (start, end)
    # The same window on a date-time field starts and ends at local midnight.
    moments = resolve_window(window, now=NOW, tz=BERLIN, as_dates=False)
    assert moments.start == dt.datetime(start.year, start.month, start.day, tzinfo=BERLIN)
    assert moments.end == dt.datetime(end.year, end.month, end.day, tzinfo=BERLIN)


def test_the_day_depends_on_the_client_time_zone() -> None:
    late_evening_utc = dt.datetime(2026, 6, 17, 23, 30, tzinfo=dt.timezone.utc)
    today = rel("last", "day")
    berlin = resolve_window(today, now=late_evening_utc, tz=BERLIN, as_dates=True)
    utc = resolve_window(today, now=late_evening_utc, tz=ZoneInfo("UTC"), as_dates=True)
    assert berlin.start == dt.date(2026, 6, 18)  # already tomorrow in Berlin
    assert utc.start == dt.date(2026, 6, 17)


def test_windows_across_daylight_saving_change() -> None:
    # Berlin switched to summer time on 2026-03-29: that day has 23 hours.
    now = dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.timezone.utc)
    days = resolve_window(rel("last", "day", 3), now=now, tz=BERLIN, as_dates=False)
    assert days.start.utcoffset() == dt.timedelta(hours=1)
    assert days.end.utcoffset() == dt.timedelta(hours=2)
    utc = dt.timezone.utc
    # Aware subtraction in one zone is wall-clock time; the real span is 71 hours.
    assert days.end.astimezone(utc) - days.start.astimezone(utc) == dt.timedelta(hours=71)
    hours = resolve_window(rel("last", "hour", 24), now=now, tz=BERLIN, as_dates=False)
    span = hours.end.astimezone(utc) - hours.start.astimezone(utc)
    assert span == dt.timedelta(hours=24)  # absolute hours: none skipped or repeated


def test_describe_shows_inclusive_dates() -> None:
    resolved = resolve_window(rel("last", "day", 7), now=NOW, tz=BERLIN, as_dates=False)
    assert resolved.describe() == "2026-06-11 to 2026-06-17"
    single = resolve_window(rel("last", "day"), now=NOW, tz=BERLIN, as_dates=True)
    assert single.describe() == "2026-06-17"
    hour = resolve_window(rel("this", "hour"), now=NOW, tz=BERLIN, as_dates=False)
    assert hour.describe() == "2026-06-17 09:00 to 2026-06-17 09:59:59"


zones = st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
)
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2090, 1, 1),
    timezones=st.just(dt.timezone.utc),
)
units = st.sampled_from(["hour", "day", "week", "month", "quarter", "year"])


@settings(max_examples=300, deadline=None)
@given(now=moments, zone=zones, unit=units, count=st.integers(1, 30))
def test_window_properties(now: dt.datetime, zone: str, unit: str, count: int) -> None:
    tz = ZoneInfo(zone)
    last = resolve_window(rel("last", unit, count), now=now, tz=tz, as_dates=False)
    this = resolve_window(rel("this", unit), now=now, tz=tz, as_dates=False)
    previous = resolve_window(rel("previous", unit, count), now=now, tz=tz, as_dates=False)
    following = resolve_window(rel("next", unit, count), now=now, tz=tz, as_dates=False)
    # "last" and "this" contain now; "previous" ends where the current unit starts and
    # "next" starts where it ends; all are non-empty and "last N" ends with the current unit.
    assert last.start <= now < last.end
    assert this.start <= now < this.end
    assert previous.end == this.start and previous.start < previous.end
    assert following.start == this.end and following.start < following.end
    assert last.end == this.end
    assert last.start <= this.start
