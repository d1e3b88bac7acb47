"""Find the manifest's names in a question: token spans with their possible senses.

Matching is greedy, longest phrase first, left to right, over stems. A span may mean
several things ("refunded": a model, a status value, a segment); choosing among them is
left to the composer, which knows the source model. The value index
(:mod:`djai_dsl.values`) adds the values of free-text categorical fields as ``value`` senses.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from djai_dsl.manifest.types import Manifest
from djai_dsl.planners.offline.lexicon import DERIVED, Lexicon, Sense, value_aliases
from djai_dsl.planners.offline.text import STOPWORDS, Token, fold, stem, stems
from djai_dsl.values import FieldValues, indexed_values

#: Words that negate the name after them (within NEGATION_REACH tokens).
NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "without",
        "neither",
        "nor",
        "except",
        "excluding",
        "outside",
        "non",
        "other",
    ]
)
NEGATION_REACH = 3
#: Negation does not reach across these.
CLAUSE_BREAKS = frozenset({"and", "or", "but", "with", "who", "that", "which", "whose"})
#: Prefixes that negate a word: "inactive", "unpaid", "non-fiction" is left alone because
#: "non" is a separate token and a value may contain it.
NEGATING_PREFIXES = ("in", "un")


@dataclass
class Mention:
    start: int
    end: int
    senses: list[Sense]
    negated: bool = False
    text: str = ""
    quoted: bool = False
    role: str = ""  # set by the composer: filter, group, metric, entity, qualifier, time...

    def of_kind(self, *kinds: str) -> list[Sense]:
        return [s for s in self.senses if s.kind in kinds]

    def has(self, *kinds: str) -> bool:
        return any(s.kind in kinds for s in self.senses)


@dataclass
class ValuePhrases:
    phrases: dict[tuple[str, ...], list[Sense]] = field(default_factory=dict)
    max_len: int = 1
    fields_over_cap: frozenset[tuple[str, str]] = frozenset()


_VALUE_CACHE: OrderedDict[tuple[Any, ...], ValuePhrases] = OrderedDict()
_VALUE_LOCK = threading.Lock()


def value_phrases(manifest: Manifest) -> ValuePhrases:
    """Indexed values of ``manifest`` as phrases (cached per set of loaded index entries)."""
    entries = indexed_values(manifest)
    key = tuple((e.label, e.field, e.loaded_at) for e in entries)
    with _VALUE_LOCK:
        cached = _VALUE_CACHE.get(key)
        if cached is not None:
            return cached
    built = _build_value_phrases(entries)
    with _VALUE_LOCK:
        _VALUE_CACHE[key] = built
        while len(_VALUE_CACHE) > 16:
            _VALUE_CACHE.popitem(last=False)
    return built


def _build_value_phrases(entries: list[FieldValues]) -> ValuePhrases:
    out = ValuePhrases()
    over = set()
    for entry in entries:
        if entry.over_cap:
            over.add((entry.label, entry.field))
            continue
        for value in entry.values:
            for text in [value, *value_aliases(value)]:
                words = stems(text)
                if not words:
                    continue
                sense = Sense("value", entry.label, entry.field, value, DERIVED, "index")
                bucket = out.phrases.setdefault(words, [])
                if sense not in bucket:
                    bucket.append(sense)
                out.max_len = max(out.max_len, len(words))
    out.fields_over_cap = frozenset(over)
    return out


def find_mentions(
    tokens: list[Token], lex: Lexicon, values: ValuePhrases, skip: set[int]
) -> list[Mention]:
    """Mentions of names and values, longest first; tokens in ``skip`` (time expressions)
    are never part of one."""
    mentions: list[Mention] = []
    longest = max(lex.max_len, values.max_len)
    i = 0
    while i < len(tokens):
        if i in skip or tokens[i].kind in ("number", "date"):
            i += 1
            continue
        found = _longest_at(tokens, i, lex, values, skip, longest)
        if found is None:
            i += 1
            continue
        mentions.append(found)
        i = found.end
    # Participles ("never opened a ticket") do not take the negation away from the noun.
    named = {
        i for m in mentions if not m.text.lower().endswith("ed") for i in range(m.start, m.end)
    }
    for m in mentions:
        m.negated = m.negated or _negated(tokens, m.start, named)
    return mentions


def _longest_at(
    tokens: list[Token],
    i: int,
    lex: Lexicon,
    values: ValuePhrases,
    skip: set[int],
    longest: int,
) -> Mention | None:
    for length in range(min(longest, len(tokens) - i), 0, -1):
        span = tokens[i : i + length]
        if any(j in skip for j in range(i, i + length)):
            continue
        if any(t.kind in ("number", "date") for t in span) and length > 1:
            continue
        if span[0].kind == "quoted":
            if length > 1:
                continue
            key = stems(span[0].text)
        else:
            if any(t.kind == "quoted" for t in span):
                continue
            key = tuple(t.stem for t in span)
        senses = _senses(key, span, lex, values)
        if senses:
            text = " ".join(t.text for t in span)
            return Mention(i, i + length, senses, text=text, quoted=span[0].kind == "quoted")
    return _prefixed_negation(tokens, i, lex)


def _senses(
    key: tuple[str, ...], span: list[Token], lex: Lexicon, values: ValuePhrases
) -> list[Sense]:
    indexed = [s for s in values.phrases.get(key, []) if _same_words(span, str(s.value))]
    senses = list(lex.senses(key)) + indexed
    if not senses:
        return []
    if all(t.lower in STOPWORDS for t in span):
        # "us", "in", "it" are words first: only a value written as a code ("US", "IT")
        if not any(t.text.isupper() and len(t.text) > 1 for t in span):
            return []
        senses = [s for s in senses if s.kind == "value"]
    return senses


def _same_words(span: list[Token], value: str) -> bool:
    """An indexed value is a name: it must be written as it is (plurals and accents aside),
    so that "time" does not find a customer called "Tim"."""
    if len(span) == 1 and span[0].kind == "quoted":
        return fold(span[0].text) == fold(value)
    written = [fold(t.text).rstrip("s") for t in span]
    return written == [w.rstrip("s") for w in fold(value).replace("_", " ").split() if w] or (
        "".join(written) == "".join(w.rstrip("s") for w in re.findall(r"[^\W_]+", fold(value)))
    )


def _prefixed_negation(tokens: list[Token], i: int, lex: Lexicon) -> Mention | None:
    """A prefix that negates: "inactive" is not "active", "unpaid" not "paid", when the
    bare word names a segment, a yes/no field or a value."""
    word = tokens[i].lower
    for prefix in NEGATING_PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 3:
            senses = [
                s
                for s in lex.senses((stem(word[len(prefix) :]),))
                if s.kind in ("segment", "value", "field")
            ]
            if senses:
                return Mention(i, i + 1, senses, negated=True, text=tokens[i].text)
    return None


def _negated(tokens: list[Token], start: int, named: set[int]) -> bool:
    """A negator a few words before the mention, with no other name in between: in
    "customers with no orders in Germany" the "no" is about the orders only."""
    for j in range(start - 1, max(start - 1 - NEGATION_REACH, -1), -1):
        if j in named:
            return False
        word = tokens[j].lower
        if word in NEGATORS:  # "other" only in "other than"
            return word != "other" or (j + 1 < len(tokens) and tokens[j + 1].lower == "than")
        if word in CLAUSE_BREAKS or tokens[j].kind == "number":
            return False
    return False


def chain_mentions(mentions: list[Mention], manifest: Manifest) -> list[Mention]:
    """Join a model or relation name with the field of it that follows: "customer country",
    "order status", "the order's shipping country". The joined mention keeps only the
    field senses of the named model, at full strength."""
    out: list[Mention] = []
    i = 0
    while i < len(mentions):
        a = mentions[i]
        b = mentions[i + 1] if i + 1 < len(mentions) else None
        last = a.text.split()[-1].lower() if a.text else ""
        # A noun used as a modifier is singular: "order status", "customer country";
        # "products cost" and "customers signed up" are a subject and its verb.
        plural = last.endswith("s") and not last.endswith(("ss", "us", "is"))
        if b is not None and b.start == a.end and not b.quoted and not a.quoted and not plural:
            owners = {s.model for s in a.of_kind("model")}
            for s in a.of_kind("relation"):
                info = manifest.models.get(s.model)
                rel = info.relations.get(s.name) if info is not None else None
                if rel is not None:
                    owners.add(rel.target)
            senses = [
                replace(s, strength=max(s.strength, 1.0))
                for s in b.senses
                if s.model in owners and s.kind in ("field", "relation", "measure")
            ]
            if senses:
                out.append(
                    Mention(a.start, b.end, senses, a.negated or b.negated, f"{a.text} {b.text}")
                )
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def drop_split_names(tokens: list[Token], mentions: list[Mention]) -> list[Mention]:
    """Keep a name whole: "Steve Harris" matched as a first name and, separately, a last
    name of some other model is one name, not two filters: such runs of capitalised words are left unmatched
    so that the planner searches the name as a whole."""
    out: list[Mention] = []
    i = 0
    while i < len(mentions):
        run = [mentions[i]]
        while i + len(run) < len(mentions) and mentions[i + len(run)].start == run[-1].end:
            run.append(mentions[i + len(run)])
        if len(run) > 1 and all(_capitalised_value(tokens, m) for m in run):
            fields = {(s.model, s.name) for m in run for s in m.senses}
            if len(fields) > 1 and not any(fields_of(m) == fields for m in run):
                i += len(run)
                continue
        out.append(mentions[i])
        i += 1
    return out


def fields_of(m: Mention) -> set[tuple[str, str]]:
    return {(s.model, s.name) for s in m.senses}


def _capitalised_value(tokens: list[Token], m: Mention) -> bool:
    return (
        m.start > 0
        and all(t.text[:1].isupper() for t in tokens[m.start : m.end])
        and all(s.kind == "value" and s.source == "index" for s in m.senses)
    )
