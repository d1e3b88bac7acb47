"""The question as it is being read: its tokens, names and cues, and what their senses say.

A :class:`Composer` is built once per question by the planner. It holds what was found in
the text (mentions of names, time expressions, comparisons, text searches), the
:class:`~.records.Roles` that the role rules of this package fill in
(:func:`~.assign.assign_roles`), and the lookups every rule shares: mentions by position,
what kind of thing a mention most likely names, and how a name is reached from a
candidate source model along relation paths (each hop lowering its strength).
"""

from __future__ import annotations

import datetime as dt

from djai_dsl.manifest.types import NUMERIC_TYPES, FieldInfo, Manifest, ModelInfo
from djai_dsl.planners.offline.cues import DISTINCT_WORDS, find_comparisons, find_text_searches
from djai_dsl.planners.offline.lexicon import HEAD, Lexicon, Sense
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.paths import Route, routes_from
from djai_dsl.planners.offline.roles.records import Roles
from djai_dsl.planners.offline.text import Token
from djai_dsl.planners.offline.timeexpr import TimeHit

#: How much a name loses per relation hop from the source.
TO_ONE_DECAY = 0.85
TO_MANY_DECAY = 0.6
#: Words skipped when looking for the name after a cue ("the total of all orders").
FILLERS = frozenset({"the", "a", "an", "of", "our", "all", "each", "every", "any", "their"})


class Composer:
    """One question, its mentions and cues, and the roles found so far."""

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

    # ------------------------------------------------------------------ lookups

    def routes(self, source: str) -> dict[str, Route]:
        """Routes from ``source`` to every model it reaches (computed once per source)."""
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
        """The mention ending closest before ``index``, at most ``reach`` tokens away."""
        best = None
        for m in self.mentions:
            if index - reach <= m.end <= index and (best is None or m.end > best.end):
                best = m
        return best

    def unassigned(self) -> list[Mention]:
        return [m for m in self.mentions if not m.role]

    def comparison_tokens(self) -> set[int]:
        """Token indexes inside comparisons ("more than 5"): no cue words there."""
        return {k for c in self.comparisons for k in range(c.start, c.end)}

    # ------------------------------------------------------------------ what a mention names

    def field_info(self, s: Sense) -> FieldInfo | None:
        info = self.manifest.models.get(s.model)
        return info.fields.get(s.name) if info is not None else None

    def field_type(self, s: Sense) -> str | None:
        f = self.field_info(s)
        return f.type if f is not None else None

    def primary_kind(self, m: Mention) -> str:
        """The kind of the strongest sense (a model outranks a weak measure of the same
        word: "customers" is the model before it is "unique customers")."""
        order = {"model": 0, "relation": 1, "measure": 2, "field": 3, "segment": 4, "value": 5}
        best = max(m.senses, key=lambda s: (s.strength, -order[s.kind]))
        return best.kind

    def numeric_primary(self, m: Mention) -> bool:
        """The mention is first of all a number (a numeric field or a measure), not a
        model that happens to share a word with one ("invoices", "average invoice")."""
        if not self.has_numeric(m):
            return False
        kind = self.primary_kind(m)
        if kind == "measure":
            return True
        if kind == "field":
            top = max(s.strength for s in m.senses)
            return any(
                s.strength == top and self.field_type(s) in NUMERIC_TYPES
                for s in m.of_kind("field")
            )
        return False

    def has_numeric(self, m: Mention) -> bool:
        """One of the mention's senses is a number: a numeric field or a measure."""
        return any(self.field_type(s) in NUMERIC_TYPES for s in m.of_kind("field")) or m.has(
            "measure"
        )

    def is_metric_mention(self, m: Mention) -> bool:
        """The mention can be computed: a measure, a plain number field, or a counted name."""
        return (
            m.has("measure")
            or (self.has_numeric(m) and not m.has("value", "segment") and not m.has("model"))
            or m.role == "counted"
        )

    def exact(self, m: Mention, s: Sense) -> bool:
        """Whether the mention spells the sense's name exactly ("refunds" is the model's
        plural; "refunded" is the status value; both stem to "refund")."""
        if s.kind == "value" and s.source == "index":
            return m.text.lower() == str(s.value).lower()
        return self.lex.exact(s, m.text)

    def only_models(self, m: Mention) -> bool:
        """The mention names a model rather than a value or segment that shares its word
        ("orders", not the status "ordered")."""
        strong_models = [s for s in m.of_kind("model") if s.strength > HEAD]
        if not strong_models:
            return False
        others = [s for s in m.senses if s.kind in ("value", "segment")]
        if any(self.exact(m, s) for s in strong_models) and not any(
            self.exact(m, s) for s in others
        ):
            return True
        return all(s.strength < strong_models[0].strength for s in others)

    def is_filter(self, m: Mention) -> bool:
        """The mention restricts rows: a value, a segment or a yes/no field."""
        return (m.has("value", "segment") and not self.only_models(m)) or any(
            self.field_type(s) == "boolean" for s in m.of_kind("field")
        )

    # ------------------------------------------------------------------ names from a source

    def relation_target(self, s: Sense) -> str:
        """The model a relation sense points to ("" when unknown)."""
        info = self.manifest.models.get(s.model)
        rel = info.relations.get(s.name) if info is not None else None
        return rel.target if rel is not None else ""

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

    def resolve_group_paths(self, m: Mention, source: str) -> list[str]:
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
