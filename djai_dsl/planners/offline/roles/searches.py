"""Text searches: "name contains 'rock'", and names the planner does not know.

A text search cue ("contains", "starting with") takes the field named before it. Proper
nouns that matched no name or indexed value ("tracks by AC/DC") are kept with the model
named right before them ("the artist Queen"), to be searched in text fields.
"""

from __future__ import annotations

from djai_dsl.planners.offline.cues import CURRENCY_WORDS
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.text import STOPWORDS, Token


def assign_text_searches(c: Composer) -> None:
    """Each text search with the field named before it; the searched words are no names."""
    for search in c.text_searches:
        before = c.mention_before(search.start, reach=3)
        if before is not None and not before.role and before.of_kind("field"):
            before.role = "text_field"
        else:
            before = None
        for m in c.mentions:  # the searched text is not a name
            if search.start <= m.start < search.end:
                m.role = "searched"
        c.roles.texts.append((search, before))


def assign_proper_nouns(c: Composer) -> None:
    """Capitalised words (not at the start) and quoted text that matched nothing: names
    of things the value index does not hold, searched in text fields later."""
    covered = {i for m in c.mentions for i in range(m.start, m.end)}
    covered |= c.time_tokens
    covered |= {i for s in c.text_searches for i in range(s.start, s.end)}
    covered |= c.comparison_tokens()
    run: list[Token] = []
    runs: list[list[Token]] = []
    for i, t in enumerate(c.tokens):
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
        text = c.text[tokens[0].start : tokens[-1].end].strip("\"'“”")
        if len(text) >= 2:
            index = c.tokens.index(tokens[0])
            owner = c.mention_before(index, reach=0)
            models = [s.model for s in owner.of_kind("model")] if owner is not None else []
            if owner is not None and models and not owner.role:
                owner.role = "hint"  # "the artist Queen": a name of an artist
            c.roles.searches.append((text, models))
