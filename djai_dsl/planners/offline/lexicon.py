"""The planner's vocabulary, built from the manifest: which words name which model, field,
relation, segment, measure or value.

Every name is indexed under the stems of its words (:func:`~.text.stems`), so matching a
question is a dictionary look-up per token span. Each entry is a :class:`Sense` with a
``strength``: 1.0 for a name, verbose name or synonym as written, less for a name's last
word alone ("country" for ``shipping_country``), a name with a suffix cut ("signed up" for
``signed_up_at``) or a value from the distinct-value index. Strength is what makes one
reading win over another, and what the planner's confidence is made of.

Nothing here knows any particular app: all words come from the manifest (and the registry
entry behind it, for relation synonyms the manifest does not carry yet), plus a few common
English aliases of country names.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from djai_dsl.manifest.types import (
    NUMERIC_TYPES,
    TEMPORAL_TYPES,
    TEXT_TYPES,
    FieldInfo,
    Manifest,
    ModelInfo,
)
from djai_dsl.planners.offline.text import STOPWORDS, stem, stems

SenseKind = Literal["model", "field", "relation", "segment", "measure", "value"]

#: Common alternative names of countries (general English, not any app's data): a value
#: spelt one way in the data is also found under the others.
COUNTRY_ALIASES: tuple[tuple[str, ...], ...] = (
    ("united states", "usa", "the us", "u.s.", "america", "united states of america"),
    ("united kingdom", "uk", "the uk", "britain", "great britain", "gb"),
    ("netherlands", "holland", "the netherlands"),
    ("czech republic", "czechia"),
)

#: Name suffixes that only say "this is a date/time" and may be left out when speaking:
#: "signed up" for ``signed_up_at``, "hire" for ``hire_date``.
TIME_SUFFIXES = ("at", "on", "date", "time", "datetime", "timestamp")
#: Last words too generic to stand for a whole name on their own.
GENERIC_HEADS = frozenset(
    stem(w) for w in ("count", "value", "number", "id", "at", "on", "to", "type", "is", "name")
)

STRONG = 1.0
DERIVED = 0.8  # a name with a prefix/suffix cut, a value from the distinct-value index
HEAD = 0.6  # the last word of a longer name


@dataclass(frozen=True)
class Sense:
    kind: SenseKind
    model: str  # label of the model that owns the name
    name: str = ""  # field, relation, segment or measure name ("" for a model)
    value: Any = None  # for values: the stored value
    strength: float = STRONG
    source: str = "name"  # name, verbose, synonym, head, choice, index, alias


@dataclass
class ModelProfile:
    """What the planner needs to know about one model beyond its names."""

    info: ModelInfo
    label_fields: list[str]  # fields that name a row: ["name"], ["first_name", "last_name"]
    amount_field: str | None  # the main numeric field (money first)
    time_fields: list[str]  # date/datetime fields, default first
    words: frozenset[str]  # every stem that names this model


@dataclass
class Lexicon:
    phrases: dict[tuple[str, ...], list[Sense]] = field(default_factory=dict)
    max_len: int = 1
    profiles: dict[str, ModelProfile] = field(default_factory=dict)
    # The names of each target as written (lower case), to tell "refunds" (the model's
    # plural) from "refunded" (a status value) although both stem to "refund".
    surfaces: dict[tuple[Any, ...], set[str]] = field(default_factory=dict)

    def add(self, words: Iterable[str], sense: Sense, surface: str = "") -> None:
        key = tuple(w for w in words if w)
        if not key or (all(w in STOPWORDS for w in key) and sense.kind != "value"):
            return
        if surface:
            self.surfaces.setdefault(_target(sense), set()).add(_plain(surface))
        bucket = self.phrases.setdefault(key, [])
        for i, existing in enumerate(bucket):
            if _same_target(existing, sense):
                if sense.strength > existing.strength:
                    bucket[i] = sense
                return
        bucket.append(sense)
        self.max_len = max(self.max_len, len(key))

    def senses(self, key: tuple[str, ...]) -> list[Sense]:
        return self.phrases.get(key, [])

    def exact(self, sense: Sense, text: str) -> bool:
        """Whether ``text`` is one of the sense's names exactly as written."""
        return _plain(text) in self.surfaces.get(_target(sense), ())


def _target(sense: Sense) -> tuple[Any, ...]:
    return (sense.kind, sense.model, sense.name, str(sense.value))


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("'s", "").split())


def _same_target(a: Sense, b: Sense) -> bool:
    return (a.kind, a.model, a.name, a.value) == (b.kind, b.model, b.name, b.value)


# --------------------------------------------------------------------------- building


_CACHE: OrderedDict[tuple[Any, ...], Lexicon] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()


def lexicon_for(manifest: Manifest) -> Lexicon:
    """The lexicon of ``manifest``'s names (without indexed values), built once per
    distinct manifest shape and cached."""
    key = _manifest_key(manifest)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    lexicon = build_lexicon(manifest)
    with _LOCK:
        _CACHE[key] = lexicon
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return lexicon


def _manifest_key(manifest: Manifest) -> tuple[Any, ...]:
    return tuple(
        (
            info.label,
            info.description,
            info.synonyms,
            info.default_time_field,
            tuple((f.name, f.verbose_name, f.synonyms, f.choices) for f in info.fields.values()),
            tuple(info.relations),
            tuple(info.segments),
            tuple(info.measures),
        )
        for info in manifest.models.values()
    )


def build_lexicon(manifest: Manifest) -> Lexicon:
    lex = Lexicon()
    for info in manifest.models.values():
        _add_model(lex, info)
        for f in info.fields.values():
            _add_field(lex, info, f)
        for rel in info.relations.values():
            _add_relation(lex, info, rel.name, rel.verbose_name)
        for name in info.segments:
            lex.add(stems(name), Sense("segment", info.label, name), name)
        for name in info.measures:
            words = stems(name)
            lex.add(words, Sense("measure", info.label, name), name)
            if len(words) > 1 and words[-1] not in GENERIC_HEADS:
                lex.add(
                    words[-1:], Sense("measure", info.label, name, strength=HEAD, source="head")
                )
        lex.profiles[info.label] = _profile(info)
    return lex


def _add_model(lex: Lexicon, info: ModelInfo) -> None:
    names = [info.verbose_name, info.verbose_name_plural, info.model_name, *info.synonyms]
    for text in names:
        words = stems(text)
        lex.add(words, Sense("model", info.label, source="name"), text)
        if len(words) > 1 and words[-1] not in GENERIC_HEADS:
            lex.add(words[-1:], Sense("model", info.label, strength=HEAD, source="head"))


def _add_field(lex: Lexicon, info: ModelInfo, f: FieldInfo) -> None:
    if f.primary_key:
        lex.add(("id",), Sense("field", info.label, f.name, strength=DERIVED))
        return
    for text, strength, source in _field_names(f):
        words = stems(text)
        sense = Sense("field", info.label, f.name, strength=strength, source=source)
        lex.add(words, sense, text)
        if len(words) > 1 and words[-1] not in GENERIC_HEADS and source != "head":
            lex.add(words[-1:], Sense("field", info.label, f.name, strength=HEAD, source="head"))
    for value, label in f.choices:
        for text in {str(value), str(label)}:
            for phrase, source in _with_aliases(text):
                sense = Sense("value", info.label, f.name, value, STRONG, source)
                lex.add(stems(phrase), sense, phrase)


def _field_names(f: FieldInfo) -> list[tuple[str, float, str]]:
    out = [(f.name, STRONG, "name"), (f.verbose_name, STRONG, "verbose")]
    out += [(s, STRONG, "synonym") for s in f.synonyms]
    words = f.name.split("_")
    if f.type in TEMPORAL_TYPES and len(words) > 1 and words[-1] in TIME_SUFFIXES:
        out.append((" ".join(words[:-1]), DERIVED, "derived"))
    if f.type == "boolean" and len(words) > 1 and words[0] in ("is", "has", "can"):
        out.append((" ".join(words[1:]), DERIVED, "derived"))
    return out


def _add_relation(lex: Lexicon, info: ModelInfo, name: str, verbose: str) -> None:
    texts = [(name, STRONG, "name"), (verbose, STRONG, "verbose")]
    texts += [(s, STRONG, "synonym") for s in _relation_synonyms(info, name)]
    for text, strength, source in texts:
        words = stems(text)
        lex.add(words, Sense("relation", info.label, name, strength=strength, source=source), text)
        if len(words) > 1 and words[-1] not in GENERIC_HEADS:
            lex.add(words[-1:], Sense("relation", info.label, name, strength=HEAD, source="head"))


def _relation_synonyms(info: ModelInfo, name: str) -> tuple[str, ...]:
    """Synonyms registered for a relation (``field_synonyms={"assignee": ("agent",)}``).
    The manifest keeps synonyms for fields only, so they are read from the registration."""
    from djai_dsl.manifest.registry import get_registration

    reg = get_registration(info.model)
    return reg.field_synonyms.get(name, ()) if reg is not None else ()


def _with_aliases(text: str) -> list[tuple[str, str]]:
    out = [(text, "choice")]
    low = text.lower().strip()
    for group in COUNTRY_ALIASES:
        if low in group:
            out += [(alias, "alias") for alias in group if alias != low]
    return out


def value_aliases(text: str) -> list[str]:
    """Other common spellings of a value (country aliases), for the value index."""
    return [alias for alias, _ in _with_aliases(text)[1:]]


def _profile(info: ModelInfo) -> ModelProfile:
    fields = info.fields
    strings = [f.name for f in fields.values() if f.type in TEXT_TYPES and not f.primary_key]
    # A person's name before a "title" (which is a job title on people, an album's name
    # elsewhere); Django's own choice for users is the username.
    if "name" in strings:
        label = ["name"]
    elif "username" in strings:
        label = ["username"]
    elif "first_name" in strings and "last_name" in strings:
        label = ["first_name", "last_name"]
    elif "title" in strings:
        label = ["title"]
    elif "subject" in strings:
        label = ["subject"]
    else:
        label = [next((s for s in strings if not fields[s].choices), "")] if strings else []
        label = [s for s in label if s]
    amount = next((f.name for f in fields.values() if f.type == "decimal"), None)
    amount = amount or next((f.name for f in fields.values() if f.type == "float"), None)
    amount = amount or next(
        (
            f.name
            for f in fields.values()
            if f.type in NUMERIC_TYPES and not f.primary_key and not f.choices
        ),
        None,
    )
    times = [f.name for f in fields.values() if f.type in TEMPORAL_TYPES]
    if info.default_time_field in times:
        times.remove(info.default_time_field)
        times.insert(0, info.default_time_field)
    words: set[str] = set()
    for text in [info.verbose_name, info.verbose_name_plural, info.model_name, *info.synonyms]:
        words.update(stems(text))
    return ModelProfile(info, label, amount, times, frozenset(words - STOPWORDS))


def model_words(lex: Lexicon, label: str) -> frozenset[str]:
    profile = lex.profiles.get(label)
    return profile.words if profile is not None else frozenset()
