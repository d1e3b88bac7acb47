"""djai: ask your Django database questions in plain words, safely.

The names below are the public facade. They are imported lazily (PEP 562) so that
``import djai_dsl`` stays cheap and safe before settings are configured or apps are ready:
``djai_dsl.register`` is used in apps' ``djai.py`` modules during start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from djai_dsl.manifest.builder import build_manifest as build_manifest
    from djai_dsl.manifest.registry import register as register

#: facade name -> module that defines it
_LAZY: dict[str, str] = {
    "register": "djai_dsl.manifest.registry",
    "build_manifest": "djai_dsl.manifest.builder",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'djai_dsl' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
