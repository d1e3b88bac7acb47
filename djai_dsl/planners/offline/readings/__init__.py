"""Readings: one plan per candidate source model, built from the roles and scored.

Every role found by :mod:`..roles` is resolved from the source: metrics become aggregates
(or measures), groups become group keys reachable through to-one relations, values and
segments become conditions (through ``exists`` across to-many relations), comparisons,
text searches and time expressions become conditions on the field they name or imply.
Each resolved name adds its strength, decayed per relation hop, to the reading's score;
names that do not fit the source subtract. The planner compares the scores of the
readings of all candidate sources.

Modules, bottom to top: :mod:`.builder` (a reading under construction and its score),
:mod:`.conditions` (paths through relations, ``exists``), :mod:`.fields` (implied date
and dimension fields), then one module per family of rules: :mod:`.existence`,
:mod:`.subjects`, :mod:`.metrics`, :mod:`.groups`, :mod:`.filters`,
:mod:`.comparisons`, :mod:`.searches`, :mod:`.times`, :mod:`.having`,
:mod:`.ordering`; :mod:`.build` runs them in order for each candidate source.
"""

from djai_dsl.planners.offline.readings.build import build, read
from djai_dsl.planners.offline.readings.builder import Reading, ReadingBuilder
from djai_dsl.planners.offline.readings.comparisons import add_comparisons
from djai_dsl.planners.offline.readings.fields import time_field
from djai_dsl.planners.offline.readings.filters import add_filters
from djai_dsl.planners.offline.readings.ordering import sort_direction
from djai_dsl.planners.offline.readings.searches import add_name_searches, add_text_searches
from djai_dsl.planners.offline.readings.times import add_times

__all__ = [
    "Reading",
    "ReadingBuilder",
    "add_comparisons",
    "add_filters",
    "add_name_searches",
    "add_text_searches",
    "add_times",
    "build",
    "read",
    "sort_direction",
    "time_field",
]
