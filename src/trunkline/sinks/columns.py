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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from functools import partial
from itertools import chain, repeat
from operator import is_not
from typing import Any

from trunkline.core.json_text import json_encoder
from trunkline.core.schema import are_datetimes, type_of_class, widen_all

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NONE = type(None)
_TEXT_TYPES = frozenset({str, _NONE})
_is_not_none = partial(is_not, None)


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


@dataclass
class BatchColumn:
    """One field of a batch: the column kind it needs, its value in each record (``None`` where absent),
    and the Python types of its values."""

    kind: Kind | None
    values: list[Any]
    python_types: frozenset[type] = frozenset()

    @property
    def only_strings(self) -> bool:
        """Whether every value is a string or ``None``."""
        return self.python_types <= _TEXT_TYPES


def batch_columns(records: Sequence[Mapping[str, Any]]) -> dict[str, BatchColumn]:
    """The fields of ``records`` (in first-seen order) as columns, each with the kind it needs.

    The kinds are those the record-by-record schema rules give (:mod:`trunkline.core.schema`), found
    a column at a time with C-level passes over each column's values.
    """
    shapes = dict.fromkeys(map(tuple, records))  # records mostly share their keys: far fewer to go through
    names = dict.fromkeys(map(str, chain.from_iterable(shapes)))
    get = dict.get if set(map(type, records)) == {dict} else _get
    return {name: _batch_column(list(map(get, records, repeat(name)))) for name in names}


def _get(record: Mapping[str, Any], name: str) -> Any:
    return record.get(name)


def _batch_column(values: list[Any]) -> BatchColumn:
    python_types = set(map(type, values))
    types: set[str] = set()
    has_strings = False
    for python_type in python_types:
        if issubclass(python_type, str):
            has_strings = True
        elif python_type is not _NONE:
            types.add(type_of_class(python_type))
    if has_strings:
        if types <= {"datetime"}:
            strings = values if python_types == {str} else [value for value in values if isinstance(value, str)]
            types.add("datetime" if are_datetimes(strings) else "string")
        else:
            types.add("string")
    kind = kind_of_field_type(widen_all(types))
    if kind is Kind.BIGINT:
        present = _present(values, python_types)
        if min(present) < _INT64_MIN or max(present) > _INT64_MAX:
            kind = Kind.TEXT
    elif kind is Kind.TEXT and all(isinstance(value, Mapping | list | tuple) for value in values if value is not None):
        kind = Kind.JSON  # objects mixed with arrays: a string to the schema, JSON to a table
    return BatchColumn(kind, values, frozenset(python_types))


def _present(values: list[Any], python_types: set[type]) -> list[Any]:
    """The values that are not ``None``."""
    return list(filter(_is_not_none, values)) if _NONE in python_types else values


def batch_kinds(records: Sequence[Mapping[str, Any]]) -> dict[str, Kind | None]:
    """The column kind each field of ``records`` needs, fields in first-seen order."""
    return {name: column.kind for name, column in batch_columns(records).items()}


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


def coerce_column(column: BatchColumn, kind: Kind) -> list[Any]:
    """``[coerce(value, kind) for value in column.values]``, without a Python call per value where none
    is needed (the column's kind may differ from ``kind``, the kind of the table column it lands in)."""
    values = column.values
    if kind in (Kind.BIGINT, Kind.BOOLEAN):
        return values
    if kind is Kind.TEXT or kind is Kind.OTHER:
        if column.only_strings:
            return values
        return [value if value is None or type(value) is str else as_text(value) for value in values]
    if kind is Kind.JSON:
        return _json_column(values)
    if kind is Kind.DOUBLE:
        return [None if value is None else float(value) for value in values]
    return [value if value is None or (type(value) is datetime and value.tzinfo is not None) else to_timestamp(value)
            for value in values]


def _json_column(values: list[Any]) -> list[str | None]:
    """Each value as ``to_json`` writes it."""
    encode = to_json
    return [None if value is None else encode(value) for value in values]


def to_timestamp(value: datetime | date | str) -> datetime:
    """An aware datetime from a datetime, a date (midnight) or an ISO-8601 string; no offset means UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def json_default(value: Any) -> str:
    """How a JSON text writes a value JSON has no type for: dates and times in ISO 8601, anything else as ``str``."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


to_json = json_encoder(json_default)
"""A value as compact JSON text (dates and times in ISO 8601, unknown types as ``str``)."""


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
