"""The offline planner: English questions to plans with rules and the manifest, no LLM.

Order of business for one question:

1. help ("what can I ask?") -> GENERAL_HELP with examples made from the manifest;
2. plainly not a data question (write requests, secrets, small talk) -> out of scope;
3. an answer to a pending clarification -> the chosen option's plan;
4. a follow-up of the previous plan ("and by month?", "only Germany") -> that plan, changed;
5. otherwise the question is read (time expressions, names, cue words), every plausible
   source model is tried, and the best reading becomes a plan, or a clarifying question
   when the choice is not the planner's to make.

Confidence is built from how the names matched: exact names and synonyms count fully, a
name's last word or an indexed value less, every assumption (a default date field, a
default amount) and every word left unexplained lowers it, and so does a close second
reading. Clean matches land around 0.9, guesses below 0.5, so the router's thresholds
can tell answering from asking.
"""

from __future__ import annotations

import logging
from typing import Any

from djai_dsl import plan as p
from djai_dsl.errors import DjaiError
from djai_dsl.grammar import format_plan, parse
from djai_dsl.manifest.types import Manifest
from djai_dsl.planners.base import (
    Clarification,
    OutOfScope,
    PlannerContext,
    PlannerResult,
    PlanProposal,
)
from djai_dsl.planners.offline.clarify import (
    choose_group,
    choose_metric,
    choose_model,
    choose_models_without_plan,
    choose_time_field,
)
from djai_dsl.planners.offline.cues import (
    AGG_WORDS,
    COUNT_PHRASES,
    DISTINCT_WORDS,
    GROUP_PHRASES,
    GROUP_WORDS,
    SORT_PHRASES,
    SUPERLATIVE_DIMENSION,
)
from djai_dsl.planners.offline.followup import FollowUp, looks_like_follow_up
from djai_dsl.planners.offline.lexicon import Lexicon, lexicon_for
from djai_dsl.planners.offline.mentions import (
    ValuePhrases,
    chain_mentions,
    drop_split_names,
    find_mentions,
    value_phrases,
)
from djai_dsl.planners.offline.readings import Reading, read
from djai_dsl.planners.offline.roles import Composer, assign_roles
from djai_dsl.planners.offline.scope import REPHRASE, help_reply, is_help, out_of_scope
from djai_dsl.planners.offline.text import STOPWORDS, expand, stems, tokenize
from djai_dsl.planners.offline.timeexpr import find_time
from djai_dsl.validation import plan_problems

logger = logging.getLogger("djai.planner.offline")

#: Two readings closer than this (in score) are "about as good".
AMBIGUITY_MARGIN = 0.35
MAX_QUESTION_LENGTH = 1000


class OfflinePlanner:
    """Rules over the manifest; see the module docstring."""

    name = "offline"

    def plan(self, question: str, context: PlannerContext, manifest: Manifest) -> PlannerResult:
        question = (question or "").strip()[:MAX_QUESTION_LENGTH]
        lex = lexicon_for(manifest)
        tokens = tokenize(question)
        if is_help(question, tokens):
            return help_reply(manifest)
        values = value_phrases(manifest)
        refusal = out_of_scope(tokens, _known_stems(lex, values))
        if refusal is not None:
            return refusal
        chosen = _answer_to_pending(question, context, manifest)
        if chosen is not None:
            return chosen
        today = context.now.astimezone(context.tz).date()
        times = find_time(tokens, today)
        skip = {i for h in times for i in range(h.start, h.end)}
        found = drop_split_names(tokens, find_mentions(tokens, lex, values, skip))
        mentions = chain_mentions(found, manifest)
        composer = Composer(
            question=question,
            text=expand(question),
            tokens=tokens,
            mentions=mentions,
            times=times,
            lexicon=lex,
            manifest=manifest,
            today=today,
        )
        if context.previous_plan is not None and looks_like_follow_up(tokens, mentions):
            result = FollowUp(composer, context.previous_plan, manifest).apply()
            if result is not None:
                return result
        return self._fresh(question, composer, manifest, tokens, mentions, lex, values)

    # ------------------------------------------------------------------ fresh questions

    def _fresh(
        self,
        question: str,
        composer: Composer,
        manifest: Manifest,
        tokens: list[Any],
        mentions: list[Any],
        lex: Lexicon,
        values: ValuePhrases,
    ) -> PlannerResult:
        unknown = _unknown_words(tokens, composer, lex, values)
        if not mentions:
            return _nothing_matched(question, composer, manifest, unknown)
        assign_roles(composer)
        readings = [rd for rd in read(composer) if rd.plan is not None]
        readings = [rd for rd in readings if rd.plan and not plan_problems(rd.plan, manifest)]
        if not readings:
            return OutOfScope(
                reason="I could not turn this into a query over the data you can see.",
                how_to_rephrase=REPHRASE,
                confidence=0.4,
            )
        best = readings[0]
        assert best.plan is not None
        confidence = _confidence(best, readings, unknown)
        ambiguity = self._ambiguity(question, best, readings, composer, manifest, confidence)
        if ambiguity is not None:
            return ambiguity
        return PlanProposal(
            plan=best.plan,
            confidence=confidence,
            candidate_models=list(dict.fromkeys(rd.source for rd in readings[:3])),
            notes=list(best.notes),
        )

    def _ambiguity(
        self,
        question: str,
        best: Reading,
        readings: list[Reading],
        composer: Composer,
        manifest: Manifest,
        confidence: float,
    ) -> Clarification | None:
        assert best.plan is not None
        if best.undefined_metric:
            ask = choose_metric(best.plan, composer.lex, manifest, 0.5)
            if len(ask.options) >= 2:
                return ask
        rivals = _rival_sources(best, readings, composer)
        if rivals:
            return choose_model(question, [best.plan, *rivals], manifest, 0.5)
        if best.time_fields and len(best.time_fields) > 1:
            return choose_time_field(best.plan, best.time_fields, manifest, 0.5)
        if best.group_alternatives:
            return choose_group(best.plan, best.group_alternatives, manifest, 0.5)
        return None


# ---------------------------------------------------------------------- helpers


def _known_stems(lex: Lexicon, values: ValuePhrases) -> set[str]:
    known = {w for key in lex.phrases for w in key}
    known |= {w for key in values.phrases for w in key}
    return known


def _unknown_words(
    tokens: list[Any], composer: Composer, lex: Lexicon, values: ValuePhrases
) -> list[str]:
    """Content words that no name, cue or time expression explains."""
    covered = {i for m in composer.mentions for i in range(m.start, m.end)}
    covered |= composer.time_tokens
    for c in composer.comparisons:
        covered |= set(range(c.start, c.end))
    for s in composer.text_searches:
        covered |= set(range(s.start, s.end))
    out = []
    cue_words = {w for phrase in AGG_WORDS for w in phrase}
    cue_words |= {w for phrase in COUNT_PHRASES for w in phrase}
    cue_words |= GROUP_WORDS | set(SUPERLATIVE_DIMENSION) | DISTINCT_WORDS
    cue_words |= {w for phrase in GROUP_PHRASES + SORT_PHRASES for w in phrase}
    cue_words |= {"top", "bottom", "first", "last", "most", "least", "fewest", "ascending",
                  "descending", "expensive", "recent", "never", "not", "no", "without", "only",
                  "are", "there", "total", "new", "ones", "one", "yet", "still", "ever", "yes",
                  "true", "false", "nor", "neither", "both", "either", "currently", "now",
                  "right", "else", "other", "than", "records", "rows", "entries", "items",
                  "data", "things", "stuff", "breakdown", "value", "values", "money"}  # fmt: skip
    for i, t in enumerate(tokens):
        if i in covered or t.kind != "word" or t.lower in STOPWORDS or t.lower in cue_words:
            continue
        if len(t.lower) <= 2:
            continue
        out.append(t.lower)
    return out


def _nothing_matched(
    question: str, composer: Composer, manifest: Manifest, unknown: list[str]
) -> PlannerResult:
    """No name matched. With only function words and a time expression ("how many in
    2024?") the question is about some dated records: ask which. Otherwise it is not about
    this data."""
    if unknown:
        return OutOfScope(
            reason="That does not look like a question about the data I can see.",
            how_to_rephrase=REPHRASE,
            confidence=0.8,
        )
    if composer.time_hits:
        dated = [
            label for label, info in manifest.models.items() if info.default_time_field is not None
        ]
        if dated:
            return choose_models_without_plan(question, dated, manifest, 0.4)
    return OutOfScope(
        reason="I need to know what to look at: name the records (orders, customers...).",
        how_to_rephrase=REPHRASE,
        confidence=0.6,
    )


def _rival_sources(best: Reading, readings: list[Reading], composer: Composer) -> list[p.QueryPlan]:
    """Readings from other models that are about as good, when the question did not name
    its model: "How many are pending?" fits orders and tickets alike."""
    named: set[str] = set()
    for m in composer.mentions:
        if m.role not in (
            "subject",
            "counted",
            "entity",
            "counted_having",
            "metric_having",
            "metric",
        ):
            continue
        kinds = ("model",) if m.role == "subject" else ("model", "measure", "field")
        senses = [s for s in m.senses if s.kind in kinds]
        top = max((s.strength for s in senses), default=0)
        owners = {s.model for s in senses if s.strength == top}
        if len(owners) == 1:  # named outright, not "amount" (of payments? of refunds?)
            named |= owners
    if best.source in named:
        return []
    rivals = []
    seen = {best.source}
    assert best.plan is not None
    best_text = format_plan(best.plan)
    for rd in readings[1:]:
        if rd.source in seen or rd.plan is None:
            continue
        if rd.problems and not best.problems:
            continue  # a reading that leaves words unexplained is no real alternative
        if rd.score >= best.score - AMBIGUITY_MARGIN and format_plan(rd.plan) != best_text:
            rivals.append(rd.plan)
            seen.add(rd.source)
    return rivals


def _confidence(best: Reading, readings: list[Reading], unknown: list[str]) -> float:
    value = best.confidence
    value *= 0.85 ** len(best.problems)
    value *= 0.9 ** min(len(unknown), 4)
    if len(readings) > 1:
        margin = best.score - readings[1].score
        value *= 0.7 + 0.3 * min(1.0, max(margin, 0.0) / 1.5)
    return round(max(0.05, min(0.97, value)), 3)


def _answer_to_pending(
    question: str, context: PlannerContext, manifest: Manifest
) -> PlannerResult | None:
    """A reply that picks one of the pending clarification's options: by id, or because
    its words are all in exactly one option's label ("tickets", "the shipping country")."""
    pending = context.pending_clarification
    if not pending:
        return None
    options = [o for o in pending.get("options") or [] if isinstance(o, dict)]
    text = question.strip().lower().rstrip("?.! ")
    said = {w for w in stems(text) if w not in STOPWORDS}
    matches = []
    for option in options:
        if text == str(option.get("id", "")).lower():
            matches = [option]
            break
        label = set(stems(str(option.get("label", ""))))
        if said and said <= label:
            matches.append(option)
    if len(matches) != 1:
        return None
    plan = matches[0].get("plan")
    try:
        if isinstance(plan, p.QueryPlan):
            chosen = plan
        elif isinstance(plan, str) and plan.strip():
            chosen = parse(plan, manifest=manifest)
        else:
            return None
    except DjaiError:  # a stale option: the reply is planned as a question instead
        return None
    return PlanProposal(plan=chosen, confidence=0.95, notes=["chosen from the options"])
