"""Compact JSON text of record values: the standard library's output at orjson's speed.

Every writer of JSON text (JSONL files, JSON columns of tables and nexsets, text cells) encodes with
:func:`json_encoder`, or :func:`json_array_text` for a whole column at once: compact separators,
non-ASCII characters as they are, and a ``default`` for the values JSON has no type for (dates and
times in ISO 8601, always through ``default`` so every writer spells them its own way). orjson does
the work; what it refuses (integers beyond 64 bits, keys that are not strings, strings with lone
surrogates) goes to the standard library's encoder, which writes it as before or raises. Floats read
back the same either way; only exponents may be spelled differently (``1e-9`` against ``1e-09``).
One difference remains on purpose: a ``NaN`` or infinite float *inside* an object or array is written
as ``null`` (orjson's choice, and valid JSON), where the standard library would write ``NaN``, which
no JSON reader, DuckDB's or PostgreSQL's included, accepts. A float on its own is handed to the
standard library, so a bare ``NaN`` is still ``NaN``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_array_text(values: Sequence[Any], default: Callable[[Any], Any]) -> str | None:
    """The compact JSON text of ``values`` as one array (``None`` as ``null``), in one orjson call, or
    ``None`` if orjson refuses one of them (then encode them one by one with :func:`json_encoder`).

    One call for a whole column, not one per value: each text orjson returns is a fresh allocation,
    and keeping thousands of them costs several times the encoding itself."""
    try:
        return orjson.dumps(values, default=default, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return None


def json_encoder(default: Callable[[Any], Any]) -> Callable[[Any], str]:
    """A function giving the compact JSON text of a value, with ``default`` for unknown types."""
    fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=default).encode
    dumps = orjson.dumps

    def encode(value: Any) -> str:
        if type(value) is float:
            return fallback(value)
        try:
            return dumps(value, default=default, option=_OPTIONS).decode()
        except orjson.JSONEncodeError:
            return fallback(value)

    return encode
