"""The escape hatch: ORM snippets for questions a plan cannot express, checked by an AST and
import guard and interpreted by djai, never executed by Python. Off by default.

Stages, each a module: ``policy`` (settings, permission) -> ``guard`` (text -> checked
syntax tree) -> ``interpreter`` (tree -> QuerySet built by djai, every field path checked by
``paths`` against the user's manifest) -> ``shape`` (QuerySet -> what the executor runs) ->
``runner`` (the read-only executor). :func:`compile_snippet` and :func:`run_snippet` are
what the rest of djai calls.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from djai_dsl.conf import get_config
from djai_dsl.escape.guard import ALLOWED_ATTRIBUTES, ALLOWED_NODES, CheckedSnippet, check_snippet
from djai_dsl.escape.interpreter import Interpreter
from djai_dsl.escape.policy import (
    PERMISSION,
    EscapeSettings,
    escape_hatch_enabled,
    may_use_escape_hatch,
    require_escape_hatch,
)
from djai_dsl.escape.runner import run_compiled_snippet
from djai_dsl.escape.shape import CompiledSnippet, fingerprint, shape
from djai_dsl.escape.symbols import CONSTRUCTORS, Symbols, symbols_for
from djai_dsl.executor import ReadOnlyExecutor, Result
from djai_dsl.manifest.types import Manifest

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_NODES",
    "CONSTRUCTORS",
    "PERMISSION",
    "CheckedSnippet",
    "CompiledSnippet",
    "EscapeSettings",
    "Symbols",
    "check_snippet",
    "compile_snippet",
    "escape_hatch_enabled",
    "may_use_escape_hatch",
    "require_escape_hatch",
    "run_snippet",
    "symbols_for",
]


def compile_snippet(
    source: str,
    manifest: Manifest,
    *,
    tz: ZoneInfo,
    now: dt.datetime,
    settings: EscapeSettings | None = None,
    alias: str | None = None,
) -> CompiledSnippet:
    """Check ``source``, interpret it against ``manifest`` and shape it for the executor.
    Touches no rows (the SQL is compiled, not run). Raises ``CodeInvalid`` subclasses."""
    if now.tzinfo is None:
        raise ValueError("compile_snippet needs an aware `now`")
    config = get_config()
    settings = settings or EscapeSettings.from_config()
    symbols = symbols_for(manifest, now=now, tz=tz)
    checked = check_snippet(source, symbols, settings)
    interpreter = Interpreter(
        manifest,
        symbols,
        tz=tz,
        max_hops=int(config["MAX_RELATION_HOPS"]),
        max_in_values=int(config["MAX_IN_VALUES"]),
    )
    value = interpreter.run(checked)
    return shape(
        value,
        interpreter.resolver,
        source=source,
        fingerprint=fingerprint(checked.dump(), tz, now),
        tz=tz,
        alias=alias or config["DATABASE_ALIAS"],
    )


def run_snippet(
    source: str,
    manifest: Manifest,
    *,
    tz: ZoneInfo,
    now: dt.datetime,
    executor: ReadOnlyExecutor | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    settings: EscapeSettings | None = None,
) -> tuple[CompiledSnippet, Result]:
    """Compile and run ``source`` read-only: the snippet and one page of its rows."""
    executor = executor or ReadOnlyExecutor()
    snippet = compile_snippet(
        source, manifest, tz=tz, now=now, settings=settings, alias=executor.alias
    )
    result = run_compiled_snippet(snippet, executor, tz=tz, page_size=page_size, cursor=cursor)
    return snippet, result
