"""Fixtures of the security suite: a checksum of the whole database, the full pipeline
(text or JSON -> plan -> compiled query -> read-only run), users with chosen view
permissions, and a way to change the registry for one test and put it back.

Every attack in this directory is checked twice: it fails with the expected typed error (or,
for hostile *values*, runs as a harmless value), and the database is byte-for-byte what it
was before (row counts and a hash of every row of every table).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields as dataclass_fields
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from pydantic import ValidationError

from djai_dsl.compiler import compile_plan
from djai_dsl.errors import DjaiError, ErrorDetail, PlanInvalid
from djai_dsl.executor import ReadOnlyExecutor, Result, read_only
from djai_dsl.grammar import parse
from djai_dsl.manifest import Manifest, build_manifest
from djai_dsl.manifest import registry as djai_registry
from djai_dsl.plan import QueryPlan
from tests.conftest import NOW, TZ

VENDOR = connection.vendor


#: The two ways ``read_only()`` runs: owning the transaction (pytest-django's transactional
#: tests, which flush the tables afterwards and run after all others), or nested in an open
#: transaction (the test's own, as under ATOMIC_REQUESTS).
MODES = [
    pytest.param(
        "owned", marks=pytest.mark.django_db(transaction=True), id="executor-owns-transaction"
    ),
    pytest.param("nested", marks=pytest.mark.django_db, id="nested"),
]


class JsonText(str):
    """A plan as raw JSON text (``NaN`` and ``Infinity`` literals can only be written so)."""


# -------------------------------------------------------------------------- the database


def database_checksum() -> dict[str, tuple[int, str]]:
    """table -> (row count, sha256 of its rows), for every table of the database: the demo,
    auth and djai tables and any table an attack might have created. Rows are read with
    plain SQL (no model, no default ordering) and sorted, so the hash is of the data only."""
    out: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = sorted(repr(row) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode("utf-8", "surrogatepass"))
            out[table] = (len(rows), digest.hexdigest())
    return out


@pytest.fixture
def database_unchanged(db: Any) -> Callable[..., Any]:
    """``with database_unchanged(): ...`` fails the test when any table gained, lost or
    changed a row, or a table appeared or disappeared, inside the block.
    ``database_unchanged(except_prefix="djai_dsl_")`` leaves out tables whose names start
    with the prefix (djai's own chat records, which the chat service writes by design)."""

    @contextmanager
    def check(except_prefix: str | None = None) -> Iterator[None]:
        before = database_checksum()
        yield
        after = database_checksum()
        changed = sorted(
            table
            for table in before.keys() | after.keys()
            if before.get(table) != after.get(table)
            and not (except_prefix and table.startswith(except_prefix))
        )
        assert not changed, f"tables changed: {changed}"

    return check


def attack(statements: list[str], *, raw: bool = False, timeout_ms: int = 2000) -> DjaiError | None:
    """Run hostile SQL inside ``read_only()``: through Django's cursor, or through the
    driver's own cursor (``raw``), which no Django wrapper sees. Returns the typed error the
    block ended in, or None when every statement ran."""
    try:
        with read_only(timeout_ms=timeout_ms) as session:
            cursor = session.connection.connection.cursor() if raw else connection.cursor()
            try:
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()
            finally:
                cursor.close()
    except DjaiError as exc:
        return exc
    return None


# -------------------------------------------------------------------------- the pipeline


def plan_from_json(data: Any) -> QueryPlan:
    """A plan from JSON data the way a client or an LLM sends it: the shape is checked by
    Pydantic, and a shape error becomes ``plan_invalid`` (as the DSL parser does)."""
    try:
        if isinstance(data, JsonText):
            return QueryPlan.model_validate_json(data)
        return QueryPlan.model_validate(data)
    except ValidationError as exc:
        details = [
            ErrorDetail(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}",
                path=".".join(str(part) for part in error["loc"]),
            )
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise PlanInvalid(details[0].message, details=details) from None


def run_pipeline(source: Any, manifest: Manifest) -> Result:
    """Text or JSON -> plan -> validated, compiled query -> one page, run read-only."""
    plan = parse(source, manifest=manifest) if type(source) is str else plan_from_json(source)
    compiled = compile_plan(plan, manifest, tz=TZ, now=NOW)
    return ReadOnlyExecutor().run(compiled, tz=TZ)


def error_text(error: DjaiError) -> str:
    """Everything a client could read of an error: message, hint, details, suggestions."""
    return f"{error}\n{json.dumps(error.as_dict(), ensure_ascii=False)}"


def mentions(text: str, name: str) -> bool:
    """True when ``name`` appears in ``text`` as a whole identifier (``address`` is not in
    ``billing_address``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def hidden_names(manifest: Manifest) -> dict[str, set[str]]:
    """model label -> names of the model's fields and relations that are *not* in the
    manifest (secret, registry-hidden, or leading to a model the user cannot see)."""
    out: dict[str, set[str]] = {}
    for label, info in manifest.models.items():
        every = {f.name for f in info.model._meta.get_fields()}
        every |= {f.attname for f in info.model._meta.concrete_fields}
        out[label] = every - set(info.names())
    return out


def names_hidden_everywhere(manifest: Manifest) -> set[str]:
    """Hidden names that no model of the manifest shows (``email`` is hidden on shop
    customers but shown on auth users, so it is not one of them)."""
    hidden = set().union(*hidden_names(manifest).values())
    shown = {name for info in manifest.models.values() for name in info.names()}
    return hidden - shown


# -------------------------------------------------------------------------- users


@pytest.fixture
def make_user(django_user_model: Any) -> Callable[..., Any]:
    """``make_user("shop.view_order", ...)``: a staff user holding those permissions,
    re-read so that no permission cache is stale."""
    counter = iter(range(1_000_000))

    def make(*permissions: str, **extra: Any) -> Any:
        username = extra.pop("username", f"sec{next(counter)}")
        user = django_user_model.objects.create_user(username, is_staff=True, **extra)
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return django_user_model.objects.get(pk=user.pk)

    return make


@pytest.fixture
def superuser_manifest(make_user: Callable[..., Any]) -> Manifest:
    """What a superuser may query: every model, secret and hidden names removed."""
    return build_manifest(make_user(is_superuser=True))


@pytest.fixture
def order_clerk_manifest(make_user: Callable[..., Any]) -> Manifest:
    """A clerk who may view orders and nothing else."""
    return build_manifest(make_user("shop.view_order"))


# -------------------------------------------------------------------------- the registry


def registration_options(reg: djai_registry.Registration) -> dict[str, Any]:
    return {f.name: getattr(reg, f.name) for f in dataclass_fields(reg) if f.name != "model"}


@pytest.fixture
def reregister() -> Iterator[Callable[..., None]]:
    """``reregister(Model, scope=...)`` registers a model again with its registration changed;
    afterwards the previous registrations are put back (unregister, then register them)."""
    saved = djai_registry.registrations()

    def change(model: Any, **changes: Any) -> None:
        previous = djai_registry.get_registration(model)
        options = registration_options(previous) if previous is not None else {}
        djai_registry.register(model, **{**options, **changes})

    yield change
    for model in djai_registry.registrations():
        djai_registry.unregister(model)
    for model, reg in saved.items():
        djai_registry.register(model, **registration_options(reg))
