"""One reading of a question from one source model, built into a plan and scored.

Every role found by :mod:`.roles` is resolved from the source: metrics become aggregates
(or measures), groups become group keys reachable through to-one relations, values and
segments become conditions (through ``exists`` across to-many relations), comparisons,
text searches and time expressions become conditions on the field they name or imply.
Each resolved name adds its strength, decayed per relation hop, to the reading's score;
names that do not fit the source subtract. The planner compares the scores of the
readings of all candidate sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from djai_dsl import plan as p
from djai_dsl.manifest.types import NUMERIC_TYPES, TEMPORAL_TYPES, TEXT_TYPES, FieldInfo
from djai_dsl.planners.offline.cues import DIMENSION_WORDS, Comparison
from djai_dsl.planners.offline.lexicon import Sense
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.naming import number, plural_name, safe_name, words_name
from djai_dsl.planners.offline.paths import Route
from djai_dsl.planners.offline.roles import (
    Composer,
    Metric,
    sales_verb,
    source_candidates,
    units_aggregate,
)
from djai_dsl.planners.offline.text import STOPWORDS, stems

SUBJECT_BONUS = 0.6
METRIC_BONUS = 0.8
EXISTENCE_LEADS = frozenset({"with", "have", "has", "had", "having", "placed", "made"})


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


def read(composer: Composer) -> list[Reading]:
    """A reading per candidate source model, best score first."""
    out = []
    for source in source_candidates(composer):
        reading = ReadingBuilder(composer, source).build()
        if reading is not None:
            out.append(reading)
    out.sort(key=lambda rd: rd.score, reverse=True)
    return out


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

    # -------------------------------------------------------------- scoring

    def credit(self, m: Mention | None, score: float) -> None:
        if m is None:
            return
        self.used.add(id(m))
        self.reading.score += score

    def miss(self, m: Mention, why: str) -> None:
        strongest = max((s.strength for s in m.senses), default=0.5)
        self.reading.score -= 0.5 * strongest
        self.reading.problems.append(f"{m.text!r}: {why}")

    def best_sense(
        self, m: Mention, kinds: tuple[str, ...], among: list[Sense] | None = None
    ) -> tuple[Sense, float, Route] | None:
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

    # -------------------------------------------------------------- build

    def build(self) -> Reading | None:
        rd = self.reading
        self._subjects()
        self._metric()
        if rd.problems and rd.score < -1.5:
            return None
        self._groups()
        self._buckets()
        self._filters()
        self._comparisons()
        self._texts()
        self._times()
        self._searches()
        self._having()
        self._top_and_sort()
        self._unexplained()
        where = None
        if len(self.conditions) == 1:
            where = self.conditions[0]
        elif self.conditions:
            where = p.And(conditions=self.conditions)
        having = None
        if len(self.having) == 1:
            having = self.having[0]
        elif self.having:
            having = p.And(conditions=self.having)
        try:
            rd.plan = p.QueryPlan(
                source=self.source,
                where=where,
                select=self.select if not self.aggregates else [],
                group_by=self.group_keys,
                aggregates=self.aggregates,
                having=having,
                sort=self.sort,
                limit=self.limit,
            )
        except ValueError as exc:
            rd.problems.append(str(exc))
            return None
        return rd

    # -------------------------------------------------------------- subjects

    def _subjects(self) -> None:
        for index, m in enumerate(self.r.subjects):
            hit = self.best_sense(m, ("model",))
            if hit is not None and hit[0].model == self.source:
                # The head noun comes first: "orders from business customers" is orders.
                self.credit(m, hit[1] + (SUBJECT_BONUS if index == 0 else 0.1))
            elif self._as_existence(m):
                continue
            elif hit is not None and self._qualifies_something(m):
                self.credit(m, 0.2)  # "the Laptops category": says whose value it is
            elif hit is not None:
                self.credit(m, 0.1)  # context: "customers who bought a product from .."
            else:
                self.reading.score -= 0.3
                self.reading.problems.append(f"{m.text!r} is not {self.info.verbose_name_plural}")

    def _qualifies_something(self, m: Mention) -> bool:
        models = {s.model for s in m.of_kind("model")}
        for other in self.c.mentions:
            if other is m or other.role not in ("filter", "group", "attribute", "metric"):
                continue
            near = abs(other.start - m.end) <= 2 or abs(m.start - other.end) <= 2
            if near and any(s.model in models for s in other.senses):
                return True
        return False

    def _as_existence(self, m: Mention) -> bool:
        """Existence: in "customers who placed an order" or "artists without albums" a
        related model named after have/with/without becomes (not) exists."""
        lead = self.c.words[max(m.start - 3, 0) : m.start]
        if not (m.negated or any(w in EXISTENCE_LEADS for w in lead)):
            return False
        rel_path = self._many_relation_to(m)
        if rel_path is None:
            one = self._nullable_relation_to(m)
            if one is None:
                return False
            # "tracks without a genre": the relation is empty
            self.conditions.append(p.IsNull(field=one, negated=not m.negated))
            self.credit(m, 0.7)
            return True
        self.conditions.append(p.Exists(relation=rel_path, negated=m.negated))
        self.credit(m, 0.7)
        return True

    def _nullable_relation_to(self, m: Mention) -> str | None:
        targets = {s.model for s in m.of_kind("model")}
        for rel in self.info.relations.values():
            if not rel.many and rel.nullable and rel.target in targets:
                return rel.name
        return None

    def _many_relation_to(self, m: Mention) -> str | None:
        targets = {s.model for s in m.of_kind("model")}
        targets |= {
            self.c.relation_target(s) for s in m.of_kind("relation") if s.model == self.source
        }
        for rel in self.info.relations.values():
            if rel.many and rel.target in targets:
                return rel.name
        for rel in self.info.relations.values():  # "products never ordered": via order lines
            if not rel.many:
                continue
            for target in targets:
                route = self.c.routes(rel.target).get(target)
                if route is not None and route.length == 1 and not route.to_many:
                    return rel.name
        for s in m.of_kind("relation"):
            if s.model == self.source and self.info.relations[s.name].many:
                return s.name
        return None

    # -------------------------------------------------------------- metric

    def _metric(self) -> None:
        r = self.r
        counted = [(m, d) for m, d in r.counted]
        metrics = list(r.metrics)
        if (
            not counted
            and not metrics
            and (r.groups or r.entity or r.buckets)
            and not self._is_listing()
        ):
            counted = []
            self._count_rows(None, False)
            return
        for m, distinct in counted:
            self._counted(m, distinct)
        for metric in metrics:
            self._aggregate(metric)

    def _is_listing(self) -> bool:
        r = self.r
        return (
            r.top is not None
            and r.top.dimension in ("price", "length", "amount", "time")
            and r.entity is not None
            and any(s.model == self.source for s in r.entity.of_kind("model"))
            and not r.groups
        )

    def _count_rows(self, m: Mention | None, distinct: bool, name: str | None = None) -> None:
        name = name or plural_name(self.info)
        if any(
            isinstance(a, p.Aggregate) and a.func == "count" and not a.field
            for a in self.aggregates
        ):
            return
        self.aggregates.append(p.Aggregate(name=name, func="count"))

    def _counted(self, m: Mention, distinct: bool) -> None:
        hit = self.best_sense(m, ("model", "field", "relation", "measure"))
        if hit is None:
            self.miss(m, "cannot be counted from here")
            self.reading.score -= 0.5
            return
        s, score, route = hit
        if s.kind == "model" and s.model == self.source:
            self._count_rows(m, distinct)
            self.credit(m, score + METRIC_BONUS + 0.4)
            return
        if s.kind == "measure" and s.model == self.source:
            self.aggregates.append(p.MeasureRef(name=safe_name(s.name), measure=s.name))
            self.credit(m, score + METRIC_BONUS)
            return
        if s.kind == "field" and route.length == 0:
            f = self.info.fields[s.name]
            if f.type in NUMERIC_TYPES and not f.primary_key:
                # "how many units" adds the units up
                self.aggregates.append(
                    p.Aggregate(name=safe_name(s.name), func="sum", field=s.name)
                )
                self.credit(m, score + METRIC_BONUS)
                return
        target = s.model if s.kind == "model" else self.c.relation_target(s)
        to_target = self.c.routes(self.source).get(target)
        if (
            s.kind in ("model", "relation")
            and to_target is not None
            and to_target.length == 1
            and not to_target.to_many
            and sales_verb(self.c)
        ):
            units = units_aggregate(self.info)
            if units is not None:
                self.aggregates.append(units)
                self.credit(m, score + METRIC_BONUS)
                self.reading.penalize(
                    0.85, f"counted as {units.name} of {self.info.verbose_name_plural}"
                )
                return
        if s.kind in ("model", "relation") and (distinct or route.length > 0):
            target = s.model if s.kind == "model" else self.c.relation_target(s)
            route_to = self.c.routes(self.source).get(target)
            if route_to is not None and not route_to.to_many and route_to.length > 0:
                self.aggregates.append(
                    p.Aggregate(
                        name=plural_name(self.c.model(target)),
                        func="count",
                        field=route_to.path,
                        distinct=True,
                    )
                )
                self.credit(m, score)
                return
        self.miss(m, "cannot be counted from here")

    def _aggregate(self, metric: Metric) -> None:
        m = metric.mention
        if m is None:  # "how much": the main amount
            field_name = self.profile.amount_field
            if field_name is None:
                self.reading.problems.append("no amount to add up")
                self.reading.score -= 0.5
                return
            self.aggregates.append(
                p.Aggregate(name=safe_name(field_name), func="sum", field=field_name)
            )
            self.reading.penalize(0.8, f"added up {field_name}")
            return
        own = [s for s in m.senses if s.model == self.source and s.kind in ("measure", "field")]
        hit = self.best_sense(m, ("measure", "field", "model"), among=own or None)
        if hit is None:
            self.miss(m, "is not a number here")
            return
        s, score, route = hit
        parent_amount = s.kind in ("measure", "field") and s.model != self.source
        if parent_amount and not route.to_many and metric.func in ("sum", "avg"):
            amount = self.profile.amount_field
            if amount:
                # "revenue by genre" answered from invoice lines: their own amount
                self.aggregates.append(aggregate(words_name(m.text), metric.func, amount))
                self.credit(m, score * 0.7)
                self.reading.penalize(
                    0.7, f"{m.text} taken as {amount} of each {self.info.verbose_name}"
                )
                return
        if s.kind == "measure":
            if s.model != self.source:
                self.miss(m, "is measured on another model")
                return
            measure = self.info.measures[s.name]
            agg = measure.aggregate
            if metric.func in ("avg", "min", "max") and agg.field and agg.func == "sum":
                name = f"{metric.func}_{agg.field.rsplit('.', 1)[-1]}"
                self.aggregates.append(
                    p.Aggregate(
                        name=safe_name(name), func=metric.func, field=agg.field, filter=agg.filter
                    )  # type: ignore[arg-type]
                )
            else:
                self.aggregates.append(p.MeasureRef(name=safe_name(s.name), measure=s.name))
            self.credit(m, score + METRIC_BONUS)
            return
        if s.kind == "model":
            if s.model != self.source or self.profile.amount_field is None:
                self.miss(m, "has no amount here")
                return
            field_name = self.profile.amount_field
            func = metric.func if metric.func in ("sum", "avg", "min", "max") else "sum"
            name = field_name if func == "sum" else f"{func}_{field_name}"
            self.aggregates.append(aggregate(name, func, field_name))
            self.credit(m, score + METRIC_BONUS)
            self.reading.penalize(0.9, f"{m.text} measured by {field_name}")
            return
        f = self.c.field_info(s)
        if f is None or f.type not in NUMERIC_TYPES:
            self.miss(m, "is not a number")
            return
        if route.to_many:
            self.miss(m, "would be counted more than once")
            return
        if route.length > 0 and metric.func in ("sum", "avg"):
            # A parent's amount summed over children counts it once per child.
            self.miss(m, "belongs to a related model")
            return
        path = route.join(s.name)
        func = metric.func
        name = f"{func}_{s.name}" if func != "sum" else s.name
        if func == "sum" and s.strength < 1 and self.profile.amount_field and route.length == 0:
            self.reading.penalize(0.85)
        self.aggregates.append(aggregate(name, func, path))
        self.credit(m, score + METRIC_BONUS * (1.0 if route.length == 0 else 0.5))

    # -------------------------------------------------------------- groups

    def _groups(self) -> None:
        mentions = list(self.r.groups)
        if self.r.entity is not None and self.r.entity not in mentions:
            entity_is_source = any(s.model == self.source for s in self.r.entity.of_kind("model"))
            if not entity_is_source:
                mentions.insert(0, self.r.entity)
            else:
                strength = max(
                    s.strength for s in self.r.entity.of_kind("model") if s.model == self.source
                )
                self.credit(self.r.entity, strength + SUBJECT_BONUS)
        for m in mentions:
            if any(s.model == self.source for s in m.of_kind("model")) and m.role == "group":
                self.credit(m, 0.3)  # "average quantity per order line": per row, no group
                continue
            paths = self.c.resolve_group_paths(m, self.source)
            if not paths:
                self.miss(m, "cannot be grouped by from here")
                continue
            self._note_group_alternatives(m, paths)
            for path in paths:
                if not any(g.field == path and g.bucket is None for g in self.group_keys):
                    self.group_keys.append(p.GroupKey(field=path))
            hit = self.best_sense(m, ("field", "relation", "model", "value"))
            self.credit(m, hit[1] if hit else 0.5)

    def _note_group_alternatives(self, m: Mention, chosen: list[str]) -> None:
        """Other fields the group word could mean, about as well: "orders by country" is
        the shipping country or the customer's country."""
        scored = []
        for s in m.of_kind("field"):
            score, route = self.c.sense_reach(s, self.source)
            if route is None or route.to_many or score <= 0:
                continue
            scored.append((score, route.join(s.name)))
        scored.sort(reverse=True)
        direct_strong = any(
            s.strength >= 1.0 and s.model == self.source for s in m.of_kind("field")
        )
        if direct_strong or len(m.of_kind("field")) < 2:
            return
        if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.3 and scored[0][1] in chosen:
            self.reading.group_alternatives.append(
                [p.GroupKey(field=path) for _, path in scored[:3]]
            )

    def _buckets(self) -> None:
        if not self.r.buckets:
            return
        field_name = self._time_field(None)
        if field_name is None:
            return
        for hit in self.r.buckets:
            if hit.unit and not any(g.bucket for g in self.group_keys):
                self.group_keys.append(p.GroupKey(field=field_name, bucket=hit.unit))
                self.reading.score += 0.3
        if not self.aggregates:
            self._count_rows(None, False)

    # -------------------------------------------------------------- filters

    def _filters(self) -> None:
        values_by_field: dict[tuple[str, bool], list[tuple[Any, Mention]]] = {}
        for m in self.r.filters:
            if m.role == "attribute":
                self._attribute(m)
                continue
            found = self._filter_condition(m, values_by_field)
            if found is not None:
                self.conditions.append(found)
        for (path, negated), items in values_by_field.items():
            values = list(dict.fromkeys(v for v, _ in items))
            cond: p.Condition
            if len(values) == 1:
                cond = p.Compare(field=path, op="!=" if negated else "=", value=values[0])
            else:
                cond = p.InList(field=path, values=values, negated=negated)
            self.conditions.append(self._across(path, cond))

    def _filter_condition(
        self, m: Mention, values_by_field: dict[tuple[str, bool], list[tuple[Any, Mention]]]
    ) -> p.Condition | None:
        adjacent_fields = self._adjacent_field_names(m)
        best: tuple[float, Sense, Route] | None = None
        for s in m.senses:
            if s.kind not in ("value", "segment", "field"):
                continue
            score, route = self.c.sense_reach(s, self.source)
            if route is None or score <= 0:
                continue
            if s.kind == "field" and self.c.field_type(s) != "boolean":
                continue
            if (
                s.kind == "value"
                and s.name in adjacent_fields
                and s.model in (self.source, *self._route_models())
            ):
                score += 0.5  # "urgent priority", "shipped to Japan"
            if s.kind in ("value", "segment") and s.model in self._models_named_before(m):
                score += 0.3  # "customers in Spain": the customer's country
            if s.kind == "segment" and route.length == 0:
                score += 0.1
            if s.kind == "segment" and adjacent_fields and s.model == self.source:
                score -= 0.2
            if best is None or score > best[0]:
                best = (score, s, route)
        if best is None:
            self.miss(m, f"is not a value of {self.info.verbose_name_plural}")
            return None
        score, s, route = best
        self.credit(m, score)
        if s.kind == "value":
            path = route.join(s.name)
            values_by_field.setdefault((path, m.negated), []).append((s.value, m))
            return None
        if s.kind == "field":
            path = route.join(s.name)
            return self._across(path, p.Compare(field=path, op="=", value=not m.negated))
        segment = self.c.model(s.model).segments[s.name]
        if route.length == 0:
            cond: p.Condition = p.SegmentRef(name=s.name)
        else:
            cond = _prefix(segment.condition, route.path)
            cond = self._across(_first_path(cond) or route.path, cond)
        return p.Not(condition=cond) if m.negated else cond

    def _route_models(self) -> set[str]:
        return set(self.c.routes(self.source))

    def _models_named_before(self, m: Mention) -> set[str]:
        out: set[str] = set()
        for other in self.c.mentions:
            if (
                other is not m
                and 0 <= m.start - other.end <= 3
                and other.role in ("subject", "counted", "entity", "hint")
            ):
                out |= {s.model for s in other.of_kind("model")}
        return out

    def _adjacent_field_names(self, m: Mention) -> set[str]:
        """Fields named right next to a value: "priority urgent", "shipped to Japan"."""
        names: set[str] = set()
        lo, hi = max(m.start - 3, 0), min(m.end + 2, len(self.c.tokens))
        nearby_stems = {t.stem for t in self.c.tokens[lo:hi]}
        for s in m.of_kind("value"):
            f = self.c.field_info(s)
            if f is None:
                continue
            words = set(stems(f.name)) | set(stems(f.verbose_name))
            for syn in f.synonyms:
                words |= set(stems(syn))
            words -= STOPWORDS | {"at"}
            if words & nearby_stems - set(stems(str(s.value))):
                names.add(s.name)
        return names

    def _attribute(self, m: Mention) -> None:
        """A field or relation named outside any cue: "without a city", "with no assignee",
        "customers who have orders"."""
        hit = self.best_sense(m, ("relation", "field", "model"))
        if hit is None:
            self.miss(m, "is not reachable")
            return
        s, score, route = hit
        lead = self.c.words[max(m.start - 3, 0) : m.start]
        wants_existence = m.negated or any(w in EXISTENCE_LEADS for w in lead)
        if s.kind == "relation":
            rel = self.c.model(s.model).relations[s.name]
            path = route.join(s.name)
            if rel.many and wants_existence:
                self.conditions.append(p.Exists(relation=path, negated=m.negated))
                self.credit(m, score)
                return
            if not rel.many and wants_existence:
                self.conditions.append(
                    self._across(path, p.IsNull(field=path, negated=not m.negated))
                )
                self.credit(m, score)
                return
        if s.kind == "field" and wants_existence:
            f = self.c.field_info(s)
            path = route.join(s.name)
            if f is not None and f.nullable:
                self.conditions.append(
                    self._across(path, p.IsNull(field=path, negated=not m.negated))
                )
                self.credit(m, score)
                return
        # A name with no cue: shown, not filtered. Listings show every field anyway.
        self.credit(m, score * 0.3)

    def _across(self, path: str, cond: p.Condition) -> p.Condition:
        """A condition on a path through a to-many relation becomes ``exists``."""
        try:
            resolved = self.c.manifest.resolve(self.source, path)
        except Exception:
            return cond
        if not resolved.to_many:
            return cond
        idx = resolved.last_many_index
        head = ".".join(h.name for h in resolved.hops[: idx + 1])
        inner = _strip_prefix(cond, head)
        return p.Exists(relation=head, condition=inner)

    # -------------------------------------------------------------- comparisons

    def _comparisons(self) -> None:
        for comp, m in self.r.compares:
            path, f = self._compare_field(comp, m)
            if path is None or f is None:
                self.reading.score -= 0.4
                self.reading.problems.append("a number without a field to compare")
                continue
            low, high = self._scaled(comp, f)
            cond: p.Condition
            if comp.op == "between":
                cond = p.Between(field=path, low=low, high=high)  # type: ignore[arg-type]
            else:
                cond = p.Compare(field=path, op=comp.op, value=low)  # type: ignore[arg-type]
            self.conditions.append(self._across(path, cond))

    def _compare_field(
        self, comp: Comparison, m: Mention | None
    ) -> tuple[str | None, FieldInfo | None]:
        if m is not None:
            best = None
            for s in m.of_kind("field", "measure"):
                if s.kind == "measure":
                    continue
                f = self.c.field_info(s)
                score, route = self.c.sense_reach(s, self.source)
                if f is None or route is None or f.type not in NUMERIC_TYPES:
                    continue
                if best is None or score > best[0]:
                    best = (score, route.join(s.name), f)
            if best is not None:
                self.credit(m, best[0])
                return best[1], best[2]
        if comp.dimension or comp.seconds is not None:
            dim = comp.dimension or "length"
            found = self._dimension_field(dim)
            if found is not None:
                return found, self.info.fields[found]
        if self.profile.amount_field:
            self.reading.penalize(0.85, f"compared {self.profile.amount_field}")
            return self.profile.amount_field, self.info.fields[self.profile.amount_field]
        return None, None

    def _dimension_field(self, dimension: str) -> str | None:
        if dimension == "time":
            return self._time_field(None)
        for word in DIMENSION_WORDS.get(dimension, ()):
            for s in self.c.lex.senses(stems(word)):
                if s.kind == "field" and s.model == self.source:
                    f = self.info.fields.get(s.name)
                    if f is not None and f.type in NUMERIC_TYPES:
                        return s.name
        if dimension in ("price", "amount"):
            return self.profile.amount_field
        return None

    def _scaled(self, comp: Comparison, f: FieldInfo) -> tuple[float | int, float | int | None]:
        """Durations said in minutes or hours, compared with a field kept in milliseconds
        or seconds (read from the field's name, verbose name and description)."""
        low, high = comp.value, comp.high
        if comp.seconds is not None:
            words = f"{f.name} {f.verbose_name} {f.description}".lower()
            if "millisecond" in words or "(ms)" in words or f.name.endswith("_ms"):
                low = comp.seconds * 1000
                high = (
                    comp.seconds_high * 1000
                    if comp.seconds_high is not None
                    else (high * 1000 * (comp.seconds / comp.value) if high is not None else None)
                )
            elif "second" in words:
                low = comp.seconds
        return number(low), number(high) if high is not None else None

    # -------------------------------------------------------------- text

    def _texts(self) -> None:
        for search, m in self.r.texts:
            path = None
            if m is not None:
                hit = self.best_sense(m, ("field",))
                if hit is not None and self.c.field_type(hit[0]) in TEXT_TYPES:
                    path = hit[2].join(hit[0].name)
                    self.credit(m, hit[1])
            if path is None:
                labels = self.profile.label_fields
                if not labels:
                    self.reading.problems.append("no text field to search")
                    continue
                path = labels[0]
                self.reading.penalize(0.9)
            self.conditions.append(
                self._across(path, p.TextMatch(field=path, op=search.op, value=search.value))
            )
            self.reading.score += 0.5

    def _searches(self) -> None:
        """Names the planner does not know ("AC/DC"): searched in the text fields of the
        source and of the models it reaches through to-one relations."""
        for text, models in self.r.searches:
            paths = self._search_paths(models)
            if not paths:
                continue
            conds: list[p.Condition] = [
                p.TextMatch(field=path, op="contains", value=text) for path in paths
            ]
            self.conditions.append(conds[0] if len(conds) == 1 else p.Or(conditions=conds))
            # A guess: low enough that the chat asks before running it.
            self.reading.penalize(0.5, f"searched for “{text}” in text fields")

    def _search_paths(self, models: list[str]) -> list[str]:
        """Where to look for a name: the label fields of the model named with it, else the
        text fields of the source and the label fields of what it reaches (to-one, two hops)."""
        routes = self.c.routes(self.source)
        named = [m for m in models if m in routes and not routes[m].to_many]
        if named:
            return [
                routes[label].join(name)
                for label in named
                for name in self.c.lex.profiles[label].label_fields
            ][:8]
        paths: list[str] = []
        for name, f in self.info.fields.items():
            if f.type in TEXT_TYPES and not f.choices and not f.primary_key:
                paths.append(name)
        for label, route in routes.items():
            if label == self.source or route.to_many or route.length > 2:
                continue
            profile = self.c.lex.profiles.get(label)
            for name in profile.label_fields if profile else []:
                paths.append(route.join(name))
        return paths[:8]

    # -------------------------------------------------------------- time

    def _time_field(self, m: Mention | None) -> str | None:
        if m is not None:
            hit = self.best_sense(m, ("field",))
            if (
                hit is not None
                and self.c.field_type(hit[0]) in TEMPORAL_TYPES
                and not hit[2].to_many
            ):
                self.credit(m, hit[1])
                return hit[2].join(hit[0].name)
        if self.info.default_time_field:
            return self.info.default_time_field
        times = self.profile.time_fields
        if len(times) == 1:
            return times[0]
        if times:
            self.reading.time_fields = list(times)
            self.reading.penalize(0.5, "which date?")
            return times[0]
        return None

    def _times(self) -> None:
        pending: list[p.Condition] = []  # "in 2024 and 2025": one condition, either period
        for index, (hit, m) in enumerate(self.r.times):
            path = self._time_field(m)
            if path is None:
                self.reading.score -= 0.8
                self.reading.problems.append(f"{self.info.verbose_name_plural} have no date")
                continue
            cond: p.Condition | None = None
            if hit.kind == "window" and hit.window is not None:
                cond = p.TimeWindow(field=path, window=hit.window)
            elif hit.kind == "compare":
                cond = compare(path, hit.op, hit.low)
            elif hit.kind == "between":
                cond = p.Between(field=path, low=hit.low, high=hit.high)
            if cond is None:
                continue
            pending.append(cond)
            following = self.r.times[index + 1][0] if index + 1 < len(self.r.times) else None
            joined = following is not None and self.c.words[hit.end : following.start] in (
                ["and"],
                ["or"],
                ["and", "in"],
                ["or", "in"],
            )
            if not joined:
                self.conditions.append(
                    pending[0] if len(pending) == 1 else p.Or(conditions=pending)
                )
                pending = []
            self.reading.score += 0.3

    # -------------------------------------------------------------- having / top / sort

    def _having(self) -> None:
        for comp, metric in self.r.having:
            name = self._metric_name_for(metric)
            if name is None:
                continue
            if comp.op == "between":
                self.having.append(
                    p.Between(
                        field=name, low=number(comp.value), high=number(comp.high or comp.value)
                    )
                )
            else:
                self.having.append(compare(name, comp.op, number(comp.value)))

    def _metric_name_for(self, metric: Metric) -> str | None:
        """The aggregate a having condition is about, added when missing."""
        before = len(self.aggregates)
        if metric.func == "count" and metric.mention is not None:
            self._counted(metric.mention, False)
        elif metric.mention is not None and metric.mention.role != "metric":
            self._aggregate(metric)
        if len(self.aggregates) > before:
            return self.aggregates[-1].name
        if self.aggregates:
            return self.aggregates[0].name
        return None

    def _top_and_sort(self) -> None:
        top = self.r.top
        if self.r.sort_metric is not None:
            self._explicit_sort(self.r.sort_metric)
        if top is None:
            self._direction_words()
            return
        self.limit = top.limit
        if self.aggregates and self.group_keys:
            key = self.aggregates[0].name
            explicit = self.r.metrics or self.r.counted or self.r.sort_metric or self.r.groups
            if top.dimension == "undefined" and not explicit:
                self.reading.undefined_metric = True
            self.sort.insert(0, p.SortKey(key=key, descending=top.descending))
            return
        if self.aggregates and not self.group_keys:
            # "what is the highest total": the aggregate already says it
            if top.dimension == "undefined":
                self.reading.undefined_metric = True
            self.limit = None
            return
        # A listing sorted by a field: "10 most expensive products", "5 most recent orders".
        if top.dimension == "undefined" or top.dimension == "metric":
            self.reading.undefined_metric = True
            return
        field_name = self._dimension_field(top.dimension)
        if field_name is None:
            self.reading.undefined_metric = True
            return
        self.sort.insert(0, p.SortKey(key=field_name, descending=top.descending))
        self.limit = top.limit or 1

    def _explicit_sort(self, m: Mention) -> None:
        descending = not any(w in ("ascending", "asc", "lowest", "smallest") for w in self.c.words)
        for agg in self.aggregates:
            if agg.name.replace("_", " ") in m.text.lower():
                self.sort.append(p.SortKey(key=agg.name, descending=descending))
                self.credit(m, 0.5)
                return
        hit = self.best_sense(m, ("field",))
        if hit is not None and hit[2].length == 0 and not self.aggregates:
            self.sort.append(p.SortKey(key=hit[0].name, descending=descending))
            self.credit(m, hit[1])

    def _direction_words(self) -> None:
        """ "ascending", "highest first", "smallest first": the order of a grouped result."""
        if self.sort or not (self.aggregates and self.group_keys):
            return
        descending = sort_direction(self.c.words)
        if descending is not None:
            self.sort.append(p.SortKey(key=self.aggregates[0].name, descending=descending))

    # -------------------------------------------------------------- leftovers

    def _unexplained(self) -> None:
        for m in self.c.mentions:
            if id(m) in self.used or m.role in ("searched", "sort", "entity"):
                continue
            if m.role in ("time_field",) and id(m) not in self.used:
                continue
            if m.role == "group" and any(g.field for g in self.group_keys):
                continue
            strongest = max((s.strength for s in m.senses), default=0.5)
            self.reading.score -= 0.2 * strongest


# ---------------------------------------------------------------------- condition rewriting


def _prefix(cond: p.Condition, prefix: str) -> p.Condition:
    """A condition written from a related model, rewritten from the source."""
    return _map_paths(cond, lambda path: f"{prefix}.{path}")


def _strip_prefix(cond: p.Condition, head: str) -> p.Condition:
    return _map_paths(
        cond, lambda path: path[len(head) + 1 :] if path.startswith(head + ".") else path
    )


def _map_paths(cond: p.Condition, fn: Any) -> p.Condition:
    if isinstance(cond, (p.And, p.Or)):
        return type(cond)(conditions=[_map_paths(c, fn) for c in cond.conditions])
    if isinstance(cond, p.Not):
        return p.Not(condition=_map_paths(cond.condition, fn))
    if isinstance(cond, p.Exists):
        return cond.model_copy(update={"relation": fn(cond.relation)})
    if isinstance(cond, p.SegmentRef):
        return cond
    if hasattr(cond, "field"):
        return cond.model_copy(update={"field": fn(cond.field)})
    return cond


def _first_path(cond: p.Condition) -> str | None:
    if isinstance(cond, (p.And, p.Or)):
        return _first_path(cond.conditions[0])
    if isinstance(cond, p.Not):
        return _first_path(cond.condition)
    return getattr(cond, "field", None)


def aggregate(name: str, func: str, field: str | None = None, **extra: Any) -> p.Aggregate:
    """An aggregate with a safe name (``func`` is checked by the plan model)."""
    data = {"name": safe_name(name), "func": func, "field": field, **extra}
    return p.Aggregate.model_validate(data)


def compare(field: str, op: str, value: Any) -> p.Compare:
    return p.Compare.model_validate({"field": field, "op": op, "value": value})


def sort_direction(words: list[str]) -> bool | None:
    """True for descending ("descending", "highest first"), False for ascending, None when
    the words say nothing about order."""
    text = " ".join(words)
    if any(w in words for w in ("ascending", "asc")) or any(
        f"{w} first" in text for w in ("lowest", "smallest", "least", "fewest", "cheapest")
    ):
        return False
    if any(w in words for w in ("descending", "desc")) or any(
        f"{w} first" in text for w in ("highest", "largest", "biggest", "most", "top")
    ):
        return True
    return None
