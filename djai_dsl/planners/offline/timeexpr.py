"""Time expressions in questions: windows, calendar periods, open ranges and buckets.

Each expression is found on the token list and becomes a :class:`TimeHit` that says which
tokens it used and what it means, without a field: which date field it applies to is the
planner's decision (a field named just before it, or the model's default time field).

English conventions, stated once here:

- "last 7 days", "past 3 months" -> the DSL's ``last N units`` (today / this month counts);
- "last month", "previous week", "last year" -> ``previous`` (the whole unit before this
  one); "this month", "today", "year to date" -> ``this``; "yesterday" -> previous day;
- "in the past week/month/year" (no number) -> the last 7 / 30 / 365 days;
- "in 2024", "Q1 2025", "March 2026", "2025-03-05" -> calendar periods; a month or
  quarter without a year is the latest one that has started;
- "since X" -> on or after the start of X; "before X" -> before its start; "after X" ->
  after its end; "between D1 and D2" / "from D1 to D2" -> both days included;
- "per month", "monthly", "by week", "daily" -> a bucket for grouping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from djai_dsl.periods import floor_date, shift_date
from djai_dsl.plan import CalendarPeriod, RelativeWindow, TimeUnit
from djai_dsl.planners.offline.text import Token

UNITS: dict[str, TimeUnit] = {
    "hour": "hour", "day": "day", "week": "week", "month": "month",
    "quarter": "quarter", "year": "year",
}  # fmt: skip
BUCKET_WORDS: dict[str, TimeUnit] = {
    "hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month",
    "quarterly": "quarter", "yearly": "year", "annually": "year", "annual": "year",
}  # fmt: skip
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
                    "fourth": 4, "4th": 4}  # fmt: skip
PAST_WITHOUT_COUNT = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
LEADING = frozenset({"in", "during", "over", "for", "within", "of", "the", "from", "on"})
OPEN_RANGE = {"since": ">=", "from": ">=", "after": ">", "before": "<", "until": "<=",
              "till": "<=", "prior": "<"}  # fmt: skip
#: Words after which a number is an amount, not a year: "over 2000", "more than 2024".
AMOUNT_WORDS = frozenset(
    [
        "over",
        "under",
        "above",
        "below",
        "than",
        "more",
        "less",
        "least",
        "most",
        "exceeding",
        "top",
        "first",
        "last",
    ]
)

TIME_PREPOSITIONS = frozenset({"in", "since", "before", "after", "during", "from", "until", "of"})

HitKind = Literal["window", "compare", "between", "bucket"]


@dataclass
class TimeHit:
    kind: HitKind
    start: int  # first token used
    end: int  # one past the last token used
    window: RelativeWindow | CalendarPeriod | None = None
    op: str = ""  # for compare: >=, >, <, <=
    low: str = ""  # ISO dates for compare (low) and between (low, high)
    high: str = ""
    unit: TimeUnit | None = None  # for buckets


@dataclass
class _Period:
    """A calendar period with its first day and the day after its last."""

    window: RelativeWindow | CalendarPeriod
    first: dt.date
    after: dt.date


def find_time(tokens: list[Token], today: dt.date) -> list[TimeHit]:
    """Every time expression in ``tokens``, left to right, not overlapping."""
    hits: list[TimeHit] = []
    i = 0
    while i < len(tokens):
        hit = _match_at(tokens, i, today)
        if hit is None:
            i += 1
            continue
        hits.append(hit)
        i = hit.end
    return hits


def _low(tokens: list[Token], i: int) -> str:
    return tokens[i].lower if 0 <= i < len(tokens) else ""


def _match_at(tokens: list[Token], i: int, today: dt.date) -> TimeHit | None:
    word = _low(tokens, i)
    if word == "between" or (word == "from" and _is_date(tokens, i + 1)):
        hit = _between(tokens, i, today)
        if hit is not None:
            return hit
    if word in OPEN_RANGE:
        period = _period_at(tokens, i + 1, today)
        if period is not None:
            p, end = period
            return _open_range(word, p, i, end)
    bucket = _bucket_at(tokens, i)
    if bucket is not None:
        return bucket
    period = _period_at(tokens, i, today)
    if period is not None:
        p, end = period
        start = i
        while start > 0 and _low(tokens, start - 1) in LEADING:
            start -= 1
        return TimeHit("window", start, end, window=p.window)
    return None


def _open_range(word: str, p: _Period, start: int, end: int) -> TimeHit:
    op = OPEN_RANGE[word]
    if op == ">=":
        return TimeHit("compare", start, end, op=">=", low=p.first.isoformat())
    if op == ">":  # after X: from the day after X ends
        return TimeHit("compare", start, end, op=">=", low=p.after.isoformat())
    if op == "<=":  # until X: up to the end of X
        return TimeHit("compare", start, end, op="<", low=p.after.isoformat())
    return TimeHit("compare", start, end, op="<", low=p.first.isoformat())


def _between(tokens: list[Token], i: int, today: dt.date) -> TimeHit | None:
    first = _period_at(tokens, i + 1, today)
    if first is None:
        return None
    p1, j = first
    if _low(tokens, j) not in ("and", "to", "until", "till", "through"):
        return None
    second = _period_at(tokens, j + 1, today)
    if second is None:
        return None
    p2, end = second
    last_day = p2.after - dt.timedelta(days=1)
    return TimeHit("between", i, end, low=p1.first.isoformat(), high=last_day.isoformat())


def _bucket_at(tokens: list[Token], i: int) -> TimeHit | None:
    word = _low(tokens, i)
    if word in BUCKET_WORDS:
        return TimeHit("bucket", i, i + 1, unit=BUCKET_WORDS[word])
    if word in ("per", "by", "each", "every", "a"):
        unit = UNITS.get(tokens[i + 1].stem) if i + 1 < len(tokens) else None
        # "by month" but not "by month 3"; "a month" only after a count ("orders a month")
        if unit is not None and not (word == "a" and i == 0):
            if word == "a" and not (i > 0 and tokens[i - 1].kind == "number"):
                return None
            return TimeHit("bucket", i, i + 2, unit=unit)
    if word == "over" and _low(tokens, i + 1) == "time":
        return TimeHit("bucket", i, i + 2, unit="month")
    return None


def _is_date(tokens: list[Token], i: int) -> bool:
    return 0 <= i < len(tokens) and tokens[i].kind == "date"


def _year_at(tokens: list[Token], i: int) -> int | None:
    if not 0 <= i < len(tokens):
        return None
    t = tokens[i]
    if t.kind != "number" or not t.text.isdigit() or len(t.text) != 4:
        return None
    year = int(t.text)
    return year if 1900 <= year <= 2100 else None


def _period_at(tokens: list[Token], i: int, today: dt.date) -> tuple[_Period, int] | None:
    """A period starting at token ``i`` (skipping a leading "the"), and the index after it."""
    if _low(tokens, i) == "the":
        found = _period_at(tokens, i + 1, today)
        return found
    word = _low(tokens, i)
    if not word:
        return None
    t = tokens[i]
    if t.kind == "date":
        day = dt.date.fromisoformat(str(t.value)[:10])
        period = CalendarPeriod(period=day.isoformat())
        return _Period(period, day, day + dt.timedelta(days=1)), i + 1
    if word in ("today", "yesterday", "tomorrow"):
        anchor = {"today": "this", "yesterday": "previous", "tomorrow": "next"}[word]
        return _relative(anchor, 1, "day", today), i + 1
    if word in ("ytd", "mtd"):
        return _relative("this", 1, "year" if word == "ytd" else "month", today), i + 1
    if word in ("year", "month") and _low(tokens, i + 1) == "to" and _low(tokens, i + 2) == "date":
        return _relative("this", 1, word, today), i + 3  # type: ignore[arg-type]
    relative = _relative_at(tokens, i, today)
    if relative is not None:
        return relative
    quarter = _quarter_at(tokens, i, today)
    if quarter is not None:
        return quarter
    month = _month_at(tokens, i, today)
    if month is not None:
        return month
    year = _year_at(tokens, i)
    if year is not None and _low(tokens, i - 1) not in AMOUNT_WORDS:
        first = dt.date(year, 1, 1)
        return _Period(CalendarPeriod(period=str(year)), first, dt.date(year + 1, 1, 1)), i + 1
    return None


def _relative_at(tokens: list[Token], i: int, today: dt.date) -> tuple[_Period, int] | None:
    word = _low(tokens, i)
    if word not in ("last", "past", "previous", "prior", "next", "coming", "this", "current"):
        return None
    j = i + 1
    count = None
    value = tokens[j].value if j < len(tokens) and tokens[j].kind == "number" else None
    if isinstance(value, float) and value.is_integer() and 1 <= value <= 10000:
        count = int(value)
        j += 1
    unit = UNITS.get(tokens[j].stem) if j < len(tokens) else None
    if unit is None:
        return None
    if word in ("this", "current"):
        if count is not None:
            return None
        return _relative("this", 1, unit, today), j + 1
    if word in ("next", "coming"):
        return _relative("next", count or 1, unit, today), j + 1
    if count is not None:
        return _relative("last", count, unit, today), j + 1
    if word == "past":
        days = PAST_WITHOUT_COUNT.get(unit)
        if days is not None:
            return _relative("last", days, "day", today), j + 1
    return _relative("previous", 1, unit, today), j + 1


def _relative(anchor: str, count: int, unit: TimeUnit, today: dt.date) -> _Period:
    window = RelativeWindow(anchor=anchor, count=count, unit=unit)  # type: ignore[arg-type]
    start = floor_date(today, unit)
    if anchor == "this":
        first, after = start, shift_date(start, unit, 1)
    elif anchor == "previous":
        first, after = shift_date(start, unit, -count), start
    elif anchor == "next":
        first, after = shift_date(start, unit, 1), shift_date(start, unit, 1 + count)
    else:  # last N: the current unit and the N-1 before it
        first, after = shift_date(start, unit, 1 - count), shift_date(start, unit, 1)
    return _Period(window, first, after)


def _quarter_at(tokens: list[Token], i: int, today: dt.date) -> tuple[_Period, int] | None:
    word = _low(tokens, i)
    quarter, j = None, i + 1
    if len(word) == 2 and word[0] == "q" and word[1] in "1234":
        quarter = int(word[1])
    elif word in ORDINAL_QUARTERS and tokens[i + 1 : i + 2] and tokens[i + 1].stem == "quarter":
        quarter, j = ORDINAL_QUARTERS[word], i + 2
    elif (year := _year_at(tokens, i)) is not None:
        nxt = _low(tokens, i + 1)
        if len(nxt) == 2 and nxt[0] == "q" and nxt[1] in "1234":
            return _quarter(year, int(nxt[1])), i + 2
        return None
    if quarter is None:
        return None
    if _low(tokens, j) in ("of", "in"):
        j += 1
    year = _year_at(tokens, j)
    if year is not None:
        return _quarter(year, quarter), j + 1
    current = (today.month - 1) // 3 + 1
    return _quarter(today.year if quarter <= current else today.year - 1, quarter), j


def _quarter(year: int, q: int) -> _Period:
    first = dt.date(year, 3 * (q - 1) + 1, 1)
    return _Period(CalendarPeriod(period=f"{year}-Q{q}"), first, shift_date(first, "quarter", 1))


def _month_at(tokens: list[Token], i: int, today: dt.date) -> tuple[_Period, int] | None:
    word = _low(tokens, i)
    month = MONTHS.get(word)
    if month is None:
        return None
    j = i + 1
    if _low(tokens, j) == "of":
        j += 1
    year = _year_at(tokens, j)
    # "may" and "mar" are also ordinary words: only with a year, or after a time preposition
    ambiguous_word = word in ("may", "mar", "jan", "dec", "sep", "oct")
    after_preposition = _low(tokens, i - 1) in TIME_PREPOSITIONS
    if ambiguous_word and year is None and not after_preposition:
        return None
    if year is None:
        year = today.year if month <= today.month else today.year - 1
        end = i + 1
    else:
        end = j + 1
    first = dt.date(year, month, 1)
    period = CalendarPeriod(period=f"{year}-{month:02d}")
    return _Period(period, first, shift_date(first, "month", 1)), end
