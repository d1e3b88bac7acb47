"""What the Chinook app tells djai about its models (autodiscovered like admin.py)."""

from djai_dsl.manifest.registry import register

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

# Contact details are personal data: analysts group by city or country, they don't read them.
CONTACT_FIELDS = ("address", "postal_code", "phone", "fax", "email")

register(
    Artist,
    description="Artist: a musician or band whose albums the store sells.",
    synonyms=("musicians", "bands", "performers"),
    fields={"name": "Artist or band name."},
)

register(
    Album,
    description="Album: a record by one artist, made of tracks.",
    synonyms=("records", "releases", "LPs"),
    fields={"title": "Album title.", "artist": "The artist who recorded the album."},
)

register(
    Genre,
    description="Genre: a music style such as Rock, Jazz or Latin.",
    synonyms=("music styles", "styles"),
    fields={"name": "Genre name, e.g. Rock, Jazz, Metal, Latin."},
)

register(
    MediaType,
    description="Media type: the file format a track is sold in (e.g. MPEG audio, AAC).",
    synonyms=("formats", "file types"),
    fields={"name": "Format name, e.g. 'MPEG audio file', 'Protected AAC audio file'."},
)

register(
    Track,
    description="Track: a song on an album, sold on its own for its unit price.",
    synonyms=("songs", "tunes", "recordings"),
    fields={
        "name": "Song title.",
        "composer": "Who wrote the song; empty for many tracks.",
        "milliseconds": "Length of the track in milliseconds (60000 = one minute).",
        "bytes": "File size in bytes.",
        "unit_price": "Price of one download in USD.",
    },
    field_synonyms={
        "milliseconds": ("length", "duration", "running time"),
        "unit_price": ("price",),
        "bytes": ("file size", "size"),
        "composer": ("writer", "songwriter"),
    },
    segments={
        "video": ('media_type.name contains "video"', "Music videos rather than audio."),
        "long": ("milliseconds > 600000", "Tracks longer than ten minutes."),
    },
    measures={
        "track_count": ("count()", "Number of tracks."),
        "total_length": ("sum(milliseconds)", "Total playing time in milliseconds."),
    },
)

register(
    Playlist,
    description="Playlist: a named list of tracks, such as 'Grunge' or 'Classical'.",
    synonyms=("mixes", "track lists"),
    fields={"name": "Playlist name.", "tracks": "The tracks on the playlist."},
)

register(
    PlaylistTrack,
    description="Playlist track: one track's place on one playlist.",
    synonyms=("playlist entries",),
)

register(
    Employee,
    description="Employee: a member of staff; sales support agents look after customers.",
    synonyms=("staff", "sales reps", "support agents", "workers"),
    default_time_field="hire_date",
    hidden=(*CONTACT_FIELDS, "birth_date"),
    fields={
        "title": "Job title, e.g. 'Sales Support Agent', 'IT Staff', 'General Manager'.",
        "reports_to": "The employee's manager; empty for the general manager.",
        "hire_date": "The day the employee was hired.",
        "city": "City where the employee works.",
    },
    field_synonyms={"reports_to": ("manager", "boss", "supervisor"), "title": ("job", "role")},
)

register(
    Customer,
    description="Customer: a person who bought music from the store; has invoices.",
    synonyms=("listeners", "music buyers"),
    hidden=CONTACT_FIELDS,
    fields={
        "company": "Company the customer works for; empty for private customers.",
        "country": "Country name in English, e.g. USA, Canada, Brazil, Germany.",
        "state": "State or province, where the country has them.",
        "support_rep": "The employee who looks after this customer.",
    },
    field_synonyms={"support_rep": ("sales rep", "account manager", "support agent")},
)

register(
    Invoice,
    description="Invoice: one purchase by a customer, made of invoice lines.",
    synonyms=("bills", "sales", "music sales"),
    default_time_field="invoice_date",
    fields={
        "invoice_date": "When the purchase was made (UTC).",
        "billing_country": "Country of the billing address, e.g. USA, Germany.",
        "billing_city": "City of the billing address.",
        "total": "Amount charged in USD: the sum of its lines' unit price times quantity.",
    },
    field_synonyms={
        "total": ("revenue", "amount", "sales", "spend"),
        "invoice_date": ("date", "purchase date"),
        "billing_country": ("country",),
    },
    segments={"large": ("total >= 10", "Invoices of 10 USD or more.")},
    measures={
        "revenue": ("sum(total)", "Money taken, in USD."),
        "invoice_count": ("count()", "Number of invoices."),
        "average_invoice": ("avg(total)", "Average invoice amount."),
        "paying_customers": ("count(distinct customer)", "Different customers who bought."),
    },
)

register(
    InvoiceLine,
    description="Invoice line: one track bought on an invoice, with its price and quantity.",
    synonyms=("line items", "invoice items", "track sales"),
    fields={
        "unit_price": "Price paid for one unit of the track, in USD.",
        "quantity": "Number of units bought (always 1 in the upstream data).",
    },
    field_synonyms={"quantity": ("units", "qty")},
    measures={
        "units_sold": ("sum(quantity)", "Number of tracks sold."),
        "line_count": ("count()", "Number of invoice lines."),
    },
)
