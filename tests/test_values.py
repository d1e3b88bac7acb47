"""The value index (djai_dsl.values): which fields it reads, how often, and its bounds, on
the seeded demo data."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.shop.models import Customer
from djai_dsl.errors import QueryTimeout
from djai_dsl.manifest import build_manifest
from djai_dsl.manifest.types import Manifest
from djai_dsl.values import (
    FieldValues,
    clear_value_index,
    indexable_fields,
    indexed_values,
    values_for,
)
from djai_dsl.values import index as value_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Manifest:
    return build_manifest(apps=["shop"])


@pytest.fixture(autouse=True)
def fresh_value_index() -> Iterator[None]:
    clear_value_index()
    yield
    clear_value_index()  # nothing read under a test's settings outlives it


def queries_of(call: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, len(queries)


def test_one_field_holds_its_distinct_values(shop: Manifest) -> None:
    cities = values_for(shop, "shop.customer", "city")
    assert isinstance(cities, FieldValues)
    assert (cities.label, cities.field, cities.over_cap) == ("shop.customer", "city", False)
    rows = Customer.objects.exclude(city__isnull=True).exclude(city="")
    stored = set(rows.values_list("city", flat=True))
    assert stored and set(cities.values) == stored
    assert len(cities.values) == len(stored)  # distinct


def test_only_short_text_fields_without_choices_are_indexed(shop: Manifest) -> None:
    customer = shop.models["shop.customer"]
    assert "city" in indexable_fields(customer) and "name" in indexable_fields(customer)
    assert "country" not in indexable_fields(customer)  # choices: the manifest has them
    assert values_for(shop, "shop.customer", "country") is None
    assert values_for(shop, "shop.customer", "id") is None  # the key
    assert values_for(shop, "shop.order", "created_at") is None  # not text
    assert values_for(shop, "shop.customer", "api_token") is None  # secret: not in the manifest
    assert values_for(shop, "shop.customer", "no_such_field") is None
    assert values_for(shop, "shop.nothing", "city") is None


def test_models_with_row_scoping_are_never_read(shop: Manifest) -> None:
    customer = shop.models["shop.customer"]
    shop.models["shop.customer"] = dataclasses.replace(customer, scope=lambda qs: qs.none())
    assert indexable_fields(shop.models["shop.customer"]) == []
    (city, read) = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert city is None and read == 0
    assert not [e for e in indexed_values(shop) if e.label == "shop.customer"]


def test_every_field_is_read_once_then_kept(shop: Manifest) -> None:
    entries, read = queries_of(lambda: indexed_values(shop))
    assert read > 0
    assert {(e.label, e.field) for e in entries} >= {
        ("shop.customer", "city"),
        ("shop.category", "name"),
    }
    again, read_again = queries_of(lambda: indexed_values(shop))
    assert read_again == 0 and again == entries
    one, read_one = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert read_one == 0 and one in entries
    clear_value_index()
    _, read_after_clear = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert read_after_clear > 0


def test_a_field_over_the_cap_is_kept_without_values(shop: Manifest, settings: Any) -> None:
    settings.DJAI = {**settings.DJAI, "OFFLINE_VALUE_INDEX_CAP": 3}
    cities = values_for(shop, "shop.customer", "city")
    assert cities is not None and cities.over_cap and cities.values == ()
    _, read_again = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert read_again == 0  # not categorical, and remembered as such


def test_entries_expire_after_the_ttl(
    shop: Manifest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DJAI = {**settings.DJAI, "OFFLINE_VALUE_INDEX_TTL": 60}
    first = values_for(shop, "shop.customer", "city")
    assert first is not None
    start = first.loaded_at
    monkeypatch.setattr(value_index.time, "monotonic", lambda: start + 59)
    _, read = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert read == 0
    monkeypatch.setattr(value_index.time, "monotonic", lambda: start + 61)
    fresh, read = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert read > 0 and fresh is not None and fresh.loaded_at == start + 61


def test_changed_settings_empty_the_index(shop: Manifest, settings: Any) -> None:
    assert values_for(shop, "shop.customer", "city") is not None
    settings.DJAI = {**settings.DJAI, "STATEMENT_TIMEOUT_MS": 4000}  # setting_changed
    _, read = queries_of(lambda: values_for(shop, "shop.customer", "city"))
    assert read > 0


def test_a_field_that_cannot_be_read_is_left_out_and_asked_again(
    shop: Manifest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    @contextmanager
    def timing_out(alias: str) -> Iterator[None]:
        raise QueryTimeout()
        yield

    with monkeypatch.context() as patched:
        patched.setattr(value_index, "read_only", timing_out)
        with caplog.at_level("WARNING", logger="djai_dsl.values"):
            assert values_for(shop, "shop.customer", "city") is None
            assert indexed_values(shop) == []
    assert "shop.customer.city not read: query_timeout" in caplog.text
    assert values_for(shop, "shop.customer", "city") is not None  # read once it works


def test_one_read_only_select_per_field_never_fetches_more_than_the_cap(
    shop: Manifest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DJAI = {**settings.DJAI, "OFFLINE_VALUE_INDEX_CAP": 3}
    sessions: list[str] = []
    real_read_only = value_index.read_only

    @contextmanager
    def recorded(alias: str) -> Iterator[Any]:
        sessions.append(alias)
        with real_read_only(alias) as session:
            yield session

    monkeypatch.setattr(value_index, "read_only", recorded)
    with CaptureQueriesContext(connection) as queries:
        values_for(shop, "shop.customer", "name")
    table = Customer._meta.db_table
    selects = [q["sql"] for q in queries if table in q["sql"]]  # not the executor's own
    assert len(selects) == 1
    assert "DISTINCT" in selects[0].upper() and "LIMIT 4" in selects[0].upper()
    assert sessions == ["default"]
