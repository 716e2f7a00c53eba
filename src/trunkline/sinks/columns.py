"""Column kinds of the table destinations: the column a field needs, when a column must widen, and
how a record value is converted for the column it lands in.

A field's type comes from :mod:`trunkline.core.schema` and maps to a column kind:

=========  ============  ======================  ==========================
field      kind          DuckDB                  PostgreSQL
=========  ============  ======================  ==========================
string     text          VARCHAR                 text
integer    bigint        BIGINT                  bigint
number     double        DOUBLE                  double precision
boolean    boolean       BOOLEAN                 boolean
datetime   timestamptz   TIMESTAMPTZ             timestamp with time zone
object     json          JSON                    jsonb
array      json          JSON                    jsonb
=========  ============  ======================  ==========================

Objects mixed with arrays need a json column; an integer beyond 64 bits needs a text column. A
field that was only ever null needs no particular kind (``None``): its column is created as text
only if no value ever comes to decide.

Widening rule: a column holds a value when the kinds are equal, when the column is text, or when
a double column receives an integer. Otherwise bigint + double widen to double, and any other mix
widens to text, which holds every value: new values are written as :func:`as_text` gives them,
values already in the column keep the database's own text form (``true``, ``2026-01-01 10:00:00+00``).
Columns of any other database type (``other``: an INTEGER, a NUMERIC, a DATE of a table created by
someone else) are never widened: values reach them as text and the database converts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from trunkline.core.schema import SchemaBuilder

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class Kind(StrEnum):
    """What a column holds, independent of the database's spelling of its type."""

    BOOLEAN = "boolean"
    BIGINT = "bigint"
    DOUBLE = "double"
    TIMESTAMPTZ = "timestamptz"
    JSON = "json"
    TEXT = "text"
    OTHER = "other"


_KIND_OF_FIELD_TYPE = {
    "string": Kind.TEXT,
    "integer": Kind.BIGINT,
    "number": Kind.DOUBLE,
    "boolean": Kind.BOOLEAN,
    "datetime": Kind.TIMESTAMPTZ,
    "object": Kind.JSON,
    "array": Kind.JSON,
}


def kind_of_field_type(field_type: str) -> Kind | None:
    """The column kind for a schema field type; ``None`` for ``null`` (a field only ever null)."""
    return _KIND_OF_FIELD_TYPE.get(field_type)


def batch_kinds(records: Iterable[Mapping[str, Any]]) -> dict[str, Kind | None]:
    """The column kind each field of ``records`` needs, fields in first-seen order."""
    records = list(records)
    builder = SchemaBuilder()
    for record in records:
        builder.add(record)
    kinds: dict[str, Kind | None] = {}
    for field in builder.fields():
        kind = kind_of_field_type(field.type)
        values = [value for record in records if (value := record.get(field.name)) is not None]
        if kind is Kind.BIGINT and not all(_INT64_MIN <= value <= _INT64_MAX for value in values):
            kind = Kind.TEXT
        elif kind is Kind.TEXT and all(isinstance(value, Mapping | list | tuple) for value in values):
            kind = Kind.JSON  # objects mixed with arrays: a string to the schema, JSON to a table
        kinds[field.name] = kind
    return kinds


def widened(current: Kind, needed: Kind) -> Kind | None:
    """The kind a column of kind ``current`` must become to hold ``needed`` values; ``None`` if it holds them."""
    if current in (needed, Kind.TEXT, Kind.OTHER) or (current, needed) == (Kind.DOUBLE, Kind.BIGINT):
        return None
    if {current, needed} == {Kind.BIGINT, Kind.DOUBLE}:
        return Kind.DOUBLE
    return Kind.TEXT


def coerce(value: Any, kind: Kind) -> Any:
    """``value`` converted for a column of ``kind`` (which holds it: widening has run before)."""
    if value is None:
        return None
    if kind is Kind.DOUBLE:
        return float(value)
    if kind is Kind.TIMESTAMPTZ:
        return to_timestamp(value)
    if kind is Kind.JSON:
        return to_json(value)
    if kind in (Kind.TEXT, Kind.OTHER):
        return as_text(value)
    return value


def to_timestamp(value: datetime | date | str) -> datetime:
    """An aware datetime from a datetime, a date (midnight) or an ISO-8601 string; no offset means UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode


def as_text(value: Any) -> str:
    """A non-null value as text: strings as they are, booleans as ``true``/``false``, dates in ISO 8601,
    objects and arrays as JSON, anything else as ``str``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return to_json(value)
    return str(value)
