"""Choose the planner from settings: ``DJAI["PLANNER"]``.

- ``"offline"`` (default): the rule planner, no provider needed; the demo works with no key.
- ``"llm"``: the instructor/openai planner against ``DJAI["LLM"]`` (any OpenAI-compatible
  endpoint).
- ``"replay"``: recorded responses (tests).
- a dotted path to a class implementing :class:`~djai_dsl.planners.base.Planner`.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from djai_dsl.conf import get_config
from djai_dsl.errors import ConfigurationError
from djai_dsl.planners.base import Planner

BUILTIN = {
    "offline": "djai_dsl.planners.offline.OfflinePlanner",
    "llm": "djai_dsl.planners.llm.LLMPlanner",
    "replay": "djai_dsl.planners.replay.ReplayPlanner",
}


def get_planner(name: str | None = None) -> Planner:
    """A planner instance for ``name`` (default: the ``PLANNER`` setting)."""
    choice = name or get_config()["PLANNER"]
    path = BUILTIN.get(choice, choice)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ConfigurationError(
            f"DJAI['PLANNER'] is {choice!r}, which cannot be imported: {exc}",
            hint="use 'offline', 'llm', 'replay' or a dotted path to a Planner class",
        ) from None
    planner = cls()
    if not isinstance(planner, Planner):
        raise ConfigurationError(f"{path} does not implement the Planner protocol")
    return planner
