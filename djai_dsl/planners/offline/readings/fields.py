"""The fields a reading uses when the question implies them: a date, a price, a length.

"orders last month" filters on a date field that is named ("created last month") or
implied: the source's default date field, its only one, or the first of several (then
the reading asks which). "longer than 5 minutes" and "the most expensive" are about a
dimension (length, price, amount) that the lexicon's words for it find on the source.
"""

from __future__ import annotations

from djai_dsl.manifest.types import NUMERIC_TYPES, TEMPORAL_TYPES
from djai_dsl.planners.offline.cues import DIMENSION_WORDS
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.text import stems


def time_field(b: ReadingBuilder, m: Mention | None) -> str | None:
    """The date field ``m`` names (a temporal field reached without to-many hops), else the
    source's default one; None when the source has no date."""
    if m is not None:
        hit = b.best_sense(m, ("field",))
        if hit is not None and b.c.field_type(hit[0]) in TEMPORAL_TYPES and not hit[2].to_many:
            b.credit(m, hit[1])
            return hit[2].join(hit[0].name)
    if b.info.default_time_field:
        return b.info.default_time_field
    times = b.profile.time_fields
    if len(times) == 1:
        return times[0]
    if times:
        b.reading.time_fields = list(times)
        b.reading.penalize(0.5, "which date?")
        return times[0]
    return None


def dimension_field(b: ReadingBuilder, dimension: str) -> str | None:
    """The source's numeric field for a dimension ("price", "length", "amount", "time")."""
    if dimension == "time":
        return time_field(b, None)
    for word in DIMENSION_WORDS.get(dimension, ()):
        for s in b.c.lex.senses(stems(word)):
            if s.kind == "field" and s.model == b.source:
                f = b.info.fields.get(s.name)
                if f is not None and f.type in NUMERIC_TYPES:
                    return s.name
    if dimension in ("price", "amount"):
        return b.profile.amount_field
    return None
