"""Calendar arithmetic on dates, shared by the compiler (time windows, in compiler/windows.py)
and the offline planner (reading "last month" in a question). Pure functions: no clock,
no zone. Weeks start on Monday (ISO 8601)."""

from __future__ import annotations

import datetime as dt

from djai_dsl.plan import TimeUnit


def floor_date(day: dt.date, unit: TimeUnit) -> dt.date:
    """The first day of the ``unit`` that contains ``day`` (``hour`` and ``day``: the day)."""
    if unit in ("hour", "day"):
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def shift_date(day: dt.date, unit: TimeUnit, n: int) -> dt.date:
    """``day`` moved by ``n`` units; month, quarter and year shifts land on the 1st
    (``hour`` counts as a day: dates have no hours)."""
    if unit in ("hour", "day"):
        return day + dt.timedelta(days=n)
    if unit == "week":
        return day + dt.timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * n
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
