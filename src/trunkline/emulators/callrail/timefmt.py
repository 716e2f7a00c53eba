"""CallRail's timestamp formats: UTC with milliseconds and ``Z`` for companies, trackers, users, forms
and texts; local time with milliseconds and an offset for calls and tags."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; raises ``ValueError`` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'") from None


def utc_stamp(moment: datetime) -> str:
    """``2016-06-06T07:06:01.000Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def local_stamp(moment: datetime, zone_name: str) -> str:
    """``2017-01-24T11:27:48.119-05:00`` in the time zone ``zone_name``."""
    local = moment.astimezone(zone(zone_name))
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}{offset[:3]}:{offset[3:]}"
