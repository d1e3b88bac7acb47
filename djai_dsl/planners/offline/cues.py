"""The small words around names: counting, totals, grouping, top-N, comparisons and text
search. Each finder reads the token list and reports token positions; which name a cue
applies to is decided by the composer (the nearest mention after or before it)."""

from __future__ import annotations

from dataclasses import dataclass

from djai_dsl.plan import TextOp
from djai_dsl.planners.offline.text import Token, stem

COUNT_PHRASES: tuple[tuple[str, ...], ...] = (
    ("how", "many"), ("number", "of"), ("count", "of"), ("count",), ("counts",),
    ("total", "number", "of"), ("amount", "of"), ("no", "of"), ("num", "of"),
)  # fmt: skip
DISTINCT_WORDS = frozenset({"different", "distinct", "unique", "separate"})

#: Aggregate cue words -> function. "total" and "sum" add up; superlatives are decided
#: later (they may also ask for a top-N list).
AGG_WORDS: dict[tuple[str, ...], str] = {
    ("total",): "sum", ("sum", "of"): "sum", ("sum",): "sum", ("how", "much"): "sum",
    ("overall",): "sum", ("combined",): "sum", ("cumulative",): "sum",
    ("average",): "avg", ("avg",): "avg", ("mean",): "avg", ("typical",): "avg",
    ("maximum",): "max", ("max",): "max", ("highest",): "max", ("largest",): "max",
    ("biggest",): "max", ("greatest",): "max", ("top",): "max", ("longest",): "max",
    ("most", "expensive"): "max", ("priciest",): "max", ("latest",): "max",
    ("newest",): "max", ("most", "recent"): "max",
    ("minimum",): "min", ("min",): "min", ("lowest",): "min", ("smallest",): "min",
    ("cheapest",): "min", ("least", "expensive"): "min", ("shortest",): "min",
    ("oldest",): "min", ("earliest",): "min", ("fewest",): "min", ("least",): "min",
    ("bottom",): "min", ("worst",): "min", ("best",): "max", ("most",): "max",
    ("popular",): "max",
}  # fmt: skip

#: What a superlative measures when no field is named.
SUPERLATIVE_DIMENSION: dict[str, str] = {
    "expensive": "price", "priciest": "price", "cheapest": "price", "pricey": "price",
    "largest": "amount", "biggest": "amount", "smallest": "amount", "highest": "amount",
    "lowest": "amount", "greatest": "amount", "longest": "length", "shortest": "length",
    "latest": "time", "newest": "time", "recent": "time", "oldest": "time",
    "earliest": "time", "best": "undefined", "worst": "undefined", "popular": "undefined",
    "top": "undefined", "bottom": "undefined",
}  # fmt: skip
#: Words that name a price, a length or an amount in many schemas (looked up in the
#: lexicon as they are; the first that names a numeric field wins).
DIMENSION_WORDS: dict[str, tuple[str, ...]] = {
    "price": ("price", "cost", "unit price"),
    "length": ("length", "duration", "running time", "time"),
    "amount": ("amount", "total", "value", "size"),
}

GROUP_WORDS = frozenset({"by", "per", "each", "every", "across"})
GROUP_PHRASES: tuple[tuple[str, ...], ...] = (
    ("grouped", "by"), ("group", "by"), ("broken", "down", "by"), ("break", "down", "by"),
    ("breakdown", "by"), ("breakdown", "of"), ("split", "by"), ("for", "each"),
    ("for", "every"), ("distribution", "of"), ("distribution", "by"), ("breakdown",),
    ("in", "each"),
)  # fmt: skip
SORT_PHRASES: tuple[tuple[str, ...], ...] = (
    ("sorted", "by"), ("sort", "by"), ("ordered", "by"), ("order", "by"), ("ranked", "by"),
    ("rank", "by"), ("sort", "them", "by"), ("sort", "it", "by"), ("sort", "by"),
)  # fmt: skip
#: "placed by", "made by": a participle before "by" names who did it, not a grouping.
AGENT_EXCEPTIONS = frozenset({"grouped", "broken", "split", "sorted", "ordered", "ranked"})
IRREGULAR_PARTICIPLES = frozenset(
    [
        "made",
        "done",
        "written",
        "sold",
        "bought",
        "paid",
        "held",
        "given",
        "taken",
        "seen",
        "kept",
        "sent",
        "won",
        "led",
    ]
)

# comparisons ------------------------------------------------------------------------------

COMPARATORS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # (words, operator, dimension hint)
    (("more", "expensive", "than"), ">", "price"), (("less", "expensive", "than"), "<", "price"),
    (("no", "more", "than"), "<=", ""), (("no", "less", "than"), ">=", ""),
    (("not", "more", "than"), "<=", ""), (("not", "less", "than"), ">=", ""),
    (("more", "than"), ">", ""), (("greater", "than"), ">", ""),
    (("bigger", "than"), ">", "amount"),
    (("larger", "than"), ">", "amount"), (("higher", "than"), ">", "amount"),
    (("longer", "than"), ">", "length"), (("pricier", "than"), ">", "price"),
    (("costlier", "than"), ">", "price"), (("less", "than"), "<", ""), (("fewer", "than"), "<", ""),
    (("smaller", "than"), "<", "amount"), (("lower", "than"), "<", "amount"),
    (("shorter", "than"), "<", "length"), (("cheaper", "than"), "<", "price"),
    (("at", "least"), ">=", ""), (("at", "most"), "<=", ""), (("up", "to"), "<=", ""),
    (("over",), ">", ""), (("above",), ">", ""), (("exceeding",), ">", ""),
    (("exceeds",), ">", ""), (("under",), "<", ""), (("below",), "<", ""),
    (("exactly",), "=", ""), (("equal", "to"), "=", ""), (("equals",), "=", ""),
    (("minimum", "of"), ">=", ""), (("maximum", "of"), "<=", ""),
)  # fmt: skip
#: Seconds per duration unit, keyed by stem ("minutes" -> "minut").
DURATION_UNITS = {
    stem(word): seconds
    for word, seconds in {
        "ms": 0.001, "millisecond": 0.001, "second": 1, "sec": 1, "s": 1, "minute": 60,
        "min": 60, "hour": 3600, "hr": 3600, "h": 3600, "day": 86400,
    }.items()
}  # fmt: skip
CURRENCY_WORDS = frozenset(
    [
        "eur",
        "euro",
        "euros",
        "€",
        "usd",
        "dollar",
        "dollars",
        "$",
        "gbp",
        "pound",
        "pounds",
        "bucks",
    ]
)


@dataclass
class Comparison:
    op: str  # >, >=, <, <=, =, between
    value: float
    high: float | None
    start: int  # first token of the comparator
    number_at: int  # token of the (first) number
    end: int  # one past the last token used (number and unit)
    dimension: str = ""  # price / length / amount, from the comparator word
    seconds: float | None = None  # the value as a duration, when a time unit followed
    seconds_high: float | None = None


@dataclass
class TextSearch:
    op: TextOp
    value: str
    start: int
    end: int


def _words(tokens: list[Token]) -> list[str]:
    return [t.lower for t in tokens]


def match_phrase(words: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[i : i + len(phrase)]) == phrase


def find_comparisons(tokens: list[Token], skip: set[int]) -> list[Comparison]:
    words = _words(tokens)
    out: list[Comparison] = []
    i = 0
    while i < len(tokens):
        if i in skip:
            i += 1
            continue
        found = _comparison_at(tokens, words, i, skip)
        if found is None:
            i += 1
            continue
        out.append(found)
        i = found.end
    out.extend(_trailing_comparisons(tokens, words, skip, out))
    return out


def _comparison_at(
    tokens: list[Token], words: list[str], i: int, skip: set[int]
) -> Comparison | None:
    if words[i] == "between":
        lo = _number_at(tokens, i + 1, skip)
        if lo is not None and i + 2 < len(words) and words[lo[1]] in ("and", "to"):
            hi = _number_at(tokens, lo[1] + 1, skip)
            if hi is not None:
                c = Comparison("between", lo[0], hi[0], i, i + 1, hi[1])
                _units(tokens, c, hi[1])
                if lo[2] is not None and c.seconds is not None:
                    c.seconds = lo[0] * lo[2]
                return c
    for phrase, op, dimension in COMPARATORS:
        if match_phrase(words, i, phrase):
            j = i + len(phrase)
            if j < len(words) and words[j] in CURRENCY_WORDS:
                j += 1
            num = _number_at(tokens, j, skip)
            if num is None:
                return None
            c = Comparison(op, num[0], None, i, j, num[1], dimension)
            _units(tokens, c, num[1])
            if num[2] is not None:  # "an hour": the unit was the number
                c.seconds = num[0] * num[2]
            return c
    return None


def _trailing_comparisons(
    tokens: list[Token], words: list[str], skip: set[int], found: list[Comparison]
) -> list[Comparison]:
    """Comparisons written after the number: "20 or more", "5 or fewer"."""
    used = {k for c in found for k in range(c.start, c.end)}
    out = []
    for i, t in enumerate(tokens):
        if t.kind != "number" or i in skip or i in used:
            continue
        if match_phrase(words, i + 1, ("or", "more")) or match_phrase(
            words, i + 1, ("or", "above")
        ):
            out.append(Comparison(">=", float(t.value or 0), None, i, i, i + 3))
        elif match_phrase(words, i + 1, ("or", "less")) or match_phrase(
            words, i + 1, ("or", "fewer")
        ):
            out.append(Comparison("<=", float(t.value or 0), None, i, i, i + 3))
    return out


def _number_at(
    tokens: list[Token], j: int, skip: set[int]
) -> tuple[float, int, float | None] | None:
    """(value, index after it, seconds per unit when "a/an <unit>" stood for the number)."""
    if j >= len(tokens) or j in skip:
        return None
    t = tokens[j]
    if t.kind == "number" and isinstance(t.value, float):
        return t.value, j + 1, None
    if t.lower in ("a", "an", "one") and j + 1 < len(tokens):
        unit = DURATION_UNITS.get(tokens[j + 1].stem)
        if unit is not None:
            return 1.0, j + 2, unit
    return None


def _units(tokens: list[Token], c: Comparison, j: int) -> None:
    """A unit after the number: a duration gives seconds; a currency is just skipped."""
    if j < len(tokens):
        unit = DURATION_UNITS.get(tokens[j].stem)
        if unit is not None and tokens[j].kind == "word":
            c.seconds = c.value * unit
            c.seconds_high = c.high * unit if c.high is not None else None
            c.end = j + 1
        elif tokens[j].lower in CURRENCY_WORDS:
            c.end = j + 1


TEXT_OPS: tuple[tuple[tuple[str, ...], TextOp], ...] = (
    (("starts", "with"), "starts_with"), (("starting", "with"), "starts_with"),
    (("start", "with"), "starts_with"), (("begins", "with"), "starts_with"),
    (("beginning", "with"), "starts_with"), (("begin", "with"), "starts_with"),
    (("ends", "with"), "ends_with"), (("ending", "with"), "ends_with"),
    (("ending", "in"), "ends_with"), (("end", "with"), "ends_with"), (("ends", "in"), "ends_with"),
    (("contains",), "contains"), (("containing",), "contains"), (("contain",), "contains"),
    (("mentions",), "contains"), (("mentioning",), "contains"), (("mention",), "contains"),
    (("includes",), "contains"), (("including",), "contains"), (("like",), "contains"),
    (("matching",), "contains"), (("matches",), "contains"), (("with", "the", "word"), "contains"),
)  # fmt: skip
TEXT_VALUE_STOP = frozenset(
    [
        "in",
        "on",
        "at",
        "of",
        "for",
        "and",
        "or",
        "by",
        "with",
        "who",
        "that",
        "which",
        "whose",
        "from",
        "to",
        "is",
        "are",
        "was",
        "were",
    ]
)


def find_text_searches(tokens: list[Token], question: str, skip: set[int]) -> list[TextSearch]:
    words = _words(tokens)
    out = []
    i = 0
    while i < len(tokens):
        for phrase, op in TEXT_OPS:
            if i not in skip and match_phrase(words, i, phrase):
                j = i + len(phrase)
                while j < len(tokens) - 1 and words[j] in ("the", "word", "text", "a"):
                    j += 1
                value, end = _text_value(tokens, question, j)
                if value:
                    out.append(TextSearch(op, value, i, end))
                    i = end - 1
                break
        i += 1
    return out


def _text_value(tokens: list[Token], question: str, j: int) -> tuple[str, int]:
    if j >= len(tokens):
        return "", j
    if tokens[j].kind == "quoted":
        return str(tokens[j].value), j + 1
    end = j
    while end < len(tokens) and end - j < 4:
        t = tokens[end]
        if t.kind == "quoted" or (t.lower in TEXT_VALUE_STOP and end > j):
            break
        end += 1
    if end == j:
        return "", j
    text = (
        question[tokens[j].start : tokens[end - 1].end] if tokens[j].start < len(question) else ""
    )
    return text.strip().strip("?.!,"), end


def count_cue_ends(tokens: list[Token]) -> list[int]:
    """Token indexes right after each counting phrase ("how many", "number of")."""
    words = _words(tokens)
    ends = []
    i = 0
    while i < len(words):
        for phrase in COUNT_PHRASES:
            if match_phrase(words, i, phrase):
                if phrase == ("count",) and i > 0 and words[i - 1] not in ("the", "a", "total"):
                    break  # "order count" is a name; "count refunds", "the count of" are cues
                ends.append(i + len(phrase))
                i += len(phrase) - 1
                break
        i += 1
    return ends


def agent_by(tokens: list[Token], i: int) -> bool:
    """Whether "by" at ``i`` follows a participle ("placed by", "made by"): an agent."""
    if i == 0:
        return False
    prev = tokens[i - 1].lower
    if prev in AGENT_EXCEPTIONS:
        return False
    return prev in IRREGULAR_PARTICIPLES or (prev.endswith("ed") and len(prev) > 4)
