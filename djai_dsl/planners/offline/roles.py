"""Reading a question: what each name in it is for, and which models could answer it.

The cue words decide the **role** of each mention: the thing counted ("how many orders"),
the metric ("average price", "revenue"), a grouping ("by country", "per month"), the entity
of a top-N or having question ("top 5 customers", "countries with more than 50
customers"), the field of a comparison or a text search, the date field of a time
expression, or a filter (values, segments, yes/no fields, "without X").

The :class:`Composer` then lists the models that could be the **source** (the counted
model, the metric's model, a model named as the subject, the owner of a value, and models
below them that reach every group through to-one relations) and resolves names from a
source along relation paths. :mod:`.readings` builds one plan per source from this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from djai_dsl import plan as p
from djai_dsl.manifest.types import NUMERIC_TYPES, TEMPORAL_TYPES, FieldInfo, Manifest, ModelInfo
from djai_dsl.planners.offline.cues import (
    AGG_WORDS,
    CURRENCY_WORDS,
    DISTINCT_WORDS,
    GROUP_PHRASES,
    GROUP_WORDS,
    SORT_PHRASES,
    SUPERLATIVE_DIMENSION,
    Comparison,
    TextSearch,
    agent_by,
    count_cue_ends,
    find_comparisons,
    find_text_searches,
    match_phrase,
)
from djai_dsl.planners.offline.lexicon import HEAD, Lexicon, Sense
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.naming import safe_name
from djai_dsl.planners.offline.paths import Route, routes_from
from djai_dsl.planners.offline.text import STOPWORDS, Token, stems
from djai_dsl.planners.offline.timeexpr import TimeHit

#: How much a name loses per relation hop from the source.
TO_ONE_DECAY = 0.85
TO_MANY_DECAY = 0.6
#: Default row count for "top customers by revenue" without a number.
DEFAULT_TOP = 10
SUBJECT_BONUS = 0.6
METRIC_BONUS = 0.8

EXISTENCE_LEADS = frozenset({"with", "have", "has", "had", "having", "placed", "made"})
HAVING_LEADS = frozenset(
    {"with", "who", "that", "which", "whose", "having", "where", "have", "has", "had"}
)
LISTING_WORDS = frozenset({"list", "show", "which", "display", "find", "give", "what"})
FILLERS = frozenset({"the", "a", "an", "of", "our", "all", "each", "every", "any", "their"})


@dataclass
class Metric:
    func: str  # count, sum, avg, min, max
    mention: Mention | None = None  # what is counted or aggregated (None: rows / default)
    distinct: bool = False
    start: int = -1  # where the cue was (for ordering and naming)


@dataclass
class Top:
    limit: int | None
    descending: bool
    dimension: str  # price, length, amount, time, undefined, metric
    start: int
    end: int


@dataclass
class Roles:
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
    sort_ascending: bool | None = None
    listing: bool = False
    # Unknown proper nouns, with the models named right before them ("the artist Queen").
    searches: list[tuple[str, list[str]]] = field(default_factory=list)


class Composer:
    def __init__(
        self,
        *,
        question: str,
        text: str,
        tokens: list[Token],
        mentions: list[Mention],
        times: list[TimeHit],
        lexicon: Lexicon,
        manifest: Manifest,
        today: dt.date,
    ) -> None:
        self.question = question
        self.text = text
        self.tokens = tokens
        self.mentions = mentions
        self.time_hits = times
        self.lex = lexicon
        self.manifest = manifest
        self.today = today
        self.words = [t.lower for t in tokens]
        self.time_tokens = {i for h in times for i in range(h.start, h.end)}
        self.comparisons = find_comparisons(tokens, self.time_tokens)
        self.text_searches = find_text_searches(tokens, text, self.time_tokens)
        self.roles = Roles()
        self._routes: dict[str, dict[str, Route]] = {}

    # ------------------------------------------------------------------ helpers

    def routes(self, source: str) -> dict[str, Route]:
        if source not in self._routes:
            self._routes[source] = routes_from(self.manifest, source)
        return self._routes[source]

    def model(self, label: str) -> ModelInfo:
        return self.manifest.models[label]

    def mention_at(self, index: int, reach: int = 1, skip_fillers: bool = True) -> Mention | None:
        """The mention starting at ``index`` (or a few filler words later)."""
        j = index
        steps = 0
        while j < len(self.tokens) and steps <= reach:
            for m in self.mentions:
                if m.start == j:
                    return m
            if skip_fillers and self.words[j] in FILLERS | DISTINCT_WORDS | {"total"}:
                j += 1
                continue
            j += 1
            steps += 1
        return None

    def mention_before(self, index: int, reach: int = 3) -> Mention | None:
        best = None
        for m in self.mentions:
            if index - reach <= m.end <= index and (best is None or m.end > best.end):
                best = m
        return best

    def unassigned(self) -> list[Mention]:
        return [m for m in self.mentions if not m.role]

    # ------------------------------------------------------------------ roles

    def assign_roles(self) -> Roles:
        r = self.roles
        r.listing = bool(self.words) and self.words[0] in LISTING_WORDS
        self._time_roles()
        self._text_roles()
        self._count_roles()
        self._top_roles()
        self._agg_roles()
        self._group_roles()
        self._comparison_roles()
        self._remaining_roles()
        return r

    def _time_roles(self) -> None:
        for hit in self.time_hits:
            if hit.kind == "bucket":
                self.roles.buckets.append(hit)
                continue
            field_mention = None
            before = self.mention_before(hit.start, reach=3)
            if (
                before is not None
                and not before.role
                and (self.primary_kind(before) == "field" or before.text.lower().endswith("ed"))
            ):
                temporal = [
                    s for s in before.of_kind("field") if self._field_type(s) in TEMPORAL_TYPES
                ]
                if temporal:
                    before.role = "time_field"
                    before.senses = temporal + [s for s in before.senses if s not in temporal]
                    field_mention = before
            self.roles.times.append((hit, field_mention))

    def _text_roles(self) -> None:
        for search in self.text_searches:
            before = self.mention_before(search.start, reach=3)
            if before is not None and not before.role and before.of_kind("field"):
                before.role = "text_field"
            else:
                before = None
            for m in self.mentions:  # the searched text is not a name
                if search.start <= m.start < search.end:
                    m.role = "searched"
            self.roles.texts.append((search, before))

    def _count_roles(self) -> None:
        for end in count_cue_ends(self.tokens):
            distinct = any(w in DISTINCT_WORDS for w in self.words[end : end + 2])
            # "how many business customers": skip the filters before the counted name
            for m in self.mentions:
                if m.start < end or m.role:
                    continue
                if m.start - end > 4:
                    break
                if (
                    m.has("value", "segment")
                    and not self._only_models(m)
                    and not (self._counted_field(m))
                ):
                    continue
                if any(self._field_type(s) == "boolean" for s in m.of_kind("field")):
                    continue
                if self._names_adjacent_value(m):
                    continue
                if m.has("model", "field", "relation", "measure"):
                    m.role = "counted"
                    self.roles.counted.append((m, distinct))
                break

    def _counted_field(self, m: Mention) -> bool:
        return any(self._field_type(s) in NUMERIC_TYPES for s in m.of_kind("field"))

    def _comparison_tokens(self) -> set[int]:
        return {k for c in self.comparisons for k in range(c.start, c.end)}

    def _top_roles(self) -> None:
        words = self.words
        skip = self.time_tokens | self._comparison_tokens()
        for i, w in enumerate(words):
            if i in skip:
                continue
            limit = None
            descending = True
            start = i
            j = i
            if w in ("top", "bottom", "first", "last") and i + 1 < len(words):
                descending = w in ("top", "last")
                if self.tokens[i + 1].kind == "number":
                    limit = int(self.tokens[i + 1].value or 0)
                    j = i + 2
                else:
                    j = i + 1
                dimension = "metric" if w in ("top", "bottom") else "time"
                if w == "first":
                    descending = False
                sup = self._superlative(j)
                if sup is not None:
                    dimension, descending, j = sup
                elif w in ("top", "bottom"):
                    dimension = "undefined"
                self.roles.top = Top(
                    limit or (DEFAULT_TOP if w != "first" else 1), descending, dimension, start, j
                )
                if limit is None and w in ("top", "bottom"):
                    self.roles.top.limit = None
                return
            if self.tokens[i].kind == "number" and i + 1 < len(words):
                sup = self._superlative(i + 1)
                if sup is not None and float(self.tokens[i].value or 0).is_integer():
                    dimension, descending, j = sup
                    self.roles.top = Top(
                        int(self.tokens[i].value or 0), descending, dimension, i, j
                    )
                    return
            if (
                w in ("most", "least")
                and self._ends_clause(i + 1)
                and words[0] in ("which", "what", "who")
            ):
                # "which payment method is used most?", "... is the most common?"
                self.roles.top = Top(None, w == "most", "metric", i, i + 1)
                self._which_entity(i)
                return
            if w in ("most", "fewest", "least") and (
                i == 0 or words[i - 1] in ("the", "have", "has", "with", "had", "do", "does", "did")
            ):
                # "the most orders", "most of our customers"
                nxt = self.mention_at(i + 1, reach=0 if words[i + 1 : i + 2] != ["of"] else 1)
                if (
                    nxt is not None
                    and not nxt.role
                    and nxt.has("model", "relation", "field", "measure")
                ):
                    if self.primary_kind(nxt) in ("model", "relation"):
                        nxt.role = "counted"
                        self.roles.counted.append((nxt, False))
                    else:
                        nxt.role = "metric"
                        self.roles.metrics.append(Metric("sum", nxt, start=i))
                    self.roles.top = Top(None, w == "most", "metric", i, i + 1)
                    self._which_entity(i)
                    return
        for i in range(len(words)):  # "the five largest orders", "the cheapest product"
            if i in skip:
                continue
            sup = self._superlative(i)
            if sup is None:
                continue
            dimension, descending, j = sup
            nxt = self._entity_after(j)
            if nxt is not None and nxt.has("model") and not nxt.has("field", "measure"):
                self.roles.top = Top(None, descending, dimension, i, j)
                return
            if nxt is None and words[0] in ("which", "who", "what") and dimension == "undefined":
                # "Which customers are the best?": the entity came first
                self.roles.top = Top(None, descending, dimension, i, j)
                self._which_entity(i)
                return

    def _ends_clause(self, j: int) -> bool:
        rest = [w for w in self.words[j:] if w not in ("common", "popular", "frequent", "often",
                                                       "frequently", "used", "?")]  # fmt: skip
        return not rest

    def _which_entity(self, index: int) -> None:
        """In "Which 3 countries have the most customers" the entity comes first, and a
        number before it (or a singular "which customer has") is the limit."""
        top = self.roles.top
        assert top is not None
        before = [m for m in self.mentions if m.end <= index and not m.role]
        entity = next(
            (m for m in before if m.has("model", "field", "relation") and not self._is_filter(m)),
            None,
        )
        if entity is None:
            return
        entity.role = "entity"
        self.roles.entity = entity
        numbers = [t for t in self.tokens[: entity.start] if t.kind == "number"]
        if numbers and float(numbers[-1].value or 0).is_integer():
            top.limit = int(numbers[-1].value or 0)
        elif self.words[entity.end : entity.end + 1] in (["has"], ["is"], ["was"]) or (
            entity.text.lower() == self.tokens[entity.start].stem
        ):
            top.limit = 1

    def _is_filter(self, m: Mention) -> bool:
        return (m.has("value", "segment") and not self._only_models(m)) or any(
            self._field_type(s) == "boolean" for s in m.of_kind("field")
        )

    def _entity_after(self, index: int) -> Mention | None:
        """The first name after ``index`` that is not a filter ("the 5 cheapest active
        products": products, not active)."""
        for m in self.mentions:
            if m.start < index or m.role:
                continue
            if m.start - index > 4:
                return None
            if self._is_filter(m):
                continue
            return m
        return None

    def _superlative(self, j: int) -> tuple[str, bool, int] | None:
        words = self.words
        if j >= len(words):
            return None
        if words[j] in ("most", "least") and j + 1 < len(words):
            nxt = words[j + 1]
            if nxt in SUPERLATIVE_DIMENSION or nxt in ("expensive", "recent", "popular"):
                dim = SUPERLATIVE_DIMENSION.get(nxt, "undefined")
                descending = words[j] == "most"
                if dim == "price" and nxt == "expensive":
                    descending = words[j] == "most"
                return dim, descending, j + 2
            return ("metric", words[j] == "most", j + 1)
        w = words[j]
        if w in SUPERLATIVE_DIMENSION:
            dim = SUPERLATIVE_DIMENSION[w]
            descending = w not in ("cheapest", "smallest", "lowest", "shortest", "oldest",
                                   "earliest", "worst", "bottom")  # fmt: skip
            return dim, descending, j + 1
        return None

    def _agg_roles(self) -> None:
        words = self.words
        for cue in self.mentions:  # "total quantity": "total" is the cue, not the order total
            if cue.role or cue.end - cue.start != 1 or words[cue.start] not in ("total", "sum"):
                continue
            nxt = self.mention_at(cue.end, reach=0)
            if nxt is not None and not nxt.role and self._has_numeric(nxt):
                cue.role = "cue"
                nxt.role = "metric"
                self.roles.metrics.append(Metric("sum", nxt, start=cue.start))
        covered = {i for m in self.mentions for i in range(m.start, m.end)}
        covered |= self._comparison_tokens()
        i = 0
        while i < len(words):
            if i in covered or i in self.time_tokens:
                i += 1
                continue
            found = None
            for phrase, func in AGG_WORDS.items():
                if match_phrase(words, i, phrase):
                    found = (phrase, func)
                    break
            if found is None:
                i += 1
                continue
            phrase, func = found
            end = i + len(phrase)
            if self.roles.top is not None and self.roles.top.start <= i < self.roles.top.end:
                i = end
                continue
            if (
                phrase in (("in",), ("total",))
                and i > 0
                and words[i - 1] in ("in", "the")
                and (i + 1 >= len(words) or words[i + 1] in ("?", "of"))
            ):
                i = end
                continue
            m: Mention | None = self.mention_at(end, reach=2)
            if (
                m is not None
                and not m.role
                and m.has("value", "segment")
                and not self._has_numeric(m)
                and not self._only_models(m)
            ):
                m = None  # "total value of all delivered orders": a filter, not the metric
            if m is None or m.role:
                opening = all(w in FILLERS | {"what", "is", "was", "were"} for w in words[:i])
                if phrase == ("how", "much") or (phrase == ("total",) and opening):
                    self.roles.metrics.append(Metric("sum", None, start=i))
                i = end
                continue
            if m.has("measure", "field") and self._numeric_primary(m):
                m.role = "metric"
                self.roles.metrics.append(Metric(func, m, start=i))
            elif m.has("model") and phrase == ("total",) and not self._numeric_primary(m):
                m.role = "counted"  # "total orders" counts orders
                self.roles.counted.append((m, False))
            elif m.has("model") and func in ("sum", "avg"):
                m.role = (
                    "metric"  # "sum of all payments", "how much was refunded", "average refund"
                )
                self.roles.metrics.append(Metric(func, m, start=i))
            elif m.has("model") and func in ("max", "min") and self.roles.top is None:
                dim = SUPERLATIVE_DIMENSION.get(words[i], "amount")
                self.roles.top = Top(1, func == "max", dim, i, end)
            i = end

    def _group_roles(self) -> None:
        words = self.words
        i = 0
        while i < len(words):
            if i in self.time_tokens:
                i += 1
                continue
            phrase = next((ph for ph in SORT_PHRASES if match_phrase(words, i, ph)), None)
            if phrase is not None:
                m = self.mention_at(i + len(phrase), reach=1)
                if m is not None and not m.role:
                    m.role = "sort"
                    self.roles.sort_metric = m
                i += len(phrase)
                continue
            phrase = next((ph for ph in GROUP_PHRASES if match_phrase(words, i, ph)), None)
            length = len(phrase) if phrase else 0
            if phrase is None and words[i] in GROUP_WORDS:
                if words[i] == "by" and agent_by(self.tokens, i):
                    i += 1
                    continue
                length = 1
            if not length:
                i += 1
                continue
            if phrase == ("breakdown",):  # "status breakdown": the name comes before
                m = self.mention_at(i + length, reach=0) or self.mention_before(i, reach=1)
            else:
                m = self.mention_at(i + length, reach=1 + self._capitalised_run(i + length))
            i += length
            if m is None or m.role:
                continue
            if self._is_metric_mention(m) and (self.roles.top is not None or self.roles.entity):
                m.role = "metric"
                self.roles.metrics.append(Metric("sum", m, start=i))
                continue
            if m.has("model") and self._followed_by_value(m):
                continue  # "by customers from the US": who, not a grouping
            m.role = "group"
            self.roles.groups.append(m)

    def _capitalised_run(self, j: int) -> int:
        """Capitalised words at ``j`` ("each Led Zeppelin album"): a name to skip over."""
        n = 0
        while j + n < len(self.tokens) and self.tokens[j + n].text[:1].isupper():
            n += 1
        return n

    def _followed_by_value(self, m: Mention) -> bool:
        nxt = self.mention_at(m.end, reach=2, skip_fillers=True)
        return (
            nxt is not None
            and nxt.has("value")
            and m.end < len(self.words)
            and self.words[m.end] in ("from", "in", "with", "at")
        )

    def _comparison_roles(self) -> None:
        for comp in self.comparisons:
            after = self.mention_at(comp.end, reach=1)
            if (
                after is not None
                and not after.role
                and (
                    after.has("model")
                    or (self._has_numeric(after) and after.has("field", "measure"))
                )
            ):
                if self.primary_kind(after) in ("model", "relation"):
                    after.role = "counted_having"
                    self.roles.having.append((comp, Metric("count", after, start=comp.start)))
                else:
                    after.role = "metric_having"
                    self.roles.having.append((comp, Metric("sum", after, start=comp.start)))
                continue
            before = self.mention_before(comp.start, reach=3)
            if before is not None and before.role == "metric":
                metric = next(mt for mt in self.roles.metrics if mt.mention is before)
                if self._entity_before(before.start) is not None or self.roles.groups:
                    self.roles.having.append((comp, metric))
                    continue
            if before is not None and not before.role and self._numeric_primary(before):
                entity = self._entity_before(before.start)
                if entity is not None and not self._owns(entity, before):
                    # "shipping countries with revenue above ...", "customers who spent
                    # more than ...": a total per group, not a row's value
                    before.role = "metric_having"
                    self.roles.having.append((comp, Metric("sum", before, start=comp.start)))
                    continue
                before.role = "compare_field"
                self.roles.compares.append((comp, before))
                continue
            if before is not None and before.role == "metric" and not self.roles.groups:
                self.roles.compares.append((comp, before))
                continue
            self.roles.compares.append((comp, None))
        if self.roles.having:
            first = min(c.start for c, _ in self.roles.having)
            entity = self._entity_before(first)
            if entity is not None and not entity.role:
                entity.role = "group"
                self.roles.groups.insert(0, entity)
                self.roles.entity = entity

    def _owns(self, entity: Mention, field_mention: Mention) -> bool:
        """Whether the entity is the model whose rows carry the field ("orders with a
        total above 100" filters orders)."""
        if self.primary_kind(entity) != "model":
            return False
        models = {s.model for s in entity.of_kind("model") if s.strength >= 1.0}
        return any(s.model in models for s in field_mention.of_kind("field", "measure"))

    def _entity_before(self, index: int) -> Mention | None:
        """The name before "with/who/that ... more than N" (the groups of a having)."""
        candidates = [m for m in self.mentions if m.end <= index]
        for m in reversed(candidates):
            between = self.words[m.end : index]
            if any(w in HAVING_LEADS for w in between) and (m.has("model", "field", "relation")):
                return m
        return None

    def _remaining_roles(self) -> None:
        r = self.roles
        # The entity of a top-N: "top 5 customers by revenue", "the 10 most expensive products".
        if r.top is not None and r.entity is None:
            m = self._entity_after(r.top.end)
            if m is not None and not m.role:
                r.entity = m
                m.role = "entity"
        aggregating = bool(r.groups or r.buckets or r.top or r.having or r.entity)
        for m in self.unassigned():
            if (
                m.start > 0
                and self.words[m.start - 1] == "in"
                and m.text.lower() in ("total", "all")
            ):
                m.role = "hint"  # "in total": an idiom, not the field "total"
                continue
            if self._verb_form(m) or self._field_hint(m) or self._names_adjacent_value(m):
                m.role = "hint"
                continue
            if self._bare_metric(m, aggregating):
                m.role = "metric"
                func = "sum"
                if r.top is not None and not r.groups and r.top.dimension != "metric":
                    # "the length of the longest track": the superlative says max
                    func = "max" if r.top.descending else "min"
                r.metrics.append(Metric(func, m, start=m.start))
            elif (m.has("value", "segment") and not self._only_models(m)) or any(
                self._field_type(s) == "boolean" for s in m.of_kind("field")
            ):
                m.role = "filter"
                r.filters.append(m)
            elif m.has("model") and self._qualifier(m):
                m.role = "hint"  # "the Laptops category": whose value "Laptops" is
            elif m.has("model"):
                m.role = "subject"
                r.subjects.append(m)
            elif m.has("relation", "field"):
                m.role = "attribute"
                r.filters.append(m)
        self._proper_nouns()

    def _names_adjacent_value(self, m: Mention) -> bool:
        """A field's name next to its own value: "high priority", "status pending"."""
        if m.has("value", "segment", "model") or not m.has("field"):
            return False
        fields = {(s.model, s.name) for s in m.of_kind("field")}
        for other in self.mentions:
            if other is m or not (other.end == m.start or m.end == other.start):
                continue
            if any((s.model, s.name) in fields for s in other.of_kind("value")):
                return True
        return False

    def _qualifier(self, m: Mention) -> bool:
        """A model named right after one of its values: "the Grunge playlist"."""
        models = {s.model for s in m.of_kind("model")}
        for other in self.mentions:
            if other.end in (m.start, m.start - 1) and other.role in ("filter", ""):
                for s in other.of_kind("value"):
                    profile = self.lex.profiles.get(s.model)
                    if s.model in models and profile and s.name in profile.label_fields:
                        return True
        return False

    def _field_hint(self, m: Mention) -> bool:
        """In "shipped to Japan", "shipped" names the field of the value after it
        (shipping country), it is not the status "shipped"."""
        if not m.has("value"):
            return False
        own = {t.stem for t in self.tokens[m.start : m.end]}
        for other in self.mentions:
            if other is m or not (0 <= other.start - m.end <= 2) or not other.has("value"):
                continue
            for s in other.of_kind("value"):
                f = self._field_info(s)
                if f is not None and own <= set(stems(f.name)) | set(stems(f.verbose_name)):
                    return True
        return False

    def _bare_metric(self, m: Mention, aggregating: bool) -> bool:
        """A measure named on its own ("revenue this month"), or a numeric field's own
        name or synonym in a grouped question ("monthly sales"), is what to compute."""
        if m.negated:
            return False
        opening = all(w in FILLERS | {"what", "is", "was", "were"} for w in self.words[: m.start])
        if (
            opening
            and "of" in self.words[m.end : m.end + 2]
            and any(
                s.strength >= 1.0 and self._field_type(s) in NUMERIC_TYPES
                for s in m.of_kind("field")
            )
        ):
            return True  # "Total value of all delivered orders", "price of the cheapest ..."
        if self.roles.counted and not aggregating:
            return False
        if any(s.strength >= 1.0 for s in m.of_kind("measure")):
            return not m.has("value", "segment") or aggregating
        strong_numeric = [
            s
            for s in m.of_kind("field")
            if s.strength >= 1.0 and self._field_type(s) in NUMERIC_TYPES
        ]
        return bool(strong_numeric) and aggregating and not self.roles.counted

    def _proper_nouns(self) -> None:
        """Capitalised words (not at the start) and quoted text that matched nothing: names
        of things the value index does not hold, searched in text fields later."""
        covered = {i for m in self.mentions for i in range(m.start, m.end)}
        covered |= self.time_tokens
        covered |= {i for s in self.text_searches for i in range(s.start, s.end)}
        covered |= self._comparison_tokens()
        run: list[Token] = []
        runs: list[list[Token]] = []
        for i, t in enumerate(self.tokens):
            proper = (
                i not in covered
                and i > 0
                and t.kind in ("word", "quoted")
                and (t.kind == "quoted" or t.text[:1].isupper())
                and t.lower not in STOPWORDS
                and t.lower not in CURRENCY_WORDS
            )
            if proper:
                run.append(t)
            else:
                if run:
                    runs.append(run)
                run = []
        if run:
            runs.append(run)
        for tokens in runs:
            text = self.text[tokens[0].start : tokens[-1].end].strip("\"'“”")
            if len(text) >= 2:
                index = self.tokens.index(tokens[0])
                owner = self.mention_before(index, reach=0)
                models = [s.model for s in owner.of_kind("model")] if owner is not None else []
                if owner is not None and models and not owner.role:
                    owner.role = "hint"  # "the artist Queen": a name of an artist
                self.roles.searches.append((text, models))

    # ------------------------------------------------------------------ sense helpers

    def _field_info(self, s: Sense) -> FieldInfo | None:
        info = self.manifest.models.get(s.model)
        return info.fields.get(s.name) if info is not None else None

    def _field_type(self, s: Sense) -> str | None:
        f = self._field_info(s)
        return f.type if f is not None else None

    def primary_kind(self, m: Mention) -> str:
        """The kind of the strongest sense (a model outranks a weak measure of the same
        word: "customers" is the model before it is "unique customers")."""
        order = {"model": 0, "relation": 1, "measure": 2, "field": 3, "segment": 4, "value": 5}
        best = max(m.senses, key=lambda s: (s.strength, -order[s.kind]))
        return best.kind

    def _numeric_primary(self, m: Mention) -> bool:
        """The mention is first of all a number (a numeric field or a measure), not a
        model that happens to share a word with one ("invoices", "average invoice")."""
        if not self._has_numeric(m):
            return False
        kind = self.primary_kind(m)
        if kind == "measure":
            return True
        if kind == "field":
            top = max(s.strength for s in m.senses)
            return any(
                s.strength == top and self._field_type(s) in NUMERIC_TYPES
                for s in m.of_kind("field")
            )
        return False

    def _has_numeric(self, m: Mention) -> bool:
        return any(self._field_type(s) in NUMERIC_TYPES for s in m.of_kind("field")) or m.has(
            "measure"
        )

    def _is_metric_mention(self, m: Mention) -> bool:
        return (
            m.has("measure")
            or (self._has_numeric(m) and not m.has("value", "segment") and not m.has("model"))
            or m.role == "counted"
        )

    def exact(self, m: Mention, s: Sense) -> bool:
        """Whether the mention spells the sense's name exactly ("refunds" is the model's
        plural; "refunded" is the status value; both stem to "refund")."""
        if s.kind == "value" and s.source == "index":
            return m.text.lower() == str(s.value).lower()
        return self.lex.exact(s, m.text)

    def _only_models(self, m: Mention) -> bool:
        strong_models = [s for s in m.of_kind("model") if s.strength > HEAD]
        if not strong_models:
            return False
        others = [s for s in m.senses if s.kind in ("value", "segment")]
        if any(self.exact(m, s) for s in strong_models) and not any(
            self.exact(m, s) for s in others
        ):
            return True
        return all(s.strength < strong_models[0].strength for s in others)

    def _verb_form(self, m: Mention) -> bool:
        """A verb, not a value: "opened" in "tickets opened yesterday" is the event, not the
        status "open"."""
        word = m.text.lower()
        values = [s for s in m.senses if s.kind in ("value", "segment")]
        return (
            word.endswith("ed")
            and bool(values)
            and not any(self.exact(m, s) for s in values)
            and all(len(word) > len(str(s.value or s.name)) for s in values)
        )

    # ------------------------------------------------------------------ sources

    def source_candidates(self) -> list[str]:
        r = self.roles
        out: list[str] = []

        def add(labels: list[str]) -> None:
            for label in labels:
                if label not in out and label in self.manifest.models:
                    out.append(label)

        for m, _ in r.counted:
            add([s.model for s in m.of_kind("model")])
            add([s.model for s in m.of_kind("field", "measure")])
            add([self._relation_target(s) for s in m.of_kind("relation")])
        for _, metric in r.having:
            if metric.mention is not None:
                add([s.model for s in metric.mention.of_kind("model", "field", "measure")])
        for metric in r.metrics:
            if metric.mention is not None:
                add([s.model for s in metric.mention.of_kind("measure", "field", "model")])
        if r.sort_metric is not None:
            add([s.model for s in r.sort_metric.of_kind("measure", "field")])
        for m in r.subjects:
            add([s.model for s in m.of_kind("model")])
        if r.entity is not None:
            add([s.model for s in r.entity.of_kind("model")])
            add([s.model for s in r.entity.of_kind("field")])
        for m in r.groups:
            add([s.model for s in m.senses if s.kind in ("field", "relation")])
        for m in r.filters:
            add([s.model for s in m.senses])
        for m in self.mentions:
            if m.role in ("time_field", "text_field", "compare_field"):
                add([s.model for s in m.senses])
        # "How many tracks were sold": counted from the lines that sell them.
        if self.sales_verb() and r.counted:
            for m, _ in r.counted:
                for s in m.of_kind("model"):
                    add(self._lines_of(s.model))
        # Re-rooting: a model below the metric's model that reaches every group by to-one
        # hops ("revenue by product category" is answered from order lines).
        if r.groups or r.entity:
            for label in list(out):
                add(self._children_reaching_groups(label))
        return out

    def sales_verb(self) -> bool:
        return any(w in SALES_VERBS for w in self.words)

    def _lines_of(self, label: str) -> list[str]:
        """Models with a direct to-one relation to ``label`` that record quantities (order
        lines, invoice lines): where "sold" and "ordered" are counted."""
        out = []
        for other, info in self.manifest.models.items():
            if other == label:
                continue
            points_here = any(r.target == label and not r.many for r in info.relations.values())
            if points_here and units_aggregate(info) is not None:
                out.append(other)
        return out

    def _relation_target(self, s: Sense) -> str:
        info = self.manifest.models.get(s.model)
        rel = info.relations.get(s.name) if info is not None else None
        return rel.target if rel is not None else ""

    def _children_reaching_groups(self, label: str) -> list[str]:
        out = []
        group_mentions = [*self.roles.groups, *([self.roles.entity] if self.roles.entity else [])]
        for other in self.manifest.models:
            if other == label:
                continue
            routes = self.routes(other)
            to_parent = routes.get(label)
            if to_parent is None or to_parent.to_many or to_parent.length > 2:
                continue
            if all(self._resolve_group_paths(g, other) for g in group_mentions):
                out.append(other)
        return out

    # ------------------------------------------------------------------ resolving names

    def sense_reach(self, s: Sense, source: str) -> tuple[float, Route | None]:
        """How well a sense fits ``source``: its strength, decayed per hop; and the route."""
        owner = s.model
        route = self.routes(source).get(owner)
        if route is None:
            return 0.0, None
        decay = 1.0
        for hop in route.hops:
            decay *= TO_MANY_DECAY if hop.many else TO_ONE_DECAY
        return s.strength * decay, route

    def _resolve_group_paths(self, m: Mention, source: str) -> list[str]:
        """Group-by paths for a mention from ``source`` (to-one only): a field's path, or a
        related model's key and label fields."""
        best: tuple[float, list[str]] | None = None
        for s in m.senses:
            score, route = self.sense_reach(s, source)
            if route is None or route.to_many or score <= 0:
                continue
            paths: list[str] = []
            if s.kind == "field":
                paths = [route.join(s.name)]
            elif s.kind == "relation":
                rel = self.model(s.model).relations[s.name]
                if rel.many:
                    continue
                rel_path = route.join(s.name)
                paths = self._entity_paths(rel_path, rel.target)
            elif s.kind == "model":
                if s.model == source:
                    continue
                paths = self._entity_paths(route.path, s.model)
            elif s.kind == "value":
                paths = [route.join(s.name)]
                score *= 0.5
            if paths and (best is None or score > best[0]):
                best = (score, paths)
        return best[1] if best else []

    def _entity_paths(self, rel_path: str, target: str) -> list[str]:
        """A related row as group keys: its key plus its label fields."""
        profile = self.lex.profiles.get(target)
        labels = profile.label_fields if profile else []
        return [rel_path] + [f"{rel_path}.{name}" for name in labels]


# ---------------------------------------------------------------------- quantities

SALES_VERBS = frozenset(
    [
        "sold",
        "sell",
        "sells",
        "selling",
        "bought",
        "buy",
        "buys",
        "purchased",
        "purchase",
        "purchases",
        "ordered",
    ]
)
UNIT_STEMS = frozenset({"unit", "quantity", "qty", "sal"})


def units_aggregate(info: ModelInfo) -> p.AggregateItem | None:
    """How a line model says "how many were sold": a measure or an integer field about
    units or quantity (by its words), or None when it has neither."""
    for name in info.measures:
        if set(stems(name)) & UNIT_STEMS:
            return p.MeasureRef(name=safe_name(name), measure=name)
    for f in info.fields.values():
        words = set(stems(f.name)) | set(stems(f.verbose_name))
        for syn in f.synonyms:
            words |= set(stems(syn))
        if f.type == "integer" and not f.primary_key and words & UNIT_STEMS:
            return p.Aggregate(name=safe_name(f.name), func="sum", field=f.name)
    return None
