"""Subjects: the models a question names as what it is about.

The source's own name is its best evidence, the head noun first ("orders from business
customers" is about orders). Another model named as a subject is an existence condition
("customers who placed an order"), says whose value is meant ("the Laptops category"),
or is context; otherwise it does not fit the source.
"""

from __future__ import annotations

from djai_dsl.planners.offline.mentions import Mention
from djai_dsl.planners.offline.readings.builder import SUBJECT_BONUS, ReadingBuilder
from djai_dsl.planners.offline.readings.existence import as_existence


def add_subjects(b: ReadingBuilder) -> None:
    """Credit the source's own name; turn other named models into conditions or context."""
    for index, m in enumerate(b.r.subjects):
        hit = b.best_sense(m, ("model",))
        if hit is not None and hit[0].model == b.source:
            # The head noun comes first: "orders from business customers" is orders.
            b.credit(m, hit[1] + (SUBJECT_BONUS if index == 0 else 0.1))
        elif as_existence(b, m):
            continue
        elif hit is not None and _qualifies_something(b, m):
            b.credit(m, 0.2)  # "the Laptops category": says whose value it is
        elif hit is not None:
            b.credit(m, 0.1)  # context: "customers who bought a product from .."
        else:
            b.reading.score -= 0.3
            b.reading.problems.append(f"{m.text!r} is not {b.info.verbose_name_plural}")


def _qualifies_something(b: ReadingBuilder, m: Mention) -> bool:
    """A model named next to a filter, group or metric of its own."""
    models = {s.model for s in m.of_kind("model")}
    for other in b.c.mentions:
        if other is m or other.role not in ("filter", "group", "attribute", "metric"):
            continue
        near = abs(other.start - m.end) <= 2 or abs(m.start - other.end) <= 2
        if near and any(s.model in models for s in other.senses):
            return True
    return False
