"""Top-N and superlatives: "top 5 customers", "the cheapest product", "which ... the most".

A top-N has a limit (a number, :data:`DEFAULT_TOP`, or one for "the cheapest"), a
direction, and a dimension: what is ranked (a metric, a price, a length, a date, or
undefined: "the best customers" says neither). Its entity is the name ranked: after the
cue ("top 5 customers"), or before it in "which" questions ("which country has the most
customers?"), where a number or a singular verb before the entity gives the limit.
"""

from __future__ import annotations

from djai_dsl.planners.offline.cues import SUPERLATIVE_DIMENSION
from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.roles.records import Metric, Top

#: Default row count for "top customers by revenue" without a number.
DEFAULT_TOP = 10


def assign_top(c: Composer) -> None:
    """The first top-N cue of the question, with what it ranks."""
    words = c.words
    skip = c.time_tokens | c.comparison_tokens()
    for i, w in enumerate(words):
        if i in skip:
            continue
        limit = None
        descending = True
        start = i
        j = i
        if w in ("top", "bottom", "first", "last") and i + 1 < len(words):
            descending = w in ("top", "last")
            if c.tokens[i + 1].kind == "number":
                limit = int(c.tokens[i + 1].value or 0)
                j = i + 2
            else:
                j = i + 1
            dimension = "metric" if w in ("top", "bottom") else "time"
            if w == "first":
                descending = False
            sup = _superlative(c, j)
            if sup is not None:
                dimension, descending, j = sup
            elif w in ("top", "bottom"):
                dimension = "undefined"
            c.roles.top = Top(
                limit or (DEFAULT_TOP if w != "first" else 1), descending, dimension, start, j
            )
            if limit is None and w in ("top", "bottom"):
                c.roles.top.limit = None
            return
        if c.tokens[i].kind == "number" and i + 1 < len(words):
            sup = _superlative(c, i + 1)
            if sup is not None and float(c.tokens[i].value or 0).is_integer():
                dimension, descending, j = sup
                c.roles.top = Top(int(c.tokens[i].value or 0), descending, dimension, i, j)
                return
        if (
            w in ("most", "least")
            and _ends_clause(c, i + 1)
            and words[0] in ("which", "what", "who")
        ):
            # "which payment method is used most?", "... is the most common?"
            c.roles.top = Top(None, w == "most", "metric", i, i + 1)
            _which_entity(c, i)
            return
        if w in ("most", "fewest", "least") and (
            i == 0 or words[i - 1] in ("the", "have", "has", "with", "had", "do", "does", "did")
        ):
            # "the most orders", "most of our customers"
            nxt = c.mention_at(i + 1, reach=0 if words[i + 1 : i + 2] != ["of"] else 1)
            if (
                nxt is not None
                and not nxt.role
                and nxt.has("model", "relation", "field", "measure")
            ):
                if c.primary_kind(nxt) in ("model", "relation"):
                    nxt.role = "counted"
                    c.roles.counted.append((nxt, False))
                else:
                    nxt.role = "metric"
                    c.roles.metrics.append(Metric("sum", nxt, start=i))
                c.roles.top = Top(None, w == "most", "metric", i, i + 1)
                _which_entity(c, i)
                return
    for i in range(len(words)):  # "the five largest orders", "the cheapest product"
        if i in skip:
            continue
        sup = _superlative(c, i)
        if sup is None:
            continue
        dimension, descending, j = sup
        nxt = entity_after(c, j)
        if nxt is not None and nxt.has("model") and not nxt.has("field", "measure"):
            c.roles.top = Top(None, descending, dimension, i, j)
            return
        if nxt is None and words[0] in ("which", "who", "what") and dimension == "undefined":
            # "Which customers are the best?": the entity came first
            c.roles.top = Top(None, descending, dimension, i, j)
            _which_entity(c, i)
            return


def _ends_clause(c: Composer, j: int) -> bool:
    rest = [w for w in c.words[j:] if w not in ("common", "popular", "frequent", "often",
                                                "frequently", "used", "?")]  # fmt: skip
    return not rest


def _which_entity(c: Composer, index: int) -> None:
    """In "Which 3 countries have the most customers" the entity comes first, and a
    number before it (or a singular "which customer has") is the limit."""
    top = c.roles.top
    assert top is not None
    before = [m for m in c.mentions if m.end <= index and not m.role]
    entity = next(
        (m for m in before if m.has("model", "field", "relation") and not c.is_filter(m)),
        None,
    )
    if entity is None:
        return
    entity.role = "entity"
    c.roles.entity = entity
    numbers = [t for t in c.tokens[: entity.start] if t.kind == "number"]
    if numbers and float(numbers[-1].value or 0).is_integer():
        top.limit = int(numbers[-1].value or 0)
    elif c.words[entity.end : entity.end + 1] in (["has"], ["is"], ["was"]) or (
        entity.text.lower() == c.tokens[entity.start].stem
    ):
        top.limit = 1


def entity_after(c: Composer, index: int) -> Mention | None:
    """The first name after ``index`` that is not a filter ("the 5 cheapest active
    products": products, not active)."""
    for m in c.mentions:
        if m.start < index or m.role:
            continue
        if m.start - index > 4:
            return None
        if c.is_filter(m):
            continue
        return m
    return None


def _superlative(c: Composer, j: int) -> tuple[str, bool, int] | None:
    """A superlative at ``j`` ("cheapest", "most expensive"): its dimension, whether the
    largest come first, and where it ends."""
    words = c.words
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
