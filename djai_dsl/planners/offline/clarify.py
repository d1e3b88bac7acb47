"""Clarifying questions with concrete options, each resolving to a plan.

Asked when the question leaves a choice the data cannot make:

- which model ("How many are pending?": orders or support tickets);
- which metric for an undefined "best" or "top" ("best products": by revenue, by units);
- which date field, for a model without a default one;
- which field a grouping word means ("orders by country": shipping or customer country).
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.grammar import format_plan
from djai_dsl.manifest.types import NUMERIC_TYPES, Manifest, ModelInfo
from djai_dsl.planners.base import Clarification, ClarifyOption
from djai_dsl.planners.offline.lexicon import Lexicon
from djai_dsl.planners.offline.naming import safe_name
from djai_dsl.planners.offline.paths import routes_from
from djai_dsl.validation import plan_problems

MAX_OPTIONS = 5


def _valid(plan: p.QueryPlan, manifest: Manifest) -> bool:
    return not plan_problems(plan, manifest)


def _option(index: int, label: str, plan: p.QueryPlan | None, question: str = "") -> ClarifyOption:
    return ClarifyOption(id=f"opt{index}", label=label, plan=plan, question=question)


def choose_model(
    question: str, plans: list[p.QueryPlan], manifest: Manifest, confidence: float
) -> Clarification:
    options: list[ClarifyOption] = []
    for plan in plans[:MAX_OPTIONS]:
        info = manifest.models[plan.source]
        label = f"{info.verbose_name_plural.capitalize()} ({info.label})"
        options.append(_option(len(options) + 1, label, plan))
    return Clarification(
        question="Which of these do you mean?",
        options=options,
        confidence=confidence,
        candidate_models=[plan.source for plan in plans[:MAX_OPTIONS]],
    )


def choose_models_without_plan(
    question: str, labels: list[str], manifest: Manifest, confidence: float
) -> Clarification:
    options: list[ClarifyOption] = []
    for label in labels[:MAX_OPTIONS]:
        info = manifest.models[label]
        rephrased = f"{question.rstrip('?!. ')} ({info.verbose_name_plural})"
        options.append(
            _option(
                len(options) + 1,
                f"{info.verbose_name_plural.capitalize()} ({label})",
                None,
                rephrased,
            )
        )
    return Clarification(
        question="Which kind of records do you mean?",
        options=options,
        confidence=confidence,
        candidate_models=labels[:MAX_OPTIONS],
    )


def choose_time_field(
    plan: p.QueryPlan, fields: list[str], manifest: Manifest, confidence: float
) -> Clarification:
    info = manifest.models[plan.source]
    options: list[ClarifyOption] = []
    for name in fields[:MAX_OPTIONS]:
        new = _replace_time_field(plan, fields[0], name)
        verbose = info.fields[name].verbose_name or name
        options.append(_option(len(options) + 1, f"by {verbose} ({name})", new))
    return Clarification(
        question=f"Which date of the {info.verbose_name_plural} do you mean?",
        options=options,
        confidence=confidence,
        candidate_models=[plan.source],
    )


def choose_group(
    plan: p.QueryPlan, alternatives: list[list[p.GroupKey]], manifest: Manifest, confidence: float
) -> Clarification:
    options: list[ClarifyOption] = []
    first = alternatives[0]
    chosen = next(g for g in first if any(k.field == g.field for k in plan.group_by))
    for key in first[:MAX_OPTIONS]:
        keys = [key if g.field == chosen.field else g for g in plan.group_by]
        new = plan.model_copy(update={"group_by": keys})
        try:
            resolved = manifest.resolve(plan.source, key.field)
            words = [h.verbose_name or h.name for h in resolved.hops]
            if resolved.field is not None:
                words.append(resolved.field.verbose_name or resolved.field.name)
            label = f"{' '.join(words)} ({key.field})"
        except Exception:
            label = key.field
        options.append(_option(len(options) + 1, label, new))
    return Clarification(
        question="Group by which field?",
        options=options,
        confidence=confidence,
        candidate_models=[plan.source],
    )


def choose_metric(
    plan: p.QueryPlan, lex: Lexicon, manifest: Manifest, confidence: float
) -> Clarification:
    """What "best products" may mean: the entity ranked by counts and amounts of the rows
    that point to it (order lines, invoices...), each option a ready plan."""
    entity = _entity_of(plan, manifest)
    options: list[ClarifyOption] = []
    for candidate in _metric_plans(plan, entity, lex, manifest):
        label, new = candidate
        if _valid(new, manifest) and all(
            format_plan(o.plan) != format_plan(new) for o in options if o.plan
        ):
            options.append(_option(len(options) + 1, label, new))
        if len(options) >= MAX_OPTIONS:
            break
    info = manifest.models[entity]
    return Clarification(
        question=f"What makes {info.verbose_name_plural} the best or top ones?",
        options=options,
        confidence=confidence,
        candidate_models=[entity, *[o.plan.source for o in options if o.plan]],
    )


def _entity_of(plan: p.QueryPlan, manifest: Manifest) -> str:
    """The model ranked: the source of a listing, or the model a group key points at."""
    for key in plan.group_by:
        try:
            resolved = manifest.resolve(plan.source, key.field)
        except Exception:
            continue
        if resolved.field is None or resolved.field.primary_key:
            return resolved.target.label
    return plan.source


def _metric_plans(
    plan: p.QueryPlan, entity: str, lex: Lexicon, manifest: Manifest
) -> list[tuple[str, p.QueryPlan]]:
    out: list[tuple[str, p.QueryPlan]] = []
    limit = plan.limit or 10
    entity_info = manifest.models[entity]
    profile = lex.profiles[entity]
    for child, route in _children(entity, manifest):
        child_info = manifest.models[child]
        keys = [p.GroupKey(field=route)] + [
            p.GroupKey(field=f"{route}.{name}") for name in profile.label_fields
        ]
        base = p.QueryPlan(
            source=child, where=_retarget_where(plan, child), group_by=keys, limit=limit
        )
        for name in child_info.measures:
            measure = p.MeasureRef(name=_name(name), measure=name)
            label = f"by {name.replace('_', ' ')} of {child_info.verbose_name_plural}"
            out.append((label, _ranked(base, measure)))
        count = p.Aggregate(name=_name(child_info.verbose_name_plural), func="count")
        out.append((f"by number of {child_info.verbose_name_plural}", _ranked(base, count)))
        amount = lex.profiles[child].amount_field
        if amount and not child_info.measures:
            verbose = child_info.fields[amount].verbose_name or amount
            agg = p.Aggregate(name=_name(amount), func="sum", field=amount)
            out.append(
                (f"by total {verbose} of {child_info.verbose_name_plural}", _ranked(base, agg))
            )
    for name, f in entity_info.fields.items():
        if f.type in NUMERIC_TYPES and not f.primary_key and not f.choices:
            listing = p.QueryPlan(
                source=entity,
                where=plan.where if plan.source == entity else None,
                select=[
                    p.SelectItem(field=n)
                    for n in [entity_info.pk_name, *profile.label_fields, name]
                ],
                sort=[p.SortKey(key=name, descending=True)],
                limit=limit,
            )
            out.append((f"by {f.verbose_name or name}", listing))
    # Direct children first, then the ones further away.
    return out


def _ranked(base: p.QueryPlan, agg: p.AggregateItem) -> p.QueryPlan:
    return base.model_copy(
        update={"aggregates": [agg], "sort": [p.SortKey(key=agg.name, descending=True)]}
    )


def _children(entity: str, manifest: Manifest) -> list[tuple[str, str]]:
    """Models that point at ``entity`` through to-one relations (at most two hops), nearest
    first, with the path from them to it."""
    found = []
    for label in manifest.models:
        if label == entity:
            continue
        route = routes_from(manifest, label).get(entity)
        if route is None or route.to_many or route.length == 0 or route.length > 3:
            continue
        found.append((route.length, label, route.path))
    found.sort()
    return [(label, path) for _, label, path in found]


def _retarget_where(plan: p.QueryPlan, child: str) -> p.Condition | None:
    return plan.where if plan.source == child else None


def _replace_time_field(plan: p.QueryPlan, old: str, new: str) -> p.QueryPlan:
    def swap(cond: p.Condition | None) -> p.Condition | None:
        if cond is None:
            return None
        if isinstance(cond, (p.And, p.Or)):
            return type(cond)(conditions=[swap(c) for c in cond.conditions])  # type: ignore[misc]
        if isinstance(cond, p.Not):
            return p.Not(condition=swap(cond.condition))  # type: ignore[arg-type]
        if getattr(cond, "field", None) == old:
            return cond.model_copy(update={"field": new})
        return cond

    keys = [k.model_copy(update={"field": new}) if k.field == old else k for k in plan.group_by]
    return plan.model_copy(update={"where": swap(plan.where), "group_by": keys})


def _name(text: str) -> str:
    return safe_name(text.replace(" ", "_"))


def model_label(info: ModelInfo) -> str:
    return f"{info.verbose_name_plural} ({info.label})"
