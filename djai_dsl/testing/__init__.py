"""Test helpers for host projects (registered as the ``djai`` pytest plugin).

The helpers are imported lazily (PEP 562): pytest loads the plugin, and so this package,
before Django is set up and before coverage starts in each xdist worker, so importing the
compiler and executor here would both touch Django too early and hide their module-level
lines from coverage.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from djai_dsl.testing.helpers import assert_dsl_matches_queryset as assert_dsl_matches_queryset
    from djai_dsl.testing.helpers import compile_dsl as compile_dsl
    from djai_dsl.testing.helpers import plan_snapshot as plan_snapshot

__all__ = ["assert_dsl_matches_queryset", "compile_dsl", "plan_snapshot"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'djai_dsl.testing' has no attribute {name!r}")
    value = getattr(import_module("djai_dsl.testing.helpers"), name)
    globals()[name] = value
    return value
