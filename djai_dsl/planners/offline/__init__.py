"""The offline planner: questions to plans from the manifest and English rules, no LLM.

Modules, in the order a question meets them: :mod:`.text` (tokens and stems),
:mod:`.scope` (help, refusals), :mod:`.timeexpr` (dates), :mod:`.lexicon` (names),
:mod:`djai_dsl.values` (indexed values), :mod:`.mentions` (names found in the question),
:mod:`.cues` (counting, grouping, comparisons), :mod:`.roles` (what each name is for,
which models could answer), :mod:`.readings` (one plan per candidate model, scored),
:mod:`.clarify` (questions back), :mod:`.followup` (changing the previous plan) and
:mod:`.planner` (the orchestration).
"""

from djai_dsl.planners.offline.planner import OfflinePlanner

# The value index lives in djai_dsl.values; tests and hosts that clear it between runs
# import it from here, where it used to be.
from djai_dsl.values import clear_value_index

__all__ = ["OfflinePlanner", "clear_value_index"]
