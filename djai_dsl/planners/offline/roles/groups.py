"""Grouping and sorting words: "by country", "per customer", "each album", "sorted by".

The name after a grouping word is a group key, except a metric in a top-N question
("top customers by revenue": revenue ranks them) and a model followed by its value ("by
customers from the US": who, not a grouping). "by" after a participle is an agent
("placed by"), not a grouping. The name after a sorting phrase is the sort key.
"""

from __future__ import annotations

from djai_dsl.planners.offline.cues import (
    GROUP_PHRASES,
    GROUP_WORDS,
    SORT_PHRASES,
    agent_by,
    match_phrase,
)
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.records import Metric


def assign_groups(c: Composer) -> None:
    """Group keys and the sort key, from the words that introduce them."""
    words = c.words
    i = 0
    while i < len(words):
        if i in c.time_tokens:
            i += 1
            continue
        phrase = next((ph for ph in SORT_PHRASES if match_phrase(words, i, ph)), None)
        if phrase is not None:
            m = c.mention_at(i + len(phrase), reach=1)
            if m is not None and not m.role:
                m.role = "sort"
                c.roles.sort_metric = m
            i += len(phrase)
            continue
        phrase = next((ph for ph in GROUP_PHRASES if match_phrase(words, i, ph)), None)
        length = len(phrase) if phrase else 0
        if phrase is None and words[i] in GROUP_WORDS:
            if words[i] == "by" and agent_by(c.tokens, i):
                i += 1
                continue
            length = 1
        if not length:
            i += 1
            continue
        if phrase == ("breakdown",):  # "status breakdown": the name comes before
            m = c.mention_at(i + length, reach=0) or c.mention_before(i, reach=1)
        else:
            m = c.mention_at(i + length, reach=1 + _capitalised_run(c, i + length))
        i += length
        if m is None or m.role:
            continue
        if c.is_metric_mention(m) and (c.roles.top is not None or c.roles.entity):
            m.role = "metric"
            c.roles.metrics.append(Metric("sum", m, start=i))
            continue
        if m.has("model") and _followed_by_value(c, m):
            continue  # "by customers from the US": who, not a grouping
        m.role = "group"
        c.roles.groups.append(m)


def _capitalised_run(c: Composer, j: int) -> int:
    """Capitalised words at ``j`` ("each Led Zeppelin album"): a name to skip over."""
    n = 0
    while j + n < len(c.tokens) and c.tokens[j + n].text[:1].isupper():
        n += 1
    return n


def _followed_by_value(c: Composer, m: Mention) -> bool:
    """The model is followed by one of its values ("customers from the US")."""
    nxt = c.mention_at(m.end, reach=2, skip_fillers=True)
    return (
        nxt is not None
        and nxt.has("value")
        and m.end < len(c.words)
        and c.words[m.end] in ("from", "in", "with", "at")
    )
