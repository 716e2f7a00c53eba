"""The flow's small, declarative transforms: rename, exclude, filter and computed fields.

They run in the order written, on each record between the source and the nexset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from trunkline.core.flow_config import Compute, Exclude, Filter, Rename, Transform
from trunkline.rest.payload import record_context, render_item

_MISSING = object()


def apply_transforms(records: Iterable[dict[str, Any]], transforms: list[Transform],
                     now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The records after every transform; filtered-out records are not yielded."""
    moment = now or datetime.now(UTC)
    for record in records:
        current: dict[str, Any] | None = record
        for transform in transforms:
            current = _apply(current, transform, moment)
            if current is None:
                break
        if current is not None:
            yield current


def _apply(record: dict[str, Any], transform: Transform, now: datetime) -> dict[str, Any] | None:
    if isinstance(transform, Rename):
        return {transform.rename.get(key, key): value for key, value in record.items()}
    if isinstance(transform, Exclude):
        dropped = set(transform.exclude)
        return {key: value for key, value in record.items() if key not in dropped}
    if isinstance(transform, Filter):
        return record if _holds(record, transform.filter) else None
    if isinstance(transform, Compute):
        ctx = record_context(record, now, "yyyy-MM-dd'T'HH:mm:ss'Z'", "day")
        return {**record, **{name: render_item(template, ctx, where=f"flow.transforms.compute.{name}")
                             for name, template in transform.compute.items()}}
    raise AssertionError(f"unknown transform {transform!r}")  # pragma: no cover - the model allows no other


def _holds(record: dict[str, Any], condition: Filter.Condition) -> bool:
    value = record.get(condition.field, _MISSING)
    op, expected = condition.op, condition.value
    if op == "exists":
        return value is not _MISSING and value is not None
    if op == "missing":
        return value is _MISSING or value is None
    if value is _MISSING:
        return False
    if op == "eq":
        return value == expected
    if op == "ne":
        return value != expected
    if op == "in":
        return value in (expected or [])
    if op == "not_in":
        return value not in (expected or [])
    if op == "contains":
        return expected in value if isinstance(value, (str, list)) else False
    try:
        return {"gt": value > expected, "ge": value >= expected, "lt": value < expected,
                "le": value <= expected}[op]
    except TypeError:
        return False
