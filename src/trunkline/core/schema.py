"""Detect the schema of a stream of records: each top-level field's type, an example, nullability.

Types: ``string``, ``integer``, ``number``, ``boolean``, ``object``, ``array``, ``datetime`` (a
string that looks like an ISO-8601 date or date-time, such as ``2026-01-01`` or
``2026-06-24T10:15:02.000Z``), and ``null`` for a field that was only ever null. Nested objects are
not descended into: they are ``object``.

Widening rule, when one field holds values of several types (nulls never count):
``integer`` + ``number`` gives ``number``; ``datetime`` + ``string`` gives ``string``; any other
mix gives ``string``, the type every value can be written as.

A field is nullable when it was null in some record or missing from some record. ``count`` is the
number of records the field appeared in (null or not). The example is the first non-null value,
with strings cut to 80 characters.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_EXAMPLE_CHARS = 80
_ISO_8601_SHAPE = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_ISO_8601 = re.compile(_ISO_8601_SHAPE, re.ASCII)
_ISO_8601_BYTES = re.compile(_ISO_8601_SHAPE.encode())
_DIGITS_AS_NINES = bytes.maketrans(b"0123456789", b"9" * 10)
"""Every ASCII digit as ``9``: the ISO-8601 shape has no literal digit, so a string and its nines
match it alike, and a column of timestamps comes down to a handful of distinct shapes."""


@dataclass
class FieldSchema:
    """One top-level field as detected: its type, an example value, nullability and how often it appeared."""

    name: str
    type: str
    example: Any
    nullable: bool
    count: int


@dataclass
class _Seen:
    """What has been learned about one field so far."""

    type: str | None = None
    example: Any = None
    nulls: bool = False
    count: int = 0


class SchemaBuilder:
    """Detects a schema one record at a time; memory grows with distinct fields, not records."""

    def __init__(self) -> None:
        self._fields: dict[str, _Seen] = {}
        self._records = 0

    def add(self, record: Mapping[str, Any]) -> None:
        """Learn from one record."""
        self._records += 1
        for key, value in record.items():
            name = str(key)
            seen = self._fields.get(name)
            if seen is None:
                seen = self._fields[name] = _Seen()
            seen.count += 1
            if value is None:
                seen.nulls = True
                continue
            kind = _type_of(value)
            if seen.type is None:
                seen.type = kind
                seen.example = _example(value)
            elif seen.type != kind:
                seen.type = widen(seen.type, kind)

    def fields(self) -> list[FieldSchema]:
        """The schema so far, fields in the order they were first seen."""
        return [
            FieldSchema(
                name=name,
                type=seen.type or "null",
                example=seen.example,
                nullable=seen.nulls or seen.count < self._records,
                count=seen.count,
            )
            for name, seen in self._fields.items()
        ]


def detect_schema(records: Iterable[Mapping[str, Any]]) -> list[FieldSchema]:
    """The schema of ``records`` (see the module docstring for the rules)."""
    builder = SchemaBuilder()
    for record in records:
        builder.add(record)
    return builder.fields()


def type_of_class(python_type: type) -> str:
    """The schema type of every non-null value of ``python_type``; strings need their values (see
    :func:`are_datetimes`) and are ``string`` here."""
    if issubclass(python_type, bool):
        return "boolean"
    if issubclass(python_type, int):
        return "integer"
    if issubclass(python_type, float):
        return "number"
    if issubclass(python_type, date):
        return "datetime"
    if issubclass(python_type, Mapping):
        return "object"
    if issubclass(python_type, list | tuple):
        return "array"
    return "string"


def are_datetimes(strings: Sequence[str]) -> bool:
    """Whether every one of ``strings`` looks like, and is, an ISO-8601 date or date-time: the
    ``datetime`` test of a whole column at C speed. The strings are joined by newlines (which no
    matching string holds) and encoded once, their digits turned into nines; only the distinct shapes
    that leaves are matched against the ISO-8601 shape (UTF-8 bytes of a character outside ASCII never
    match it, as the character itself does not), then ``datetime.fromisoformat`` must accept each string."""
    if strings and _ISO_8601.fullmatch(strings[0]) is None:
        return False  # most columns of text fail at once
    joined = "\n".join(strings)
    if joined.count("\n") != len(strings) - 1:
        return False
    shapes = set(joined.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_NINES).split(b"\n"))
    if not all(map(_ISO_8601_BYTES.fullmatch, shapes)):
        return False
    try:
        deque(map(datetime.fromisoformat, strings), maxlen=0)
    except ValueError:
        return False
    return True


def widen_all(types: Iterable[str]) -> str:
    """The type that holds values of every one of ``types`` (what widening them one by one gives);
    ``null`` for none."""
    found = set(types)
    if not found:
        return "null"
    if len(found) == 1:
        return found.pop()
    return "number" if found == {"integer", "number"} else "string"


def _type_of(value: Any) -> str:
    """The schema type of one non-null value (values of other Python types count as strings)."""
    if isinstance(value, str):
        return "datetime" if _looks_like_datetime(value) else "string"
    return type_of_class(type(value))


def _looks_like_datetime(text: str) -> bool:
    """Whether ``text`` is shaped like, and is, an ISO-8601 date or date-time."""
    if not _ISO_8601.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def widen(current: str, new: str) -> str:
    """The type that holds values of both ``current`` and ``new`` (neither is ``null``)."""
    if {current, new} == {"integer", "number"}:
        return "number"
    return "string"


def _example(value: Any) -> Any:
    """``value`` as an example: long strings are cut to 80 characters."""
    if isinstance(value, str) and len(value) > _EXAMPLE_CHARS:
        return value[: _EXAMPLE_CHARS - 1] + "…"
    return value
