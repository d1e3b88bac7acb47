"""Counting: "how many orders", "number of distinct customers", "count of tickets".

The name right after a counting cue is what is counted, skipping the filters in between
("how many business customers" counts customers) and yes/no fields.
"""

from __future__ import annotations

from djai_dsl.manifest.types import NUMERIC_TYPES
from djai_dsl.planners.offline.cues import DISTINCT_WORDS, count_cue_ends
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.hints import names_adjacent_value


def assign_counted(c: Composer) -> None:
    """The counted name after each counting cue (distinct after "different", "unique")."""
    for end in count_cue_ends(c.tokens):
        distinct = any(w in DISTINCT_WORDS for w in c.words[end : end + 2])
        # "how many business customers": skip the filters before the counted name
        for m in c.mentions:
            if m.start < end or m.role:
                continue
            if m.start - end > 4:
                break
            if m.has("value", "segment") and not c.only_models(m) and not (_counted_field(c, m)):
                continue
            if any(c.field_type(s) == "boolean" for s in m.of_kind("field")):
                continue
            if names_adjacent_value(c, m):
                continue
            if m.has("model", "field", "relation", "measure"):
                m.role = "counted"
                c.roles.counted.append((m, distinct))
            break


def _counted_field(c: Composer, m: Mention) -> bool:
    return any(c.field_type(s) in NUMERIC_TYPES for s in m.of_kind("field"))
