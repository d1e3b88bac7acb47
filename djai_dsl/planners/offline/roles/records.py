"""What the role rules found in one question: a :class:`Roles` record, filled in place.

Each mention gets a ``role`` string as well (counted, metric, group, entity, filter,
subject, attribute, time_field, text_field, compare_field, counted_having,
metric_having, sort, searched, cue, hint); this record lists them by what the plan will
make of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from djai_dsl.planners.offline.cues import Comparison, TextSearch
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.timeexpr import TimeHit


@dataclass
class Metric:
    """Something to compute: "average price", "revenue", "how much"."""

    func: str  # count, sum, avg, min, max
    mention: Mention | None = None  # what is counted or aggregated (None: rows / default)
    distinct: bool = False
    start: int = -1  # where the cue was (for ordering and naming)


@dataclass
class Top:
    """A top-N or superlative: "top 5", "the cheapest", "which ... the most"."""

    limit: int | None
    descending: bool
    dimension: str  # price, length, amount, time, undefined, metric
    start: int
    end: int


@dataclass
class Roles:
    """Every role found, by kind."""

    counted: list[tuple[Mention, bool]] = field(default_factory=list)  # (mention, distinct)
    metrics: list[Metric] = field(default_factory=list)
    groups: list[Mention] = field(default_factory=list)
    buckets: list[TimeHit] = field(default_factory=list)
    entity: Mention | None = None  # "top 5 customers", "countries with more than ..."
    top: Top | None = None
    having: list[tuple[Comparison, Metric]] = field(default_factory=list)
    compares: list[tuple[Comparison, Mention | None]] = field(default_factory=list)
    texts: list[tuple[TextSearch, Mention | None]] = field(default_factory=list)
    times: list[tuple[TimeHit, Mention | None]] = field(default_factory=list)
    filters: list[Mention] = field(default_factory=list)
    subjects: list[Mention] = field(default_factory=list)
    sort_metric: Mention | None = None
    # Unknown proper nouns, with the models named right before them ("the artist Queen").
    searches: list[tuple[str, list[str]]] = field(default_factory=list)
