"""Text searches: "whose name contains 'rock'", and names the planner does not know.

A search goes to the text field named with it, else to the source's label field. An
unknown proper noun ("tracks by AC/DC") is searched in the label fields of the model
named with it, else in the text fields of the source and of what it reaches: a guess,
so the reading's confidence drops low enough for the chat to ask first.
"""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.manifest.types import TEXT_TYPES
from djai_dsl.planners.offline.readings.builder import ReadingBuilder
from djai_dsl.planners.offline.readings.conditions import across


def add_text_searches(b: ReadingBuilder) -> None:
    """A text match for each text search cue."""
    for search, m in b.r.texts:
        path = None
        if m is not None:
            hit = b.best_sense(m, ("field",))
            if hit is not None and b.c.field_type(hit[0]) in TEXT_TYPES:
                path = hit[2].join(hit[0].name)
                b.credit(m, hit[1])
        if path is None:
            labels = b.profile.label_fields
            if not labels:
                b.reading.problems.append("no text field to search")
                continue
            path = labels[0]
            b.reading.penalize(0.9)
        b.conditions.append(
            across(b, path, p.TextMatch(field=path, op=search.op, value=search.value))
        )
        b.reading.score += 0.5


def add_name_searches(b: ReadingBuilder) -> None:
    """Names the planner does not know ("AC/DC"): searched in the text fields of the
    source and of the models it reaches through to-one relations."""
    for text, models in b.r.searches:
        paths = _search_paths(b, models)
        if not paths:
            continue
        conds: list[p.Condition] = [
            p.TextMatch(field=path, op="contains", value=text) for path in paths
        ]
        b.conditions.append(conds[0] if len(conds) == 1 else p.Or(conditions=conds))
        # A guess: low enough that the chat asks before running it.
        b.reading.penalize(0.5, f"searched for “{text}” in text fields")


def _search_paths(b: ReadingBuilder, models: list[str]) -> list[str]:
    """Where to look for a name: the label fields of the model named with it, else the
    text fields of the source and the label fields of what it reaches (to-one, two hops)."""
    routes = b.c.routes(b.source)
    named = [m for m in models if m in routes and not routes[m].to_many]
    if named:
        return [
            routes[label].join(name)
            for label in named
            for name in b.c.lex.profiles[label].label_fields
        ][:8]
    paths: list[str] = []
    for name, f in b.info.fields.items():
        if f.type in TEXT_TYPES and not f.choices and not f.primary_key:
            paths.append(name)
    for label, route in routes.items():
        if label == b.source or route.to_many or route.length > 2:
            continue
        profile = b.c.lex.profiles.get(label)
        for name in profile.label_fields if profile else []:
            paths.append(route.join(name))
    return paths[:8]
