"""message + chat state -> Intent(label, confidence, candidate models).

The router is cheap and deterministic: it runs before the planner so that greetings, help
requests, requests to change data and questions about the weather are answered without
spending a planner call, and so that a reply to a pending clarification is recognised as
one. It does not decide *how* to answer a data question; the planner does. Its confidence
is compared with ``OUT_OF_SCOPE_CONFIDENCE``: below it, the planner gets the question anyway
(it knows the schema better than a word list).

Labels (plan §4): DATA_QUERY, CLARIFICATION (a reply to a pending question), OUT_OF_SCOPE,
GENERAL_HELP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from djai_dsl.manifest.types import Manifest

if TYPE_CHECKING:
    from djai_dsl.chat.clarification import PendingClarification, PendingOption
    from djai_dsl.chat.envelope import IntentLabel

WORD_RE = re.compile(r"[a-z0-9]+")


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [singular(w) for w in WORD_RE.findall(text.lower())]


def _word_set(text: str) -> frozenset[str]:
    return frozenset(singular(w) for w in text.split())


HELP_RE = re.compile(
    r"^\s*(help|hi|hello|hey|good (morning|afternoon|evening)|thanks|thank you|"
    r"what can (you|i) (do|ask)|how (do|does|can) (i|this|you) (use|work)|"
    r"what (do|can) you know|who are you)\b"
)
# Asking to change data: djai only reads, whatever the planner would make of it.
# A request to change data starts with an imperative. Verbs that are never nouns count with
# any object; verbs that are also nouns ("refund reasons by month", "update frequency") count
# only with a determiner, a quantity or an id after them ("refund order 42", "cancel all...").
WRITE_RE = re.compile(
    r"^\s*(please\s+|can you\s+|could you\s+)?(?:"
    r"(delete|remove|drop|truncate|insert|modify|rename|deactivate|reactivate|erase|wipe)\s+\w"
    r"|(update|create|add|edit|refund|cancel|send|set|change|make|mark|close|reopen|assign)\s+"
    r"(?:the|all|every|each|this|that|these|those|a|an|my|our|their|some|#|\d|\w+\s+#?\d)"
    r")"
)
# Subjects that are about the world, not this database.
OFF_TOPIC_WORDS = _word_set(
    "weather poem joke song story recipe translate translation python javascript code "
    "script program essay news stock bitcoin capital president movie"
)
# Words that make a question about data (counting, ranking, periods...).
DATA_CUES = _word_set(
    "how many much count number total sum average avg mean median min max minimum maximum "
    "top bottom most least list show which what who per by each group trend monthly daily "
    "weekly yearly quarterly last this previous next since between before after during today "
    "yesterday week month quarter year revenue share ratio compare without with"
)
# How follow-ups start: they modify the previous answer rather than ask anew.
FOLLOW_UP_RE = re.compile(
    r"^\s*(and|but|also|only|just|now|then|what about|how about|same|instead|except|without|"
    r"excluding|including|by|per|group|split|break|sort|order|limit|top|show only|"
    r"for|in|as)\b"
)
FOLLOW_UP_MAX_WORDS = 6


@dataclass
class Intent:
    label: IntentLabel
    confidence: float
    candidate_models: list[str] = field(default_factory=list)
    reason: str = ""
    option: PendingOption | None = None  # the chosen option of a pending clarification
    follow_up: bool = False


class IntentRouter:
    """Rules, in order: clarification reply, help, write request, data question (with
    candidate models from the manifest's names and synonyms), follow-up, off topic."""

    def route(
        self,
        text: str,
        manifest: Manifest,
        *,
        pending: PendingClarification | None = None,
        current_topic: str = "",
        has_previous_plan: bool = False,
    ) -> Intent:
        lowered = text.strip().lower()
        if pending is not None:
            option = pending.match(text)
            if option is not None:
                return Intent(
                    "CLARIFICATION",
                    1.0,
                    list(pending.candidate_models),
                    reason=f"chose option {option.id}",
                    option=option,
                )
        tokens = words(lowered)
        candidates = self.candidate_models(tokens, manifest)
        if pending is not None:
            # Not one of the options: an answer in the user's own words.
            return Intent(
                "CLARIFICATION",
                0.7,
                candidates or list(pending.candidate_models),
                reason="free-text reply to a pending question",
            )
        if HELP_RE.match(lowered) and not candidates:
            return Intent("GENERAL_HELP", 0.9, [], reason="greeting or help request")
        if WRITE_RE.match(lowered):
            return Intent(
                "OUT_OF_SCOPE", 0.95, candidates, reason="asks to change data; djai only reads"
            )
        cues = sum(1 for w in tokens if w in DATA_CUES) + sum(1 for w in tokens if w.isdigit())
        follow_up = bool(
            has_previous_plan
            and (FOLLOW_UP_RE.match(lowered) or len(tokens) <= FOLLOW_UP_MAX_WORDS)
        )
        if candidates:
            confidence = min(0.95, 0.6 + 0.1 * cues + (0.05 if len(candidates) == 1 else 0))
            return Intent("DATA_QUERY", confidence, candidates, follow_up=follow_up)
        if follow_up:
            topic = [current_topic] if current_topic else []
            return Intent("DATA_QUERY", 0.75, topic, reason="follow-up", follow_up=True)
        if any(w in OFF_TOPIC_WORDS for w in tokens):
            return Intent("OUT_OF_SCOPE", 0.9, [], reason="not about this project's data")
        if cues:
            return Intent("DATA_QUERY", 0.5, [], reason="data words but no known model")
        return Intent("OUT_OF_SCOPE", 0.6, [], reason="no known model or data words")

    @staticmethod
    def candidate_models(tokens: list[str], manifest: Manifest) -> list[str]:
        """Models named in the text (by model name, verbose name or synonym), best first.
        A longer matching phrase scores higher: "order items" prefers shop.orderitem."""
        scored: list[tuple[int, str]] = []
        for label, info in manifest.models.items():
            score = 0
            for phrase in {info.model_name, info.verbose_name, info.verbose_name_plural}:
                wanted = words(phrase)
                if _phrase_in(wanted, tokens):
                    score = max(score, 2 + len(wanted))
            for synonym in info.synonyms:
                wanted = words(synonym)
                if _phrase_in(wanted, tokens):
                    score = max(score, 1 + len(wanted))
            if score:
                scored.append((score, label))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [label for _score, label in scored[:5]]


def _phrase_in(wanted: list[str], tokens: list[str]) -> bool:
    n = len(wanted)
    if not n:
        return False
    return any(tokens[i : i + n] == wanted for i in range(len(tokens) - n + 1))
