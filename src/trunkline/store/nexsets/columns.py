"""Record values to Arrow columns and back, so that a nexset returns exactly what it was given.

Each part chooses every column's storage from the values it holds:

- only booleans → ``bool``; only integers that fit 64 bits → ``int64``; only floats → ``float64``;
  only strings → ``string``; only ``None`` → an all-null ``string`` column;
- anything else (mappings, lists, a mix of kinds such as integers and floats, integers beyond 64 bits,
  other types) → a ``string`` column of JSON text, marked ``trunkline.encoding: json`` in the field's
  metadata and decoded on read. Values JSON cannot hold are written as text: dates and times as ISO 8601,
  anything else (``Decimal``, ``UUID``…) as ``str(value)``, and come back as those strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

import pyarrow as pa

from trunkline.core.json_text import json_encoder

ENCODING_KEY = b"trunkline.encoding"
JSON_ENCODING = b"json"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ARROW_TYPES = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "string": pa.string()}
_KIND_OF_TYPE = {bool: "bool", float: "float", str: "string"}


def to_column(name: str, values: list[Any]) -> tuple[pa.Field, pa.Array]:
    """The field and array that store ``values`` (one per record, ``None`` for null or absent)."""
    kind = _column_kind(values)
    if kind == "json":
        encoded = [None if value is None else _to_json(value) for value in values]
        return pa.field(name, pa.string(), metadata={ENCODING_KEY: JSON_ENCODING}), pa.array(encoded, pa.string())
    arrow_type = _ARROW_TYPES[kind]
    return pa.field(name, arrow_type), pa.array(values, arrow_type)


def json_columns(schema: pa.Schema) -> list[str]:
    """The names of the columns of ``schema`` that hold JSON text to decode on read."""
    return [field.name for field in schema if (field.metadata or {}).get(ENCODING_KEY) == JSON_ENCODING]


def decode_rows(rows: Iterable[dict[str, Any]], encoded: list[str]) -> Iterable[dict[str, Any]]:
    """Turn the JSON text of the ``encoded`` columns back into values, in place, row by row."""
    for row in rows:
        for name in encoded:
            text = row.get(name)
            if text is not None:
                row[name] = json.loads(text)
        yield row


def _column_kind(values: list[Any]) -> str:
    """``bool``, ``int``, ``float`` or ``string`` when every non-null value is of that one kind; else ``json``."""
    kinds = {_value_kind(value) for value in values if value is not None}
    if not kinds:
        return "string"
    return kinds.pop() if len(kinds) == 1 else "json"


def _value_kind(value: Any) -> str:
    """The storage one value asks for (exact types only: a ``str`` subclass is stored as JSON)."""
    kind = type(value)
    if kind is int:
        return "int" if _INT64_MIN <= value <= _INT64_MAX else "json"
    return _KIND_OF_TYPE.get(kind, "json")


def _text_of(value: Any) -> str:
    """How a value JSON cannot hold is written: ISO 8601 for dates and times, ``str`` otherwise."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


_to_json = json_encoder(_text_of)
