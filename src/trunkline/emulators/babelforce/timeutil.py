"""Time helpers for the Babelforce emulator: wire formats, lenient parsing and named ranges.

Bodies carry ISO-8601 UTC strings (``2026-06-24T10:15:02Z``); filters take unix seconds but the
emulator also accepts unix milliseconds and ISO-8601 strings, because seed templates send those.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime

_DAY = 86_400


_MINUTES = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
_SECONDS = [f"{second:02d}Z" for second in range(60)]
_DATES: dict[int, str] = {}


def iso(epoch: float) -> str:
    """Format unix seconds as the wire timestamp ``YYYY-MM-DDTHH:MM:SSZ`` (table-driven: it runs a
    few hundred thousand times while building the large dataset)."""
    day, seconds = divmod(int(epoch), _DAY)
    date = _DATES.get(day)
    if date is None:
        date = time.strftime("%Y-%m-%dT", time.gmtime(day * _DAY))
        if len(_DATES) < 100_000:
            _DATES[day] = date
    minute, second = divmod(seconds, 60)
    return date + _MINUTES[minute] + _SECONDS[second]


def to_epoch(moment: datetime) -> int:
    """Whole unix seconds of an aware (or naive = UTC) datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def parse_time(value: str) -> int:
    """Parse a filter value into unix seconds.

    Accepts unix seconds, unix milliseconds (13+ digits), and ISO-8601 date or date-time strings
    (``Z`` or an offset; no offset means UTC). Raises ``ValueError`` on anything else.
    """
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        return int(number / 1000) if abs(number) >= 100_000_000_000 else int(number)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return to_epoch(moment)


def _start_of_day(epoch: int) -> int:
    return epoch - epoch % _DAY


def _month_start(year: int, month: int) -> int:
    while month < 1:
        month += 12
        year -= 1
    return calendar.timegm((year, month, 1, 0, 0, 0))


def named_range(name: str, now: int) -> tuple[int, int]:
    """Return ``[start, end)`` in unix seconds for a ``MetricTimeRange`` value relative to ``now``.

    Raises ``KeyError`` for an unknown name.
    """
    today = _start_of_day(now)
    moment = datetime.fromtimestamp(now, UTC)
    week = today - moment.weekday() * _DAY
    month = _month_start(moment.year, moment.month)
    quarter_month = 3 * ((moment.month - 1) // 3) + 1
    quarter = _month_start(moment.year, quarter_month)
    ranges = {
        "TODAY": (today, now),
        "YESTERDAY": (today - _DAY, today),
        "LAST_DAY": (now - _DAY, now),
        "LAST_24_HOURS": (now - _DAY, now),
        "LAST_3_DAYS": (now - 3 * _DAY, now),
        "LAST_7_DAYS": (now - 7 * _DAY, now),
        "LAST_30_DAYS": (now - 30 * _DAY, now),
        "THIS_WEEK": (week, now),
        "PREVIOUS_WEEK": (week - 7 * _DAY, week),
        "THIS_MONTH": (month, now),
        "PREVIOUS_MONTH": (_month_start(moment.year, moment.month - 1), month),
        "LAST_3_MONTHS": (_month_start(moment.year, moment.month - 3), now),
        "THIS_QUARTER": (quarter, now),
        "PREVIOUS_QUARTER": (_month_start(moment.year, quarter_month - 3), quarter),
    }
    return ranges[name]


TIME_RANGE_NAMES: tuple[str, ...] = (
    "TODAY",
    "YESTERDAY",
    "LAST_DAY",
    "LAST_24_HOURS",
    "LAST_3_DAYS",
    "LAST_7_DAYS",
    "LAST_30_DAYS",
    "THIS_WEEK",
    "PREVIOUS_WEEK",
    "THIS_MONTH",
    "PREVIOUS_MONTH",
    "LAST_3_MONTHS",
    "THIS_QUARTER",
    "PREVIOUS_QUARTER",
)

