"""One reading under construction: the plan's parts so far, and how well the names fit.

Every rule of this package adds to a :class:`ReadingBuilder`: conditions, group keys,
aggregates, having, sort, limit. Each name a rule resolves is credited with its strength,
decayed per relation hop from the source (:meth:`ReadingBuilder.credit`); a name that
does not fit the source costs (:meth:`ReadingBuilder.miss`). The score ranks the readings
of the candidate sources; assumptions lower the reading's confidence
(:meth:`Reading.penalize`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from djai_dsl import plan as p
from djai_dsl.planners.offline.lexicon import Sense
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.paths import Route
from djai_dsl.planners.offline.roles import Composer

#: Extra credit for the name that says what the question is about (its head noun), and
#: for the name of what is computed: they decide the source more than other names.
SUBJECT_BONUS = 0.6
METRIC_BONUS = 0.8


@dataclass
class Reading:
    """One interpretation of the question from one source model."""

    source: str
    plan: p.QueryPlan | None = None
    score: float = 0.0
    confidence: float = 1.0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    undefined_metric: bool = False  # "best", "top" without a measure
    time_fields: list[str] = field(default_factory=list)  # candidates when ambiguous
    group_alternatives: list[list[p.GroupKey]] = field(default_factory=list)

    def penalize(self, factor: float, note: str = "") -> None:
        self.confidence *= factor
        if note and note not in self.notes:
            self.notes.append(note)


class ReadingBuilder:
    """Resolve every role from one source model into a plan."""

    def __init__(self, composer: Composer, source: str) -> None:
        self.c = composer
        self.r = composer.roles
        self.source = source
        self.info = composer.model(source)
        self.profile = composer.lex.profiles[source]
        self.reading = Reading(source)
        self.conditions: list[p.Condition] = []
        self.group_keys: list[p.GroupKey] = []
        self.aggregates: list[p.AggregateItem] = []
        self.having: list[p.Condition] = []
        self.sort: list[p.SortKey] = []
        self.select: list[p.SelectItem] = []
        self.limit: int | None = None
        self.used: set[int] = set()  # id() of mentions explained by this reading

    def credit(self, m: Mention | None, score: float) -> None:
        """``m`` is explained by this reading, and fits it this well."""
        if m is None:
            return
        self.used.add(id(m))
        self.reading.score += score

    def miss(self, m: Mention, why: str) -> None:
        """``m`` does not fit this reading: a problem, and a cost by its strength."""
        strongest = max((s.strength for s in m.senses), default=0.5)
        self.reading.score -= 0.5 * strongest
        self.reading.problems.append(f"{m.text!r}: {why}")

    def best_sense(
        self, m: Mention, kinds: tuple[str, ...], among: list[Sense] | None = None
    ) -> tuple[Sense, float, Route] | None:
        """The sense of ``m`` of one of ``kinds`` that fits the source best, with its score
        and the route to its model; None when none is reachable."""
        best = None
        for s in among if among is not None else m.senses:
            if s.kind not in kinds:
                continue
            score, route = self.c.sense_reach(s, self.source)
            if route is None or score <= 0:
                continue
            if s.kind == "measure":
                score += 0.05  # a developer's named metric beats a field synonym
            if best is None or score > best[1]:
                best = (s, score, route)
        return best
