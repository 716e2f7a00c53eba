"""Reading a value as a point in time, the same way wherever a flow compares times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def as_datetime(value: Any) -> datetime | None:
    """An aware date-time from a date-time, a date (its midnight) or ISO-8601 text; no offset means UTC.
    None for anything else."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None
