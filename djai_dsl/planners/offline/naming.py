"""Names the offline planner gives to output columns: valid DSL names, readable words."""

from __future__ import annotations

from djai_dsl import plan as p
from djai_dsl.manifest.types import ModelInfo
from djai_dsl.planners.offline.text import STOPWORDS


def number(value: float | None) -> float | int:
    """A number as the plan shows it: 20, not 20.0."""
    if value is None:
        return 0
    return int(value) if float(value).is_integer() else round(value, 6)


def safe_name(name: str) -> str:
    """A valid aggregate name from any text: letters, digits and single underscores, not a
    DSL keyword, at most 64 characters."""
    cleaned = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name).strip("_") or "value"
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    if not cleaned[0].isalpha():
        cleaned = "n_" + cleaned
    if cleaned.lower() in p.RESERVED_WORDS:
        cleaned += "_value"
    return cleaned[:64]


def words_name(text: str) -> str:
    """The content words of a phrase joined by underscores: "the revenue" -> "revenue"."""
    return "_".join(w for w in text.lower().split() if w not in STOPWORDS) or "value"


def plural_name(info: ModelInfo) -> str:
    """A count's name: the model's plural ("order_items")."""
    return safe_name(info.verbose_name_plural.replace(" ", "_"))
