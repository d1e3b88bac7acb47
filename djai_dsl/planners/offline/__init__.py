"""The offline planner: questions to plans from the manifest and English rules, no LLM.

Modules, in the order a question meets them: :mod:`.text` (tokens and stems),
:mod:`.scope` (help, refusals), :mod:`.timeexpr` (dates), :mod:`.lexicon` and
:mod:`.values` (names and indexed values), :mod:`.mentions` (names found in the question),
:mod:`.cues` (counting, grouping, comparisons), :mod:`.roles` (what each name is for,
which models could answer), :mod:`.readings` (one plan per candidate model, scored),
:mod:`.clarify` (questions back), :mod:`.followup` (changing the previous plan) and
:mod:`.planner` (the orchestration).
"""

from djai_dsl.planners.offline.planner import OfflinePlanner
from djai_dsl.planners.offline.values import clear_value_index

__all__ = ["OfflinePlanner", "clear_value_index"]
