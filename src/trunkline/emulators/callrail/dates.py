"""Date filters: ``date_range`` names and inclusive ``start_date``/``end_date`` read in a time zone,
resolved to a half-open UTC window, and the 25-month retention rule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from .errors import ApiError, invalid
from .timefmt import zone

Window = tuple[datetime | None, datetime | None]
RANGES = ("recent", "today", "yesterday", "last_7_days", "last_30_days", "this_month", "last_month", "this_year",
          "last_year", "all_time")  # fmt: skip
RETENTION_MONTHS = 25
OUT_OF_RETENTION = ("The requested dates are outside the 25-month data retention period "
                    "(all_time included); please revise your date range")  # fmt: skip


def _midnight(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone(zone_name))


def _month_start(day: date, months_back: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def named_range(name: str, now: datetime, zone_name: str) -> Window:
    """The window of a ``date_range`` value at ``now`` in ``zone_name`` (``all_time`` is refused)."""
    today = now.astimezone(zone(zone_name)).date()
    tomorrow = today + timedelta(days=1)
    bounds = {
        "recent": (today - timedelta(days=6), tomorrow),
        "today": (today, tomorrow),
        "yesterday": (today - timedelta(days=1), today),
        "last_7_days": (today - timedelta(days=7), today),
        "last_30_days": (today - timedelta(days=30), today),
        "this_month": (_month_start(today), tomorrow),
        "last_month": (_month_start(today, 1), _month_start(today)),
        "this_year": (date(today.year, 1, 1), tomorrow),
        "last_year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
    }
    if name == "all_time":
        raise ApiError(400, OUT_OF_RETENTION)
    if name not in bounds:
        raise invalid("date_range", f"must be one of {', '.join(RANGES)}, got '{name}'")
    start, end = bounds[name]
    return _midnight(start, zone_name), _midnight(end, zone_name)


def _bound(name: str, raw: str, zone_name: str) -> datetime:
    """A ``start_date``/``end_date`` value: a date (start of day; the end bound takes the whole day) or
    a date-time (naive ones are read in ``zone_name``)."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return _midnight(day + timedelta(days=1) if name == "end_date" else day, zone_name)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"'{raw}' is not an ISO 8601 date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone(zone_name))


def window(params: QueryParams, now: datetime, zone_name: str, default: str | None) -> Window:
    """The UTC window asked for by ``start_date``/``end_date`` or ``date_range`` (``default`` when none
    is given; None means unbounded). 400 when it reaches beyond the retention period."""
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    if start_raw or end_raw:
        start = _bound("start_date", start_raw, zone_name) if start_raw else None
        end = _bound("end_date", end_raw, zone_name) if end_raw else None
    elif params.get("date_range") or default:
        start, end = named_range(params.get("date_range") or default or "", now, zone_name)
    else:
        return None, None
    oldest = _month_start(now.date(), RETENTION_MONTHS)
    if start is not None and start.date() < oldest:
        raise ApiError(400, OUT_OF_RETENTION)
    return start, end


def within(items: list[dict[str, Any]], span: Window) -> list[dict[str, Any]]:
    """The items whose ``_epoch`` lies in the half-open window ``span``."""
    start, end = span
    low = start.timestamp() if start else float("-inf")
    high = end.timestamp() if end else float("inf")
    return [item for item in items if low <= item["_epoch"] < high]
