"""djai: ask your Django database questions in plain words, safely.

The names below are the public facade. They are imported lazily (PEP 562) so that
``import djai_dsl`` stays cheap and safe before settings are configured or apps are ready:
``djai_dsl.register`` is used in apps' ``djai.py`` modules during start-up.

- ``parse(text, manifest=None)`` -> QueryPlan; ``format(plan)`` -> canonical DSL text
- ``validate_plan(plan, manifest)``; ``compile_plan(plan, manifest, tz=, now=)`` -> CompiledQuery
- ``build_manifest(user)``; ``register(Model, ...)``
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from djai_dsl.compiler import compile_plan as compile_plan
    from djai_dsl.grammar import format_plan as format  # noqa: F401
    from djai_dsl.grammar import parse as parse
    from djai_dsl.manifest.builder import build_manifest as build_manifest
    from djai_dsl.manifest.registry import register as register
    from djai_dsl.plan import QueryPlan as QueryPlan
    from djai_dsl.validation import validate_plan as validate_plan

#: facade name -> (module that defines it, its name there)
_LAZY: dict[str, tuple[str, str]] = {
    "parse": ("djai_dsl.grammar", "parse"),
    "format": ("djai_dsl.grammar", "format_plan"),
    "compile_plan": ("djai_dsl.compiler", "compile_plan"),
    "validate_plan": ("djai_dsl.validation", "validate_plan"),
    "QueryPlan": ("djai_dsl.plan", "QueryPlan"),
    "register": ("djai_dsl.manifest.registry", "register"),
    "build_manifest": ("djai_dsl.manifest.builder", "build_manifest"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'djai_dsl' has no attribute {name!r}")
    module, attribute = target
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
