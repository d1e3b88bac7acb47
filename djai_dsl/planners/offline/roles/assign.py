"""The order in which the role rules read a question.

Each rule claims mentions that have no role yet, so the order matters: time expressions
and text searches first (their words are not names), then the cue words in order of how
much they say (counting, top-N, aggregates, grouping, comparisons), then the names no
cue claimed, and last the unknown proper nouns.
"""

from __future__ import annotations

from djai_dsl.planners.offline.roles.comparisons import assign_comparisons
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.counting import assign_counted
from djai_dsl.planners.offline.roles.groups import assign_groups
from djai_dsl.planners.offline.roles.metrics import assign_metrics
from djai_dsl.planners.offline.roles.records import Roles
from djai_dsl.planners.offline.roles.remaining import assign_remaining
from djai_dsl.planners.offline.roles.searches import assign_proper_nouns, assign_text_searches
from djai_dsl.planners.offline.roles.times import assign_times
from djai_dsl.planners.offline.roles.top import assign_top


def assign_roles(c: Composer) -> Roles:
    """Give every mention of ``c`` its role; returns ``c.roles``, filled in."""
    assign_times(c)
    assign_text_searches(c)
    assign_counted(c)
    assign_top(c)
    assign_metrics(c)
    assign_groups(c)
    assign_comparisons(c)
    assign_remaining(c)
    assign_proper_nouns(c)
    return c.roles
