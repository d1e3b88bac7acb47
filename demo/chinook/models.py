"""The Chinook sample database (a digital music store) as ordinary, managed Django models.

Column names are the upstream ones in snake_case (``Track.Milliseconds`` ->
``Track.milliseconds``). Optional text columns keep upstream NULLs (``null=True``) instead of
Django's usual empty string, so that answers computed here match answers computed on the
original database, e.g. "tracks without a composer" is ``composer is null`` in both.
Primary keys are the upstream ids, loaded as they are by :mod:`demo.chinook.loader`.
"""

from __future__ import annotations

from django.db import models


class Artist(models.Model):
    name = models.CharField("name", max_length=120, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = "artist"
        verbose_name_plural = "artists"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or f"Artist {self.pk}"


class Album(models.Model):
    title = models.CharField("title", max_length=160)
    artist = models.ForeignKey(
        Artist, verbose_name="artist", on_delete=models.PROTECT, related_name="albums"
    )

    class Meta:
        verbose_name = "album"
        verbose_name_plural = "albums"
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Genre(models.Model):
    name = models.CharField("name", max_length=120, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = "genre"
        verbose_name_plural = "genres"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or f"Genre {self.pk}"


class MediaType(models.Model):
    name = models.CharField("name", max_length=120, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = "media type"
        verbose_name_plural = "media types"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or f"Media type {self.pk}"


class Track(models.Model):
    name = models.CharField("name", max_length=200)
    album = models.ForeignKey(
        Album,
        verbose_name="album",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracks",
    )
    media_type = models.ForeignKey(
        MediaType, verbose_name="media type", on_delete=models.PROTECT, related_name="tracks"
    )
    genre = models.ForeignKey(
        Genre,
        verbose_name="genre",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracks",
    )
    composer = models.CharField("composer", max_length=220, null=True, blank=True)  # noqa: DJ001
    milliseconds = models.PositiveIntegerField("length (ms)")
    bytes = models.PositiveBigIntegerField("size (bytes)", null=True, blank=True)
    unit_price = models.DecimalField("unit price", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "track"
        verbose_name_plural = "tracks"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Playlist(models.Model):
    name = models.CharField("name", max_length=120, null=True, blank=True)  # noqa: DJ001
    tracks = models.ManyToManyField(
        Track, verbose_name="tracks", through="PlaylistTrack", related_name="playlists"
    )

    class Meta:
        verbose_name = "playlist"
        verbose_name_plural = "playlists"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or f"Playlist {self.pk}"


class PlaylistTrack(models.Model):
    """A track's place on a playlist. Upstream the key is (PlaylistId, TrackId); here it is an
    ordinary id plus a unique constraint, which is what Django models handle best."""

    playlist = models.ForeignKey(
        Playlist, verbose_name="playlist", on_delete=models.CASCADE, related_name="playlist_tracks"
    )
    track = models.ForeignKey(
        Track, verbose_name="track", on_delete=models.CASCADE, related_name="playlist_tracks"
    )

    class Meta:
        verbose_name = "playlist track"
        verbose_name_plural = "playlist tracks"
        ordering = ["playlist_id", "track_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["playlist", "track"], name="chinook_playlist_track_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"track {self.track_id} on playlist {self.playlist_id}"


class Employee(models.Model):
    last_name = models.CharField("last name", max_length=20)
    first_name = models.CharField("first name", max_length=20)
    title = models.CharField("title", max_length=30, null=True, blank=True)  # noqa: DJ001
    reports_to = models.ForeignKey(
        "self",
        verbose_name="reports to",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    birth_date = models.DateField("birth date", null=True, blank=True)
    hire_date = models.DateField("hire date", null=True, blank=True)
    address = models.CharField("address", max_length=70, null=True, blank=True)  # noqa: DJ001
    city = models.CharField("city", max_length=40, null=True, blank=True)  # noqa: DJ001
    state = models.CharField("state", max_length=40, null=True, blank=True)  # noqa: DJ001
    country = models.CharField("country", max_length=40, null=True, blank=True)  # noqa: DJ001
    postal_code = models.CharField(  # noqa: DJ001
        "postal code", max_length=10, null=True, blank=True
    )
    phone = models.CharField("phone", max_length=24, null=True, blank=True)  # noqa: DJ001
    fax = models.CharField("fax", max_length=24, null=True, blank=True)  # noqa: DJ001
    email = models.CharField("email", max_length=60, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = "employee"
        verbose_name_plural = "employees"
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Customer(models.Model):
    first_name = models.CharField("first name", max_length=40)
    last_name = models.CharField("last name", max_length=20)
    company = models.CharField("company", max_length=80, null=True, blank=True)  # noqa: DJ001
    address = models.CharField("address", max_length=70, null=True, blank=True)  # noqa: DJ001
    city = models.CharField("city", max_length=40, null=True, blank=True)  # noqa: DJ001
    state = models.CharField("state", max_length=40, null=True, blank=True)  # noqa: DJ001
    country = models.CharField("country", max_length=40, null=True, blank=True)  # noqa: DJ001
    postal_code = models.CharField(  # noqa: DJ001
        "postal code", max_length=10, null=True, blank=True
    )
    phone = models.CharField("phone", max_length=24, null=True, blank=True)  # noqa: DJ001
    fax = models.CharField("fax", max_length=24, null=True, blank=True)  # noqa: DJ001
    email = models.CharField("email", max_length=60)
    support_rep = models.ForeignKey(
        Employee,
        verbose_name="support representative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )

    class Meta:
        verbose_name = "customer"
        verbose_name_plural = "customers"
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Invoice(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name="customer", on_delete=models.PROTECT, related_name="invoices"
    )
    invoice_date = models.DateTimeField("invoice date")
    billing_address = models.CharField(  # noqa: DJ001
        "billing address", max_length=70, null=True, blank=True
    )
    billing_city = models.CharField(  # noqa: DJ001
        "billing city", max_length=40, null=True, blank=True
    )
    billing_state = models.CharField(  # noqa: DJ001
        "billing state", max_length=40, null=True, blank=True
    )
    billing_country = models.CharField(  # noqa: DJ001
        "billing country", max_length=40, null=True, blank=True
    )
    billing_postal_code = models.CharField(  # noqa: DJ001
        "billing postal code", max_length=10, null=True, blank=True
    )
    total = models.DecimalField("total", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "invoice"
        verbose_name_plural = "invoices"
        ordering = ["-invoice_date", "-id"]
        indexes = [models.Index(fields=["invoice_date"])]

    def __str__(self) -> str:
        return f"Invoice {self.pk}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name="invoice", on_delete=models.CASCADE, related_name="lines"
    )
    track = models.ForeignKey(
        Track, verbose_name="track", on_delete=models.PROTECT, related_name="invoice_lines"
    )
    unit_price = models.DecimalField("unit price", max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField("quantity")

    class Meta:
        verbose_name = "invoice line"
        verbose_name_plural = "invoice lines"
        ordering = ["invoice_id", "id"]

    def __str__(self) -> str:
        return f"line {self.pk} of invoice {self.invoice_id}"
