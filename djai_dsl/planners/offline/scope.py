"""What is not a data question: requests to change data, requests for secrets, small talk
and general knowledge, and requests for help (answered with examples from the manifest).

The rules are about English, not about any app: an imperative write verb, a secret-looking
word from ``SECRET_FIELD_PATTERNS``, an off-topic subject that the manifest does not name.
"""

from __future__ import annotations

import itertools
import re

from djai_dsl.conf import get_config
from djai_dsl.manifest.types import Manifest
from djai_dsl.planners.base import OutOfScope
from djai_dsl.planners.offline.text import Token, stem

#: Imperatives that would change something or act in the world.
WRITE_VERBS = frozenset(
    [
        "delete",
        "remove",
        "drop",
        "truncate",
        "update",
        "change",
        "modify",
        "edit",
        "set",
        "insert",
        "add",
        "create",
        "rename",
        "merge",
        "cancel",
        "refund",
        "close",
        "reopen",
        "assign",
        "unassign",
        "approve",
        "reject",
        "ban",
        "block",
        "unblock",
        "reset",
        "send",
        "email",
        "mail",
        "notify",
        "publish",
        "import",
        "upload",
        "write",
        "execute",
        "run",
        "grant",
        "revoke",
        "play",
        "buy",
        "purchase",
        "pay",
        "schedule",
        "save",
        "archive",
        "restore",
        "fix",
        "alter",
        "destroy",
        "erase",
        "wipe",
        "deactivate",
        "activate",
        "disable",
        "enable",
        "subscribe",
        "unsubscribe",
    ]
)
#: Words that may come before the verb of a request: "please delete", "can you add".
REQUEST_LEADS = frozenset(
    [
        "please",
        "can",
        "could",
        "would",
        "will",
        "you",
        "kindly",
        "go",
        "ahead",
        "and",
        "i",
        "want",
        "to",
        "need",
        "like",
        "let",
        "lets",
        "us",
        "just",
        "now",
        "quickly",
    ]
)
#: Subjects that are never about the data (unless the manifest uses the word).
OFF_TOPIC = frozenset(
    [
        "weather",
        "forecast",
        "temperature",
        "rain",
        "joke",
        "jokes",
        "poem",
        "poems",
        "poetry",
        "story",
        "stories",
        "lyrics",
        "recipe",
        "recipes",
        "translate",
        "translation",
        "capital",
        "president",
        "prime",
        "minister",
        "news",
        "football",
        "soccer",
        "basketball",
        "cup",
        "election",
        "horoscope",
        "bitcoin",
        "crypto",
        "stock",
        "stocks",
        "meaning",
        "life",
        "recommend",
        "recommendation",
        "suggest",
        "suggestion",
        "advice",
        "opinion",
        "feel",
        "feeling",
        "love",
        "movie",
        "movies",
        "film",
        "weekend",
        "vacation",
        "holiday",
        "holidays",
        "chess",
        "sing",
        "dance",
    ]
)
GREETINGS = frozenset({"hi", "hello", "hey", "thanks", "thank"})
HELP_PATTERNS = (
    re.compile(r"^\s*(help|\?|examples?|menu|start)\s*[.!?]*\s*$", re.I),
    re.compile(r"\bwhat (can|could|should) (i|we) ask\b", re.I),
    re.compile(r"\bwhat (can|do) you (do|know|answer)\b", re.I),
    re.compile(r"\bwhat (kind|kinds|sort|sorts|type|types) of (questions|things)\b", re.I),
    re.compile(r"\bwhat questions\b", re.I),
    re.compile(r"\bhow (does|do) (this|you|i use)\b", re.I),
    re.compile(r"\bwhat data\b.*\b(have|available|see|access)\b", re.I),
    re.compile(r"\b(give|show) me (some )?examples\b", re.I),
)

REPHRASE = (
    "Ask about the data you can see, for example: how many, totals, averages, top 5, "
    "grouped by a field, over a period of time."
)


def out_of_scope(tokens: list[Token], known: set[str]) -> OutOfScope | None:
    """A refusal when the question is plainly not a read-only data question. ``known``
    holds the stems the manifest and the value index use: such words are never off-topic."""
    words = [t.lower for t in tokens if t.kind in ("word", "quoted")]
    if not words:
        return OutOfScope(
            reason="There is no question to answer.", how_to_rephrase=REPHRASE, confidence=0.9
        )
    secret = _secret_word(words)
    if secret:
        return OutOfScope(
            reason=f"Secrets such as {secret} are never shown.",
            how_to_rephrase="Ask about other fields; secret fields cannot be queried.",
            confidence=0.95,
        )
    verb = _request_verb(words, known)
    if verb is not None:
        return OutOfScope(
            reason=f"I can only read data, not {verb} anything.",
            how_to_rephrase="Ask a question about the data instead, e.g. how many or which.",
            confidence=0.95,
        )
    off = [t.lower for t in tokens if t.lower in OFF_TOPIC and t.stem not in known]
    if off:
        return OutOfScope(
            reason=f"That is not a question about this data ({off[0]}).",
            how_to_rephrase=REPHRASE,
            confidence=0.9,
        )
    return None


def _secret_word(words: list[str]) -> str:
    patterns = [p.lower() for p in get_config()["SECRET_FIELD_PATTERNS"]]
    joined = words + ["_".join(pair) for pair in itertools.pairwise(words)]
    for word in joined:
        for pattern in patterns:
            if pattern in word:
                return pattern.replace("_", " ")
    return ""


DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "all",
        "every",
        "each",
        "my",
        "our",
        "this",
        "that",
        "these",
        "those",
        "any",
        "some",
        "its",
        "their",
    ]
)


def _request_verb(words: list[str], known: set[str]) -> str | None:
    """The write verb a request starts with. A verb that is also a name in the data
    ("Refund reasons with ...") counts only when an object follows it ("refund the order",
    "close all tickets")."""
    for i, word in enumerate(words[:6]):
        if word in REQUEST_LEADS:
            continue
        if word not in WRITE_VERBS:
            return None
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if stem(word) in known and nxt not in DETERMINERS and not nxt.isdigit():
            return None
        return word
    return None


def is_help(question: str, tokens: list[Token]) -> bool:
    if any(p.search(question) for p in HELP_PATTERNS):
        return True
    words = [t.lower for t in tokens if t.kind == "word"]
    return bool(words) and all(w in GREETINGS or w in ("there", "you", "again") for w in words)


def help_reply(manifest: Manifest) -> OutOfScope:
    examples = example_questions(manifest)
    return OutOfScope(
        reason="I answer questions about the data you may see, without changing anything.",
        how_to_rephrase="Try one of the examples, or ask in your own words.",
        confidence=0.95,
        intent_label="GENERAL_HELP",
        examples=examples,
    )


def example_questions(manifest: Manifest, limit: int = 6) -> list[str]:
    """Example questions made from the manifest's own names, registered models first."""
    models = sorted(manifest.models.values(), key=lambda m: (not m.description, m.label))
    out: list[str] = []
    for info in models:
        plural = info.verbose_name_plural
        choice = next((f for f in info.fields.values() if f.choices), None)
        if choice is not None:
            out.append(f"How many {plural} are there per {choice.verbose_name or choice.name}?")
        if info.default_time_field:
            out.append(f"How many {plural} were created in the last 30 days?")
        for name in list(info.measures)[:1]:
            out.append(f"{name.replace('_', ' ').capitalize()} by month this year")
        many = next((r for r in info.relations.values() if r.many), None)
        if many is not None:
            out.append(f"{plural.capitalize()} without {many.name.replace('_', ' ')}")
        if len(out) >= limit * 2:
            break
    # One of each kind first, then the rest, so a few models do not fill the list.
    seen: list[str] = []
    for example in out:
        if example not in seen:
            seen.append(example)
    return seen[:limit]
