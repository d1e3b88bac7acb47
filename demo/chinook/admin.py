"""Admin of the Chinook music store."""

from django.contrib import admin

from djai_dsl.admin_mixins import AskAboutMixin

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


@admin.register(Artist)
class ArtistAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Album)
class AlbumAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("title", "artist")
    search_fields = ("title", "artist__name")
    raw_id_fields = ("artist",)
    list_select_related = ("artist",)


@admin.register(Genre)
class GenreAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(MediaType)
class MediaTypeAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name",)


@admin.register(Track)
class TrackAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "album",
        "genre",
        "media_type",
        "composer",
        "milliseconds",
        "unit_price",
    )
    list_filter = ("genre", "media_type")
    search_fields = ("name", "composer", "album__title", "album__artist__name")
    raw_id_fields = ("album",)
    list_select_related = ("album", "genre", "media_type")


class PlaylistTrackInline(admin.TabularInline):
    model = PlaylistTrack
    raw_id_fields = ("track",)
    extra = 0


@admin.register(Playlist)
class PlaylistAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    inlines = (PlaylistTrackInline,)


@admin.register(PlaylistTrack)
class PlaylistTrackAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "playlist", "track")
    list_filter = ("playlist",)
    raw_id_fields = ("playlist", "track")
    list_select_related = ("playlist", "track")


@admin.register(Employee)
class EmployeeAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("last_name", "first_name", "title", "reports_to", "city", "hire_date")
    list_filter = ("title", "city")
    search_fields = ("last_name", "first_name", "email")
    date_hierarchy = "hire_date"
    list_select_related = ("reports_to",)


@admin.register(Customer)
class CustomerAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("last_name", "first_name", "company", "city", "country", "support_rep")
    list_filter = ("country", "support_rep")
    search_fields = ("last_name", "first_name", "company", "email", "city")
    list_select_related = ("support_rep",)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    raw_id_fields = ("track",)
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "customer", "invoice_date", "billing_city", "billing_country", "total")
    list_filter = ("billing_country",)
    search_fields = ("=id", "customer__last_name", "customer__company", "billing_city")
    date_hierarchy = "invoice_date"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    inlines = (InvoiceLineInline,)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "invoice", "track", "unit_price", "quantity")
    search_fields = ("=invoice__id", "track__name")
    raw_id_fields = ("invoice", "track")
    list_select_related = ("track",)
