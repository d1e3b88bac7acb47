"""Words that are not what they seem: a name that says something about another name.

"opened" in "tickets opened yesterday" is an event, not the status "open"; "shipped" in
"shipped to Japan" names the field of "Japan"; "priority" in "high priority" names the
field of its own value; "playlist" in "the Grunge playlist" says whose value "Grunge"
is. Such mentions become hints, not filters or subjects.
"""

from __future__ import annotations

from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.roles.composer import Composer
from djai_dsl.planners.offline.text import stems


def verb_form(c: Composer, m: Mention) -> bool:
    """A verb, not a value: "opened" in "tickets opened yesterday" is the event, not the
    status "open"."""
    word = m.text.lower()
    values = [s for s in m.senses if s.kind in ("value", "segment")]
    return (
        word.endswith("ed")
        and bool(values)
        and not any(c.exact(m, s) for s in values)
        and all(len(word) > len(str(s.value or s.name)) for s in values)
    )


def field_hint(c: Composer, m: Mention) -> bool:
    """In "shipped to Japan", "shipped" names the field of the value after it
    (shipping country), it is not the status "shipped"."""
    if not m.has("value"):
        return False
    own = {t.stem for t in c.tokens[m.start : m.end]}
    for other in c.mentions:
        if other is m or not (0 <= other.start - m.end <= 2) or not other.has("value"):
            continue
        for s in other.of_kind("value"):
            f = c.field_info(s)
            if f is not None and own <= set(stems(f.name)) | set(stems(f.verbose_name)):
                return True
    return False


def names_adjacent_value(c: Composer, m: Mention) -> bool:
    """A field's name next to its own value: "high priority", "status pending"."""
    if m.has("value", "segment", "model") or not m.has("field"):
        return False
    fields = {(s.model, s.name) for s in m.of_kind("field")}
    for other in c.mentions:
        if other is m or not (other.end == m.start or m.end == other.start):
            continue
        if any((s.model, s.name) in fields for s in other.of_kind("value")):
            return True
    return False


def qualifier(c: Composer, m: Mention) -> bool:
    """A model named right after one of its values: "the Grunge playlist"."""
    models = {s.model for s in m.of_kind("model")}
    for other in c.mentions:
        if other.end in (m.start, m.start - 1) and other.role in ("filter", ""):
            for s in other.of_kind("value"):
                profile = c.lex.profiles.get(s.model)
                if s.model in models and profile and s.name in profile.label_fields:
                    return True
    return False
