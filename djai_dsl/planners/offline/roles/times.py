"""Time expressions: which date field each one is about.

"per month" is a time bucket (a group key later). "last month", "in 2024", "before
March" filter on a date field: the one named right before ("created last month",
"shipped in 2024"), or the source's default date field when none is named.
"""

from __future__ import annotations

from djai_dsl.manifest.types import TEMPORAL_TYPES
from djai_dsl.planners.offline.roles.composer import Composer


def assign_times(c: Composer) -> None:
    """Buckets, and each time window with the date field named before it (if any)."""
    for hit in c.time_hits:
        if hit.kind == "bucket":
            c.roles.buckets.append(hit)
            continue
        field_mention = None
        before = c.mention_before(hit.start, reach=3)
        if (
            before is not None
            and not before.role
            and (c.primary_kind(before) == "field" or before.text.lower().endswith("ed"))
        ):
            temporal = [s for s in before.of_kind("field") if c.field_type(s) in TEMPORAL_TYPES]
            if temporal:
                before.role = "time_field"
                before.senses = temporal + [s for s in before.senses if s not in temporal]
                field_mention = before
        c.roles.times.append((hit, field_mention))
