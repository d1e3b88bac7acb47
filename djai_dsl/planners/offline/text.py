"""English text handling for the offline planner: tokens, stems and numbers.

Questions and manifest names go through the same :func:`stem`, so "categories",
"category" and "Category" meet, as do "shipped", "shipping" and "ship". The stemmer is a
deliberately small suffix stripper: it only has to make two spellings of one word equal,
never to produce a dictionary word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Contractions expanded before tokenising, so that negation is always a word.
CONTRACTIONS = (
    (re.compile(r"\b(can)'t\b", re.I), r"\1 not"),
    (re.compile(r"\bwon't\b", re.I), "will not"),
    (re.compile(r"\b(\w+)n't\b", re.I), r"\1 not"),
    (re.compile(r"\b(what|who|where|which|that|it|there|here|how)'s\b", re.I), r"\1 is"),
    (re.compile(r"\b(\w+)'(re|ve|ll|d)\b", re.I), r"\1"),
    # Possessives: "the order's status", "customers' countries".
    (re.compile(r"(\w)'s\b", re.I), r"\1"),
    (re.compile(r"(\w)s'(?=\s|$)", re.I), r"\1s"),
    (re.compile(r"[\u2018\u2019]"), "'"),
)

#: A token: an ISO date or date-time, a number (1,000 / 2.5 / 10k), a quarter (Q1),
#: or a word.
TOKEN_RE = re.compile(
    r"""
    (?P<date>\d{4}-\d{2}-\d{2}(?:[T\s]\d{2}:\d{2}(?::\d{2})?)?)
  | (?P<number>\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?|\$?\d+(?:\.\d+)?(?:k\b)?)
  | (?P<word>[^\W_]+)
    """,
    re.VERBOSE | re.UNICODE | re.IGNORECASE,
)
QUOTED_RE = re.compile(r"\"([^\"]{1,200})\"|“([^”]{1,200})”|(?<!\w)'([^']{1,200})'(?!\w)")

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000,
    "dozen": 12, "single": 1, "couple": 2,
}  # fmt: skip

#: Words that carry no meaning of their own for matching names.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "with",
        "by",
        "per",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "me",
        "my",
        "our",
        "we",
        "us",
        "you",
        "your",
        "i",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "them",
        "they",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "show",
        "list",
        "give",
        "tell",
        "find",
        "get",
        "display",
        "please",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "should",
        "may",
        "might",
        "all",
        "any",
        "each",
        "every",
        "some",
        "much",
        "many",
        "than",
        "then",
        "as",
        "into",
        "about",
        "over",
        "under",
        "within",
        "across",
        "between",
        "only",
        "just",
        "also",
        "so",
        "up",
        "want",
        "need",
        "see",
        "know",
        "let",
        "lets",
        "here",
        "where",
        "when",
        "whats",
    ]
)


@dataclass(frozen=True)
class Token:
    text: str  # as written
    lower: str
    stem: str
    kind: str  # "word", "number", "date", "quoted"
    start: int  # character offsets in the question
    end: int
    value: float | str | None = None  # numbers and dates: the parsed value; quoted: the text


#: Comparison symbols written as words, so one set of rules reads both.
SYMBOLS = ((">=", " at least "), ("<=", " at most "), ("!=", " not "), (">", " more than "),
           ("<", " less than "), ("=", " equal to "))  # fmt: skip


def expand(text: str) -> str:
    for symbol, words in SYMBOLS:
        text = text.replace(symbol, words)
    for pattern, repl in CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def tokenize(question: str) -> list[Token]:
    """Tokens of a question; quoted text ("lamp", 'AC/DC') becomes one ``quoted`` token."""
    text = expand(question)
    tokens: list[Token] = []
    pos = 0
    for m in QUOTED_RE.finditer(text):
        tokens.extend(_plain_tokens(text, pos, m.start()))
        inner = next(g for g in m.groups() if g is not None)
        low = inner.lower()
        tokens.append(Token(inner, low, low, "quoted", m.start(), m.end(), inner))
        pos = m.end()
    tokens.extend(_plain_tokens(text, pos, len(text)))
    return tokens


def _plain_tokens(text: str, start: int, end: int) -> list[Token]:
    out = []
    for m in TOKEN_RE.finditer(text, start, end):
        raw = m.group(0)
        low = raw.lower()
        if m.lastgroup == "date":
            out.append(Token(raw, low, low, "date", m.start(), m.end(), low.replace(" ", "T")))
        elif m.lastgroup == "number":
            out.append(Token(raw, low, low, "number", m.start(), m.end(), parse_number(low)))
        else:
            kind = "number" if low in NUMBER_WORDS else "word"
            value = float(NUMBER_WORDS[low]) if kind == "number" else None
            out.append(Token(raw, low, stem(low), kind, m.start(), m.end(), value))
    return out


def parse_number(text: str) -> float:
    text = text.lstrip("$").replace(",", "")
    if text.endswith("k"):
        return float(text[:-1]) * 1000
    return float(text)


_VOWELS = set("aeiouy")

#: Irregular forms that must meet their noun or base verb: "units sold" is "unit sales",
#: "customers who spent" is "spend".
IRREGULAR = {
    "sold": "sal", "sell": "sal", "sells": "sal", "selling": "sal", "seller": "sal",
    "bought": "buy", "buys": "buy", "buying": "buy", "spent": "spend", "spending": "spend",
    "wrote": "writ", "written": "writ", "writes": "writ", "write": "writ",
    "children": "child", "people": "person", "men": "man", "women": "woman",
}  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents: "São Paulo" -> "sao paulo"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A light stem: plural and verb endings off, doubled final consonant undone, trailing
    'e' dropped. ``categories`` -> ``category``, ``shipped`` -> ``ship``, ``placed`` ->
    ``plac`` (as is ``place``), ``statuses`` -> ``status``."""
    w = fold(word)
    if w in IRREGULAR:
        return IRREGULAR[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith(("ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5 and _has_vowel(w[:-3]):
        w = _undouble(w[:-3])
    elif w.endswith("ed") and not w.endswith("eed") and len(w) > 4 and _has_vowel(w[:-2]):
        w = _undouble(w[:-2])
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def _has_vowel(w: str) -> bool:
    return any(c in _VOWELS for c in w)


def _undouble(w: str) -> str:
    # "shipped" -> "ship"; not for l and s: "billed" -> "bill", "passed" -> "pass".
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in _VOWELS and w[-1] not in "ls":
        return w[:-1]
    return w


def stems(text: str) -> tuple[str, ...]:
    """Stems of a name or phrase: ``signed_up_at`` -> ("sign", "up", "at")."""
    words = re.findall(r"[^\W_]+", expand(text).lower().replace("_", " "))
    return tuple(stem(w) for w in words)


def is_stopword(token: Token) -> bool:
    return token.lower in STOPWORDS
