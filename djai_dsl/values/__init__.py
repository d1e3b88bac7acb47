"""The value index: the distinct values of text fields, so that a question can name them.

"Customers in Paris" names a value, not a field: the manifest says that ``city`` is a text
field, only the data says that "Paris" is one of its values (choices are in the manifest
already). Planners never run queries themselves; they ask this index, which sits between
the executor (it reads through :func:`djai_dsl.executor.read_only`) and the planners.

Public API::

    values_for(manifest, model, field) -> FieldValues | None   one field ("shop.customer", "city")
    indexed_values(manifest) -> list[FieldValues]               every indexable field
    indexable_fields(model_info) -> list[str]                   which fields are indexed
    clear_value_index()                                         forget everything read

Bounds, as it stands:

- **Which fields**: short text fields (``CharField`` and kin) without choices, not the
  primary key, of models without a row-scoping hook (their values depend on the user, and
  a planner must not learn values the user cannot see). Long text is never read.
- **How it reads**: one ``SELECT DISTINCT field ... LIMIT cap + 1`` per field, lazily the
  first time a field is needed, in a read-only transaction with the statement timeout of
  every djai query, on the ``DATABASE_ALIAS`` database. A field that fails or times out is
  logged and left out; it is read again the next time it is asked for.
- **How much**: a field with more than ``cap`` distinct values (names of people, titles,
  free text) is not categorical: it is kept with ``over_cap=True`` and no values, and not
  read again until it expires. Values longer than 80 characters are dropped.
- **How long**: per process and database alias, for ``ttl`` seconds; cleared by
  :func:`clear_value_index` and whenever the ``DJAI`` or ``DATABASES`` settings change.
  Rows written after a read are not seen until the entry expires.
- **What it matches**: nothing. It returns the values exactly as stored; stemming, aliases
  and matching a question's words against them is the caller's job (the offline planner's
  ``mentions``). No fuzzy or accent-insensitive lookup, and no lookup in fields over the
  cap (a later issue).

Settings (in ``DJAI``, optional; named after the offline planner, the index's first
user): ``OFFLINE_VALUE_INDEX_CAP`` (default 200), ``OFFLINE_VALUE_INDEX_TTL`` (seconds,
default 600).
"""

from djai_dsl.values.fields import indexable_fields
from djai_dsl.values.index import FieldValues, clear_value_index, indexed_values, values_for

__all__ = ["FieldValues", "clear_value_index", "indexable_fields", "indexed_values", "values_for"]
