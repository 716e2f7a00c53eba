"""Reading query parameters: integers, booleans, times and multi-valued filters, with 400s that name
the parameter and the bad value."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import QueryParams

from .errors import ApiError
from .timeutil import parse_time


def values(params: QueryParams, name: str, prefixed: bool = False) -> list[str]:
    """Every value given for ``name`` (repeat the key for several), also under ``filters.<name>``
    when ``prefixed``. Empty values are ignored."""
    names = (name, f"filters.{name}") if prefixed else (name,)
    return [value for key in names for value in params.getlist(key) if value != ""]


def first(params: QueryParams, names: Iterable[str]) -> tuple[str, str] | None:
    """The first ``(name, value)`` present among ``names``, or None."""
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return name, value
    return None


def integer(name: str, value: str, minimum: int, maximum: int | None = None) -> int:
    """Parse an integer parameter within ``[minimum, maximum]`` or raise a 400."""
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, f"query parameter '{name}' must be an integer, got '{value}'") from None
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ApiError(400, f"query parameter '{name}' must be {bound}, got {number}")
    return number


def boolean(name: str, value: str) -> bool:
    """Parse ``true``/``false`` (also ``1``/``0``, ``yes``/``no``) or raise a 400."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ApiError(400, f"query parameter '{name}' must be true or false, got '{value}'")


def time_value(name: str, value: str) -> int:
    """Parse a time filter (unix seconds, unix ms or ISO-8601) into unix seconds or raise a 400."""
    try:
        return parse_time(value)
    except ValueError:
        raise ApiError(
            400, f"query parameter '{name}' must be unix seconds or an ISO-8601 date-time, got '{value}'"
        ) from None


def time_bound(params: QueryParams, names: Iterable[str], latest: bool) -> int | None:
    """Combine every given spelling of one bound: the latest start (``latest``) or the earliest end."""
    bounds = [time_value(name, value) for name in names for value in params.getlist(name) if value != ""]
    if not bounds:
        return None
    return max(bounds) if latest else min(bounds)
