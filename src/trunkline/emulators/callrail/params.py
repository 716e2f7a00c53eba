"""Reading query parameters: integers, booleans, field selection, multi-valued filters and time zones,
with 400s that name the parameter."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from .errors import invalid
from .timefmt import zone


def integer(params: QueryParams, name: str, default: int, minimum: int = 1) -> int:
    """The integer parameter ``name`` (``default`` when absent); 400 if not an integer ≥ ``minimum``."""
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"'{raw}' is not an integer") from None
    if value < minimum:
        raise invalid(name, f"must be at least {minimum}, got {value}")
    return value


def boolean(params: QueryParams, name: str) -> bool | None:
    """The boolean parameter ``name`` (``true``/``false``), None when absent; 400 otherwise."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    lowered = raw.strip().lower()
    if lowered not in ("true", "false"):
        raise invalid(name, f"must be true or false, got '{raw}'")
    return lowered == "true"


def values(params: QueryParams, name: str) -> list[str]:
    """Every value of a filter given as ``name=A`` or ``name[]=A&name[]=B`` (or ``name=A,B``)."""
    found = [*params.getlist(name), *params.getlist(f"{name}[]")]
    return [part.strip() for value in found for part in value.split(",") if part.strip()]


def choice(params: QueryParams, name: str, allowed: tuple[str, ...]) -> str | None:
    """The parameter ``name`` if it is one of ``allowed``, None when absent; 400 otherwise."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if raw not in allowed:
        raise invalid(name, f"must be one of {', '.join(allowed)}, got '{raw}'")
    return raw


def requested_fields(params: QueryParams) -> list[str]:
    """The extra fields asked for with ``fields=a,b``."""
    return [name.strip() for value in params.getlist("fields") for name in value.split(",") if name.strip()]


def time_zone(params: QueryParams, default: str) -> str:
    """The ``time_zone`` parameter (an IANA name; ``user`` or absent means ``default``); 400 if unknown."""
    raw = params.get("time_zone")
    if raw in (None, "", "user"):
        return default
    try:
        zone(raw)
    except ValueError:
        raise invalid("time_zone", f"unknown time zone '{raw}'") from None
    return raw
