"""Follow-ups: a short question that changes the previous plan.

- "and by month?", "per country" -> another group key (a new time bucket replaces the old);
- "only Germany", "just the open ones", "only for 2025" -> a filter added, or replacing the
  filter on the same field ("and in Spain?" after "customers in France");
- "same for last year", "and in 2025?" -> the time window replaced;
- "now show the top 10", "top 3 only" -> a limit (sorted by the first aggregate);
- "sort them by count ascending" -> the order;
- "how many are there?", "how many of those are inactive?" -> the rows counted;
- "what about refunds?" -> the same question about another model: its time window and
  time buckets carried over to that model's date field.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.manifest.types import TEMPORAL_TYPES, Manifest
from djai_dsl.planners.base import PlannerResult, PlanProposal
from djai_dsl.planners.offline.cues import count_cue_ends
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.naming import plural_name
from djai_dsl.planners.offline.readings import (
    ReadingBuilder,
    add_comparisons,
    add_filters,
    add_name_searches,
    add_text_searches,
    add_times,
    sort_direction,
    time_field,
)
from djai_dsl.planners.offline.roles import Composer, assign_roles
from djai_dsl.planners.offline.text import Token
from djai_dsl.validation import plan_problems

#: Openings that make a message a follow-up whatever else it says.
LEADS: tuple[tuple[str, ...], ...] = (
    ("and",), ("what", "about"), ("how", "about"), ("only",), ("just",), ("now",), ("same",),
    ("also",), ("but",), ("instead",), ("then",), ("sort",), ("order", "them"), ("show", "only"),
    ("limit",), ("of", "those"), ("what", "if"), ("break", "it"), ("make", "it"),
)  # fmt: skip
#: Openings that make a follow-up only when no model is named ("by month?", "top 3 only",
#: "for 2024"): "Top 5 products by revenue" is a question of its own.
WEAK_LEADS: tuple[tuple[str, ...], ...] = (
    ("per",), ("by",), ("for",), ("excluding",), ("without",), ("except",), ("top",),
    ("show", "the", "top"), ("split",),
)  # fmt: skip
REFERRING = frozenset({"those", "them", "these", "that", "it", "same", "ones", "there"})
MAX_FOLLOW_UP_TOKENS = 9


def looks_like_follow_up(tokens: list[Token], mentions: list[Mention]) -> bool:
    words = [t.lower for t in tokens]
    if not words:
        return False
    if any(tuple(words[: len(lead)]) == lead for lead in LEADS):
        return True
    if len(words) <= MAX_FOLLOW_UP_TOKENS and any(w in REFERRING for w in words):
        return True
    names_a_model = any(m.has("model") and not m.has("value") for m in mentions)
    if any(tuple(words[: len(lead)]) == lead for lead in WEAK_LEADS):
        return not names_a_model
    return len(words) <= 4 and not names_a_model


class FollowUp:
    def __init__(self, composer: Composer, previous: p.QueryPlan, manifest: Manifest) -> None:
        self.c = composer
        self.prev = previous
        self.manifest = manifest
        self.words = composer.words

    def apply(self) -> PlannerResult | None:
        if self.prev.source not in self.manifest.models:
            return None
        assign_roles(self.c)
        other = self._other_model()
        plan = self._switch_model(other) if other is not None else self._modify()
        if plan is None or plan == self.prev or plan_problems(plan, self.manifest):
            return None
        return PlanProposal(plan=plan, confidence=0.8, notes=["changed the previous question"])

    # ------------------------------------------------------------------ another model

    def _other_model(self) -> str | None:
        for m in self.c.mentions:
            if m.role not in ("subject", "counted", "entity"):
                continue
            models = [s.model for s in m.of_kind("model") if s.strength >= 0.8]
            if not models or self.prev.source in models:
                continue
            if m.has("value", "segment") and not self.c.only_models(m):
                continue
            if self._qualifies_a_value(m, models):
                continue  # "only for customers in Canada": whose country, not a new question
            return models[0]
        return None

    def _qualifies_a_value(self, m: Mention, models: list[str]) -> bool:
        for other in self.c.mentions:
            near = other is not m and 0 <= other.start - m.end <= 3
            if near and any(s.model in models for s in other.of_kind("value")):
                return True
        return False

    def _switch_model(self, label: str) -> p.QueryPlan | None:
        info = self.manifest.models[label]
        date_field = info.default_time_field
        conditions: list[p.Condition] = []
        for cond in _conjuncts(self.prev.where):
            if isinstance(cond, p.TimeWindow | p.Compare | p.Between) and self._is_time(cond.field):
                if date_field is None:
                    continue
                conditions.append(cond.model_copy(update={"field": date_field}))
        keys = []
        for key in self.prev.group_by:
            if key.bucket and date_field:
                keys.append(key.model_copy(update={"field": date_field}))
            elif key.field in info.fields:
                keys.append(key)
        aggregates: list[p.AggregateItem] = []
        if self.prev.aggregates or keys:
            aggregates = [p.Aggregate(name=plural_name(info), func="count")]
        return p.QueryPlan(
            source=label,
            where=_all(conditions),
            group_by=keys,
            aggregates=aggregates,
        )

    def _is_time(self, path: str) -> bool:
        try:
            resolved = self.manifest.resolve(self.prev.source, path)
        except Exception:
            return False
        return resolved.field is not None and resolved.field.type in TEMPORAL_TYPES

    # ------------------------------------------------------------------ same model

    def _modify(self) -> p.QueryPlan | None:
        b = ReadingBuilder(self.c, self.prev.source)
        self._prefer_grouped_fields(b)
        add_filters(b)
        add_comparisons(b)
        add_text_searches(b)
        add_times(b)
        add_name_searches(b)
        new_keys = self._new_group_keys(b)
        where = self._merge_where(b.conditions)
        plan = self.prev.model_copy(update={"where": where})
        if new_keys:
            plan = self._with_groups(plan, new_keys)
        if count_cue_ends(self.c.tokens) and not self.prev.aggregates:
            plan = plan.model_copy(
                update={
                    "select": [],
                    "sort": [],
                    "limit": None,
                    "aggregates": [p.Aggregate(name=plural_name(b.info), func="count")],
                }
            )
        plan = self._top_and_sort(plan)
        return plan

    def _prefer_grouped_fields(self, b: ReadingBuilder) -> None:
        """After "revenue by shipping country", "only Germany" is read as one of
        the grouped field's values when it can be."""
        grouped = {g.field for g in self.prev.group_by if not g.bucket}
        for m in self.c.roles.filters:
            values = m.of_kind("value")
            preferred = [s for s in values if s.name in grouped]
            if preferred:
                m.senses = preferred + [s for s in m.senses if s not in preferred]
                m.senses = [s for s in m.senses if s.kind != "value" or s in preferred]

    def _new_group_keys(self, b: ReadingBuilder) -> list[p.GroupKey]:
        keys: list[p.GroupKey] = []
        if self.c.roles.buckets:
            field = self._time_field_of_prev() or time_field(b, None)
            if field is not None:
                keys += [
                    p.GroupKey(field=field, bucket=h.unit) for h in self.c.roles.buckets if h.unit
                ]
        for m in self.c.roles.groups:
            keys += [
                p.GroupKey(field=path) for path in self.c.resolve_group_paths(m, self.prev.source)
            ]
        return keys

    def _time_field_of_prev(self) -> str | None:
        for key in self.prev.group_by:
            if key.bucket:
                return key.field
        for cond in _conjuncts(self.prev.where):
            if isinstance(cond, p.TimeWindow):
                return cond.field
        return None

    def _merge_where(self, new: list[p.Condition]) -> p.Condition | None:
        old = _conjuncts(self.prev.where)
        for cond in new:
            target = _field_of(cond)
            is_time = target is not None and self._is_time(target)
            kept = []
            for existing in old:
                same = target is not None and _field_of(existing) == target
                both_time = (
                    is_time
                    and _field_of(existing) is not None
                    and self._is_time(_field_of(existing) or "")
                )
                if not (same or both_time):
                    kept.append(existing)
            old = [*kept, cond]
        return _all(old)

    def _with_groups(self, plan: p.QueryPlan, keys: list[p.GroupKey]) -> p.QueryPlan:
        group_by = list(plan.group_by)
        for key in keys:
            if key.bucket:
                group_by = [g for g in group_by if not g.bucket]
            if not any(g.field == key.field and g.bucket == key.bucket for g in group_by):
                group_by.append(key)
        aggregates = list(plan.aggregates)
        if not aggregates:
            info = self.manifest.models[plan.source]
            aggregates = [p.Aggregate(name=plural_name(info), func="count")]
        return plan.model_copy(
            update={"group_by": group_by, "aggregates": aggregates, "select": []}
        )

    def _top_and_sort(self, plan: p.QueryPlan) -> p.QueryPlan:
        top = self.c.roles.top
        words = self.words
        direction = sort_direction(words)
        wants_sort = any(w in ("sort", "order", "sorted", "ordered", "rank") for w in words)
        if top is not None and top.limit:
            sort = list(plan.sort)
            if not sort and plan.aggregates:
                sort = [p.SortKey(key=plan.aggregates[0].name, descending=top.descending)]
            return plan.model_copy(update={"limit": top.limit, "sort": sort})
        if (wants_sort or direction is not None) and plan.aggregates:
            key = plan.aggregates[0].name
            for agg in plan.aggregates:
                if agg.name.lower() in words:
                    key = agg.name
            descending = True if direction is None else direction
            return plan.model_copy(update={"sort": [p.SortKey(key=key, descending=descending)]})
        return plan


def _conjuncts(cond: p.Condition | None) -> list[p.Condition]:
    if cond is None:
        return []
    if isinstance(cond, p.And):
        return list(cond.conditions)
    return [cond]


def _all(conditions: list[p.Condition]) -> p.Condition | None:
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return p.And(conditions=conditions)


def _field_of(cond: p.Condition) -> str | None:
    if isinstance(cond, p.Not):
        return _field_of(cond.condition)
    if isinstance(cond, p.Or):  # "in 2024 or 2025": both on one field
        fields = {_field_of(c) for c in cond.conditions}
        return fields.pop() if len(fields) == 1 else None
    if isinstance(cond, p.Exists):
        return cond.relation
    return getattr(cond, "field", None)
