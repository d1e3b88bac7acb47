"""Behaviour that differed across the supported range (Django 4.2 to 6, Python 3.10 to 3.13)
until djai made it the same. Each test passes on every version; run the suite on the two
ends with ``nox -s tests``."""

from __future__ import annotations

import pytest
from django.db import connection

from demo.shop.models import Order
from djai_dsl.compiler import compile_plan
from djai_dsl.executor import ReadOnlyExecutor
from djai_dsl.grammar import parse
from tests.conftest import BACKEND

pytestmark = pytest.mark.django_db

BIG = 10**30


def group_count(having: str, manifest, tz, now) -> int:  # type: ignore[no-untyped-def]
    text = f"from shop.order group by status aggregate n = count() having {having}"
    compiled = compile_plan(parse(text, manifest=manifest), manifest, tz=tz, now=now)
    return ReadOnlyExecutor().run(compiled, tz=tz).row_count


@pytest.mark.parametrize(
    ("having", "every_group"),
    [
        (f"n > {BIG}", False),
        (f"n >= {BIG}", False),
        (f"n = {BIG}", False),
        (f"n < {BIG}", True),
        (f"n != {BIG}", True),
        (f"n > -{BIG}", True),
        (f"not n > {BIG}", True),
        (f"n between 0 and {BIG}", True),
        (f"n not in ({BIG})", True),
        (f"n in ({BIG})", False),
    ],
)
def test_having_with_an_integer_beyond_64_bits(having, every_group, manifest, tz, now) -> None:  # type: ignore[no-untyped-def]
    """Django 5 drops lookups whose integer is out of the column's range; Django 4.2 hands
    it to the driver (SQLite: OverflowError, a 500). The compiler decides them itself."""
    groups = Order.objects.values("status").distinct().count()
    assert group_count(having, manifest, tz, now) == (groups if every_group else 0)


def test_an_impossible_branch_does_not_change_the_groups(manifest, tz, now) -> None:  # type: ignore[no-untyped-def]
    # Referring to a column in HAVING would add it to GROUP BY (one group per order).
    assert group_count(f"n > {BIG} or n > 3", manifest, tz, now) == group_count(
        "n > 3", manifest, tz, now
    )


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's authorizer")
def test_connection_writes_again_after_a_read_only_query(manifest, tz, now) -> None:  # type: ignore[no-untyped-def]
    """Python 3.10 cannot unset an authorizer with None (it then denies everything): the
    executor installs a permissive one instead, so the host's own writes still work."""
    compiled = compile_plan(
        parse("from shop.order aggregate n = count()"), manifest, tz=tz, now=now
    )
    ReadOnlyExecutor().run(compiled, tz=tz)
    order = Order.objects.order_by("pk").first()
    assert order is not None
    Order.objects.filter(pk=order.pk).update(total=order.total)  # no "not authorized"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
