"""Shared fixtures: a seeded test database, a fixed clock and time zone, manifests, and
syrupy snapshots stored under ``snapshots/`` (backend-independent ones in ``common/``,
SQL and result rows per backend)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from syrupy.extensions.amber import AmberSnapshotExtension

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "snapshots"

#: The clock every test runs at. Seed data is generated relative to TODAY.
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 30, tzinfo=dt.timezone.utc)
TZ = ZoneInfo("Europe/Berlin")
SEED_SCALE = 0.02  # about 100 customers and 1,000 orders

BACKEND = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
BACKEND = {"sqlite3": "sqlite", "postgresql": "postgres", "mysql": "mariadb"}.get(BACKEND, BACKEND)


class CommonSnapshot(AmberSnapshotExtension):
    """Snapshots that must be identical on every backend (plans, DSL, explanations)."""

    @classmethod
    def dirname(cls, *, test_location) -> str:  # type: ignore[no-untyped-def]
        return str(SNAPSHOTS / "common")


class BackendSnapshot(AmberSnapshotExtension):
    """Snapshots of SQL and result rows, one directory per database backend."""

    @classmethod
    def dirname(cls, *, test_location) -> str:  # type: ignore[no-untyped-def]
        return str(SNAPSHOTS / BACKEND)


@pytest.fixture
def snapshot_common(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(CommonSnapshot)


@pytest.fixture
def snapshot_backend(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(BackendSnapshot)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def tz() -> ZoneInfo:
    return TZ


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Create the test database once and fill it with the demo data (committed, so every
    test sees it; transactional tests run last, as pytest-django orders them)."""
    from demo.chinook.loader import load as load_chinook
    from demo.shop.seed import seed

    with django_db_blocker.unblock():
        seed(seed=42, scale=SEED_SCALE, today=TODAY)
        load_chinook()


@pytest.fixture
def manifest(db):  # type: ignore[no-untyped-def]
    """The full manifest (no user: every model, secrets still removed)."""
    from djai_dsl.manifest import build_manifest

    return build_manifest()


def _db_order(item: pytest.Item) -> int:
    """pytest-django's order: 0 = database tests in a rolled-back transaction, 1 = tests
    that commit (transaction=True, live_server), 2 = no database."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = "transactional_db" in fixtures or "live_server" in fixtures
    if marker is not None:
        transactional = transactional or bool(
            marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
        )
    if transactional:
        return 1
    if marker is not None or "db" in fixtures:
        return 0
    return 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run committing tests after all others, again, after every other plugin has reordered.

    Tests that commit flush every table when they end, which removes the session's seeded
    demo data. pytest-django sorts them last, but pytest-playwright's session-scoped browser
    parametrization regroups tests afterwards and put browser tests in the middle of the run.
    A stable sort keeps each group's internal order."""
    items.sort(key=_db_order)
