"""The flow's small, declarative transforms: rename, exclude, filter and computed fields.

They run in the order written, on each record between the source and the nexset. A record a transform
cannot handle stops the run with a :class:`TransformError` naming the transform, the field, the value
and the record, rather than changing or dropping the record in silence (docs/flows.md, Transforms):

- ``rename`` onto a field the record already has (one the same transform does not rename away);
- a filter ordering (``gt``, ``ge``, ``lt``, ``le``) values of kinds that do not compare, or looking
  inside (``contains``) a value that is neither text nor a list.

How a filter compares: a number and a text that reads as a number compare as numbers (CSV columns are
text); a date-time (YAML writes unquoted dates as such) and a text that reads as an ISO date-time
compare as date-times (UTC when no offset is given); otherwise values compare only with values of their
own kind. A record without the field passes only ``missing``; a null value passes ``missing`` and
``eq``/``in`` with null; a null or empty text (a CSV's empty cell) fails the orderings and ``contains``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from trunkline.core.errors import TrunklineError
from trunkline.core.flow_config import Compute, Exclude, Filter, Rename, Transform
from trunkline.core.moments import as_datetime
from trunkline.rest.payload import record_context, render_item

_MISSING = object()
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_ORDERED_KINDS = ("number", "text", "date-time")
_SHOWN = 200


class TransformError(TrunklineError):
    """A transform cannot handle a record: names the transform, the record and the fix."""


class _Refused(Exception):
    """Raised by one transform on one record; :func:`apply_transforms` adds where it happened."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def apply_transforms(records: Iterable[dict[str, Any]], transforms: list[Transform],
                     now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The records after every transform; filtered-out records are not yielded.

    Raises :class:`TransformError` for a record a transform cannot handle (see the module docstring).
    """
    moment = now or datetime.now(UTC)
    for number, record in enumerate(records, start=1):
        current: dict[str, Any] | None = record
        for index, transform in enumerate(transforms):
            try:
                current = _apply(current, transform, moment, index)
            except _Refused as refused:
                raise _error(index, transform, number, current, refused) from None
            if current is None:
                break
        if current is not None:
            yield current


def _error(index: int, transform: Transform, number: int, record: dict[str, Any], refused: _Refused
           ) -> TransformError:
    name = next(iter(type(transform).model_fields))
    return TransformError(f"flow.transforms.{index}.{name}: {refused.message}; record {number} read from the "
                          f"source, as the transforms before this one left it: {_shown(record)}", fix=refused.fix)


def _apply(record: dict[str, Any], transform: Transform, now: datetime, index: int) -> dict[str, Any] | None:
    if isinstance(transform, Rename):
        return _rename(record, transform.rename)
    if isinstance(transform, Exclude):
        dropped = set(transform.exclude)
        return {key: value for key, value in record.items() if key not in dropped}
    if isinstance(transform, Filter):
        return record if _holds(record, transform.filter) else None
    if isinstance(transform, Compute):
        ctx = record_context(record, now, "yyyy-MM-dd'T'HH:mm:ss'Z'", "day")
        return {**record, **{name: render_item(template, ctx, where=f"flow.transforms.{index}.compute.{name}")
                             for name, template in transform.compute.items()}}
    raise AssertionError(f"unknown transform {transform!r}")  # pragma: no cover - the model allows no other


def _rename(record: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The record with its fields renamed; refused when a new name is taken by a field that stays."""
    for old, new in names.items():
        if old in record and new != old and new in record and new not in names:
            raise _Refused(f"renaming {old!r} to {new!r} would overwrite the record's own {new!r} "
                           f"({_shown(record[new])})",
                           fix=f"drop it first (- exclude: [{new}]) if it may go, or rename {old!r} to a name the "
                               "records do not have")
    return {names.get(key, key): value for key, value in record.items()}


def _holds(record: dict[str, Any], condition: Filter.Condition) -> bool:
    """Whether ``record`` passes the filter (the rules are in the module docstring)."""
    value = record.get(condition.field, _MISSING)
    op, expected = condition.op, condition.value
    if op == "exists":
        return value is not _MISSING and value is not None
    if op == "missing":
        return value is _MISSING or value is None
    if value is _MISSING:
        return False
    if op in ("eq", "ne"):
        return _equal(value, expected) == (op == "eq")
    if op in ("in", "not_in"):
        return any(_equal(value, item) for item in expected or []) == (op == "in")
    if value is None or value == "":  # null (or a CSV's empty cell) has no order and no contents
        return False
    if op == "contains":
        return _contains(value, condition)
    return _ordered(value, condition)


def _equal(value: Any, expected: Any) -> bool:
    pair = _aligned(value, expected)
    return pair is not None and pair[0] == pair[1]


def _contains(value: Any, condition: Filter.Condition) -> bool:
    if isinstance(value, str):
        return str(condition.value) in value
    if isinstance(value, list):
        return any(_equal(item, condition.value) for item in value)
    raise _Refused(f"contains looks inside a text or a list, and the record's {condition.field!r} is "
                   f"{_kind_with_article(value)} ({_shown(value)})",
                   fix=f"filter on a text or list field, or use eq/ne/in on {condition.field!r}")


def _ordered(value: Any, condition: Filter.Condition) -> bool:
    op, expected = condition.op, condition.value
    pair = _aligned(value, expected)
    if pair is None or _kind(pair[0]) not in _ORDERED_KINDS:
        raise _Refused(f"cannot compare the record's {condition.field!r}, {_kind_with_article(value)} "
                       f"({_shown(value)}), with {op} {_shown(expected)} ({_kind_with_article(expected)})",
                       fix=f"give value the kind of {condition.field!r} (a number, a text or a date-time), or drop "
                           f"such records with a filter before this one")
    left, right = pair
    return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]


def _aligned(value: Any, expected: Any) -> tuple[Any, Any] | None:
    """``value`` and ``expected`` as two values of one kind, or None when they do not compare."""
    kinds = {_kind(value), _kind(expected)}
    if kinds == {"number", "text"}:
        return _both(_as_number(value), _as_number(expected))
    if kinds in ({"date-time"}, {"date-time", "text"}):
        return _both(as_datetime(value), as_datetime(expected))
    return (value, expected) if len(kinds) == 1 else None


def _both(left: Any, right: Any) -> tuple[Any, Any] | None:
    return None if left is None or right is None else (left, right)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, date):
        return "date-time"
    if value is None:
        return "null"
    return {list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


def _kind_with_article(value: Any) -> str:
    kind = _kind(value)
    return kind if kind == "null" else f"a {kind}"


def _as_number(value: Any) -> int | float | None:
    """A number as it is; a text that reads as a number (``"57"``, ``"-1.5e3"``) as that number."""
    if not isinstance(value, str):
        return value if _kind(value) == "number" else None
    if not _NUMBER_TEXT.match(value):
        return None
    text = value.strip()
    return float(text) if any(mark in text for mark in ".eE") else int(text)


def _shown(value: Any) -> str:
    """A short JSON excerpt of a value or record, for an error message."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
