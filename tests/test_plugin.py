"""The ``djai`` pytest plugin, used the way a host project uses it (this file is also the
example in docs/testing.md). The fixtures come from the ``pytest11`` entry point that
installing the package registers; nothing is imported from djai_dsl.testing here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, F

from demo.shop.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def djai_now() -> dt.datetime:  # overrides the plugin's clock for this module
    return dt.datetime(2026, 6, 15, 10, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def djai_tz() -> ZoneInfo:
    return ZoneInfo("Europe/Berlin")


def test_a_question_keeps_its_plan(djai_plan, snapshot_backend) -> None:  # type: ignore[no-untyped-def]
    # In a host project this is `== snapshot` (syrupy); a change in the planner, the
    # registry or the compiler then shows up as a reviewed diff of DSL and SQL.
    answer = djai_plan("how many orders per status")
    assert answer["kind"] == "plan"
    assert answer["dsl"].startswith("from shop.order")
    assert answer == snapshot_backend  # SQL differs per backend


def test_dsl_returns_the_rows_of_a_hand_written_queryset(djai_assert_matches) -> None:  # type: ignore[no-untyped-def]
    djai_assert_matches(
        "from shop.order group by status aggregate n = count()",
        Order.objects.values(c0=F("status")).annotate(c1=Count("pk")).order_by(),
    )
    with pytest.raises(AssertionError, match="DSL rows differ"):
        djai_assert_matches(
            "from shop.order group by status aggregate n = count()",
            Order.objects.filter(status="paid").values(c0=F("status")).annotate(c1=Count("pk")),
        )


def test_compile_uses_the_injected_clock(djai_compile) -> None:  # type: ignore[no-untyped-def]
    compiled = djai_compile(
        "from shop.order where created_at in previous month aggregate n = count()"
    )
    assert "2026-05-01 to 2026-05-31; today does not count" in compiled.explanation
