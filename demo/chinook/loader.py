"""Load the Chinook SQLite file into the Django models of this app.

The upstream file is read with the standard ``sqlite3`` module (never opened as a Django
database), every row is mapped to its model with the upstream primary key, and the rows are
bulk-created in one transaction, so the load is all or nothing on every backend. Loading is
idempotent: when the tables already hold data nothing happens, unless ``flush=True``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model

from demo.sequences import advance_id_sequences

from .models import (
    Album,
    Artist,
    Customer,
    Employee,
    Genre,
    Invoice,
    InvoiceLine,
    MediaType,
    Playlist,
    PlaylistTrack,
    Track,
)

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "chinook.sqlite3"
BATCH_SIZE = 2_000
CENT = Decimal("0.01")

Row = dict[str, Any]


def _money(value: float | int | str) -> Decimal:
    """Money columns are NUMERIC(10,2) upstream but come back from SQLite as floats;
    going through ``str`` gives the decimal the file meant (0.99, not 0.98999…)."""
    return Decimal(str(value)).quantize(CENT)


def _timestamp(value: str) -> datetime:
    """Upstream timestamps are naive text ('2021-01-01 00:00:00'); they are taken as UTC."""
    return datetime.fromisoformat(value).replace(tzinfo=dt_timezone.utc)


def _date(value: str | None) -> date | None:
    return None if value is None else datetime.fromisoformat(value).date()


def _artist(r: Row) -> Artist:
    return Artist(id=r["ArtistId"], name=r["Name"])


def _album(r: Row) -> Album:
    return Album(id=r["AlbumId"], title=r["Title"], artist_id=r["ArtistId"])


def _genre(r: Row) -> Genre:
    return Genre(id=r["GenreId"], name=r["Name"])


def _media_type(r: Row) -> MediaType:
    return MediaType(id=r["MediaTypeId"], name=r["Name"])


def _track(r: Row) -> Track:
    return Track(
        id=r["TrackId"],
        name=r["Name"],
        album_id=r["AlbumId"],
        media_type_id=r["MediaTypeId"],
        genre_id=r["GenreId"],
        composer=r["Composer"],
        milliseconds=r["Milliseconds"],
        bytes=r["Bytes"],
        unit_price=_money(r["UnitPrice"]),
    )


def _playlist(r: Row) -> Playlist:
    return Playlist(id=r["PlaylistId"], name=r["Name"])


def _employee(r: Row) -> Employee:
    # ``reports_to`` is set in a second pass: a manager's row may come after their report's,
    # and not every backend defers foreign key checks to the end of the transaction.
    return Employee(
        id=r["EmployeeId"],
        last_name=r["LastName"],
        first_name=r["FirstName"],
        title=r["Title"],
        birth_date=_date(r["BirthDate"]),
        hire_date=_date(r["HireDate"]),
        address=r["Address"],
        city=r["City"],
        state=r["State"],
        country=r["Country"],
        postal_code=r["PostalCode"],
        phone=r["Phone"],
        fax=r["Fax"],
        email=r["Email"],
    )


def _customer(r: Row) -> Customer:
    return Customer(
        id=r["CustomerId"],
        first_name=r["FirstName"],
        last_name=r["LastName"],
        company=r["Company"],
        address=r["Address"],
        city=r["City"],
        state=r["State"],
        country=r["Country"],
        postal_code=r["PostalCode"],
        phone=r["Phone"],
        fax=r["Fax"],
        email=r["Email"],
        support_rep_id=r["SupportRepId"],
    )


def _invoice(r: Row) -> Invoice:
    return Invoice(
        id=r["InvoiceId"],
        customer_id=r["CustomerId"],
        invoice_date=_timestamp(r["InvoiceDate"]),
        billing_address=r["BillingAddress"],
        billing_city=r["BillingCity"],
        billing_state=r["BillingState"],
        billing_country=r["BillingCountry"],
        billing_postal_code=r["BillingPostalCode"],
        total=_money(r["Total"]),
    )


def _invoice_line(r: Row) -> InvoiceLine:
    return InvoiceLine(
        id=r["InvoiceLineId"],
        invoice_id=r["InvoiceId"],
        track_id=r["TrackId"],
        unit_price=_money(r["UnitPrice"]),
        quantity=r["Quantity"],
    )


def _playlist_track(r: Row) -> PlaylistTrack:
    return PlaylistTrack(playlist_id=r["PlaylistId"], track_id=r["TrackId"])


#: Upstream table, its ordering, the model and the row mapping; parents before children.
TABLES: tuple[tuple[str, str, type[Model], Callable[[Row], Model]], ...] = (
    ("Artist", "ArtistId", Artist, _artist),
    ("Album", "AlbumId", Album, _album),
    ("Genre", "GenreId", Genre, _genre),
    ("MediaType", "MediaTypeId", MediaType, _media_type),
    ("Track", "TrackId", Track, _track),
    ("Playlist", "PlaylistId", Playlist, _playlist),
    ("PlaylistTrack", "PlaylistId, TrackId", PlaylistTrack, _playlist_track),
    ("Employee", "EmployeeId", Employee, _employee),
    ("Customer", "CustomerId", Customer, _customer),
    ("Invoice", "InvoiceId", Invoice, _invoice),
    ("InvoiceLine", "InvoiceLineId", InvoiceLine, _invoice_line),
)
MODELS: tuple[type[Model], ...] = tuple(model for _, _, model, _ in TABLES)


class ChinookFileError(Exception):
    """The file is missing or is not the Chinook database."""


def is_loaded(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """True when any Chinook table already holds rows."""
    return any(model._default_manager.using(using).exists() for model in MODELS)


def counts(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows per model, keyed by the upstream table name (``{"Artist": 275, ...}``)."""
    return {table: model._default_manager.using(using).count() for table, _, model, _ in TABLES}


def flush_chinook(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Delete every Chinook row, children first, so that PROTECT foreign keys never object."""
    for model in reversed(MODELS):
        model._default_manager.using(using).all().delete()


def resolve_path(path: str | Path | None = None) -> Path:
    """The file to load: ``path``, or the copy shipped in ``data/``; it must exist."""
    source = Path(path) if path is not None else DEFAULT_PATH
    if not source.is_file():
        raise ChinookFileError(f"No Chinook database at {source}")
    return source


def load(
    path: str | Path | None = None, *, flush: bool = False, using: str = DEFAULT_DB_ALIAS
) -> dict[str, int]:
    """Load the Chinook rows from ``path`` (default: the copy in ``data/``) and return the
    number of rows per table afterwards. Does nothing when data is already there, unless
    ``flush`` asks to replace it."""
    source = resolve_path(path)
    with transaction.atomic(using=using):
        if flush:
            flush_chinook(using=using)
        elif is_loaded(using=using):
            return counts(using=using)
        with closing(_open_read_only(source)) as connection:
            _copy_rows(connection, using)
        advance_id_sequences(MODELS, using=using)
    return counts(using=using)


def _copy_rows(connection: sqlite3.Connection, using: str) -> None:
    for table, order_by, model, to_instance in TABLES:
        try:
            rows = connection.execute(f"SELECT * FROM [{table}] ORDER BY {order_by}")
        except sqlite3.DatabaseError as exc:
            raise ChinookFileError(f"Cannot read table {table}: {exc}") from exc
        objects = [to_instance(dict(row)) for row in rows]
        model._default_manager.using(using).bulk_create(objects, batch_size=BATCH_SIZE)
    managers = {
        row["EmployeeId"]: row["ReportsTo"]
        for row in connection.execute("SELECT EmployeeId, ReportsTo FROM Employee")
        if row["ReportsTo"] is not None
    }
    employees = list(Employee._default_manager.using(using).filter(pk__in=managers))
    for employee in employees:
        employee.reports_to_id = managers[employee.pk]
    Employee._default_manager.using(using).bulk_update(employees, ["reports_to"])


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Open the file read-only (``mode=ro`` URI): the shipped copy is never modified."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    return connection
