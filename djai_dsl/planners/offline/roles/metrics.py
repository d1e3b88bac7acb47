"""Metrics: what to compute, from aggregate cue words or a measure named on its own.

"average price", "total revenue", "sum of all payments", "the highest price" (a max),
"how much" (the source's main amount); "total orders" counts orders, and "the largest
order" is a top-1. A measure or a numeric field named without a cue is the metric when
the question aggregates anyway ("revenue by month", "monthly sales").
"""

from __future__ import annotations

from djai_dsl.manifest.types import NUMERIC_TYPES
from djai_dsl.planners.offline.cues import AGG_WORDS, SUPERLATIVE_DIMENSION, match_phrase
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.roles.composer import FILLERS, Composer
from djai_dsl.planners.offline.roles.records import Metric, Top


def assign_metrics(c: Composer) -> None:
    """A metric for each aggregate cue, with the name it applies to."""
    words = c.words
    for cue in c.mentions:  # "total quantity": "total" is the cue, not the order total
        if cue.role or cue.end - cue.start != 1 or words[cue.start] not in ("total", "sum"):
            continue
        nxt = c.mention_at(cue.end, reach=0)
        if nxt is not None and not nxt.role and c.has_numeric(nxt):
            cue.role = "cue"
            nxt.role = "metric"
            c.roles.metrics.append(Metric("sum", nxt, start=cue.start))
    covered = {i for m in c.mentions for i in range(m.start, m.end)}
    covered |= c.comparison_tokens()
    i = 0
    while i < len(words):
        if i in covered or i in c.time_tokens:
            i += 1
            continue
        found = None
        for phrase, func in AGG_WORDS.items():
            if match_phrase(words, i, phrase):
                found = (phrase, func)
                break
        if found is None:
            i += 1
            continue
        phrase, func = found
        end = i + len(phrase)
        if c.roles.top is not None and c.roles.top.start <= i < c.roles.top.end:
            i = end
            continue
        if (
            phrase in (("in",), ("total",))
            and i > 0
            and words[i - 1] in ("in", "the")
            and (i + 1 >= len(words) or words[i + 1] in ("?", "of"))
        ):
            i = end
            continue
        m: Mention | None = c.mention_at(end, reach=2)
        if (
            m is not None
            and not m.role
            and m.has("value", "segment")
            and not c.has_numeric(m)
            and not c.only_models(m)
        ):
            m = None  # "total value of all delivered orders": a filter, not the metric
        if m is None or m.role:
            opening = all(w in FILLERS | {"what", "is", "was", "were"} for w in words[:i])
            if phrase == ("how", "much") or (phrase == ("total",) and opening):
                c.roles.metrics.append(Metric("sum", None, start=i))
            i = end
            continue
        if m.has("measure", "field") and c.numeric_primary(m):
            m.role = "metric"
            c.roles.metrics.append(Metric(func, m, start=i))
        elif m.has("model") and phrase == ("total",) and not c.numeric_primary(m):
            m.role = "counted"  # "total orders" counts orders
            c.roles.counted.append((m, False))
        elif m.has("model") and func in ("sum", "avg"):
            m.role = "metric"  # "sum of all payments", "how much was refunded", "average refund"
            c.roles.metrics.append(Metric(func, m, start=i))
        elif m.has("model") and func in ("max", "min") and c.roles.top is None:
            dim = SUPERLATIVE_DIMENSION.get(words[i], "amount")
            c.roles.top = Top(1, func == "max", dim, i, end)
        i = end


def bare_metric(c: Composer, m: Mention, aggregating: bool) -> bool:
    """A measure named on its own ("revenue this month"), or a numeric field's own
    name or synonym in a grouped question ("monthly sales"), is what to compute."""
    if m.negated:
        return False
    opening = all(w in FILLERS | {"what", "is", "was", "were"} for w in c.words[: m.start])
    if (
        opening
        and "of" in c.words[m.end : m.end + 2]
        and any(s.strength >= 1.0 and c.field_type(s) in NUMERIC_TYPES for s in m.of_kind("field"))
    ):
        return True  # "Total value of all delivered orders", "price of the cheapest ..."
    if c.roles.counted and not aggregating:
        return False
    if any(s.strength >= 1.0 for s in m.of_kind("measure")):
        return not m.has("value", "segment") or aggregating
    strong_numeric = [
        s for s in m.of_kind("field") if s.strength >= 1.0 and c.field_type(s) in NUMERIC_TYPES
    ]
    return bool(strong_numeric) and aggregating and not c.roles.counted
