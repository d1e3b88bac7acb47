"""The offline planner: questions to plans from the manifest and English rules, no LLM.

Modules, bottom to top (each imports only modules listed before it):

- :mod:`.text` (tokens and stems), :mod:`.paths` (relation routes between models);
- :mod:`.timeexpr` (dates), :mod:`.cues` (counting, grouping, comparison words),
  :mod:`.lexicon` (the manifest's names), :mod:`.naming` (names of aggregates),
  :mod:`.scope` (help, refusals);
- :mod:`.mentions` (names and indexed values found in the question; the values come from
  the value index, :mod:`djai_dsl.values`), :mod:`.clarify` (questions back);
- :mod:`.roles` (what each name is for, which models could answer; one module per family
  of role rules);
- :mod:`.readings` (one plan per candidate model, scored; one module per family of
  reading rules);
- :mod:`.followup` (changing the previous plan), :mod:`.planner` (the orchestration).
"""

from djai_dsl.planners.offline.planner import OfflinePlanner

# The value index lives in djai_dsl.values; tests and hosts that clear it between runs
# import it from here, where it used to be.
from djai_dsl.values import clear_value_index

__all__ = ["OfflinePlanner", "clear_value_index"]
