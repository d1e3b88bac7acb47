"""The ``djai`` pytest plugin (entry point ``pytest11``): fixtures for host projects.

- ``djai_compile(text, user=None)`` -> CompiledQuery, with a fixed clock and zone
- ``djai_plan(question, user=None)`` -> dict for snapshot tests (``assert djai_plan(q) == snapshot``)
- ``djai_assert_matches(text, queryset)`` -> asserts the DSL returns the queryset's rows

Set ``djai_now`` / ``djai_tz`` fixtures in your conftest to change the clock. Nothing here
imports Django at collection time, so the plugin is harmless in projects without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest


@pytest.fixture
def djai_now() -> dt.datetime:
    from djai_dsl.testing.helpers import DEFAULT_NOW

    return DEFAULT_NOW


@pytest.fixture
def djai_tz() -> ZoneInfo:
    from djai_dsl.testing.helpers import DEFAULT_TZ

    return DEFAULT_TZ


@pytest.fixture
def djai_compile(djai_now: dt.datetime, djai_tz: ZoneInfo) -> Callable[..., Any]:
    from djai_dsl.testing.helpers import compile_dsl

    def run(text: str, **kwargs: Any) -> Any:
        kwargs.setdefault("now", djai_now)
        kwargs.setdefault("tz", djai_tz)
        return compile_dsl(text, **kwargs)

    return run


@pytest.fixture
def djai_plan(djai_now: dt.datetime, djai_tz: ZoneInfo) -> Callable[..., dict[str, Any]]:
    from djai_dsl.testing.helpers import plan_snapshot

    def run(question: str, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("now", djai_now)
        kwargs.setdefault("tz", djai_tz)
        return plan_snapshot(question, **kwargs)

    return run


@pytest.fixture
def djai_assert_matches(djai_now: dt.datetime, djai_tz: ZoneInfo) -> Callable[..., None]:
    from djai_dsl.testing.helpers import assert_dsl_matches_queryset

    def run(text: str, queryset: Any, **kwargs: Any) -> None:
        kwargs.setdefault("now", djai_now)
        kwargs.setdefault("tz", djai_tz)
        assert_dsl_matches_queryset(text, queryset, **kwargs)

    return run
