"""Validating tracker bodies (call flows, sources, number requests) and provisioning numbers."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, invalid, missing
from .fake import Fake
from .gen_trackers import basic_flow
from .phones import AREAS, TOLL_FREE, area_code, us_ca_number

Entity = dict[str, Any]
SOURCE_TYPES = ("all", "landing_url", "landing_params", "offline", "web_referrer", "direct", "search",
                "google_ad_extension", "mobile_ad_extension", "google_my_business", "facebook_all", "bing_all")
_SOURCE_NEEDS = {"landing_url": ("landing",), "landing_params": ("landing",), "web_referrer": ("referrer",),
                 "search": ("search_engine", "search_type")}  # fmt: skip
_SEARCH_VALUES = {"search_engine": ("google", "yahoo", "bing", "all"), "search_type": ("paid", "organic", "all")}
_SESSION_KEYS = ("google", "bing", "yahoo", "landing", "referrer", "type", "inverted")
_TEN_DIGITS = re.compile(r"^\d{10}$")


def call_flow(value: Any) -> Entity:
    """A validated ``call_flow``: basic (``destination_number`` required; a text greeting wins over a
    recorded one) or a reference to an existing advanced flow (``uuid``)."""
    if not isinstance(value, dict):
        raise invalid("call_flow", "must be a JSON object")
    if value.get("type") == "advanced":
        if not isinstance(value.get("uuid"), str) or not value["uuid"]:
            raise missing("call_flow.uuid")
        return {"type": "advanced", "uuid": value["uuid"]}
    if value.get("type") != "basic":
        raise invalid("call_flow.type", "must be basic or advanced")
    if not value.get("destination_number"):
        raise missing("call_flow.destination_number")
    destination = us_ca_number(value["destination_number"])
    if destination is None:
        raise invalid("call_flow.destination_number", "must be a valid phone number")
    greeting = value.get("greeting_text") or None
    flow = basic_flow(destination, bool(value.get("recording_enabled", False)), greeting)
    flow["greeting_recording_url"] = None if greeting else value.get("greeting_recording_url") or None
    return flow


def source_tracker_source(value: Any) -> Entity:
    """A validated source-tracker ``source`` object."""
    if not isinstance(value, dict):
        raise invalid("source", "must be a JSON object")
    kind = value.get("type")
    if kind not in SOURCE_TYPES:
        raise ApiError(400, "Unknown tracking source type")
    source = {"type": kind}
    for field in _SOURCE_NEEDS.get(kind, ()):
        if not value.get(field):
            raise missing(f"source.{field}")
        allowed = _SEARCH_VALUES.get(field)
        if allowed and value[field] not in allowed:
            raise invalid(f"source.{field}", f"must be one of {', '.join(allowed)}")
        source[field] = value[field]
    return source


def session_tracker_source(value: Any) -> Entity:
    """A validated session-tracker ``source``: the string ``"all"`` (echoed as ``{"type": "all"}``) or
    an object of search engines, landing/referrer matches, ``type: direct`` and ``inverted``."""
    if value == "all":
        return {"type": "all"}
    if not isinstance(value, dict) or not value:
        raise invalid("source", "must be \"all\" or a JSON object")
    unknown = sorted(set(value) - set(_SESSION_KEYS))
    if unknown:
        raise invalid("source", f"unknown key '{unknown[0]}'")
    for engine in ("google", "bing", "yahoo"):
        kinds = value.get(engine, [])
        if not isinstance(kinds, list) or not all(kind in ("paid", "organic", "local") for kind in kinds):
            raise invalid(f"source.{engine}", "must be a list of paid and organic")
    if value.get("type") not in (None, "direct", "all"):
        raise invalid("source.type", "must be direct")
    return dict(value)


def swap_targets(value: Any) -> list[str]:
    """Validated ``swap_targets``: 10-digit numbers without formatting."""
    if not isinstance(value, list) or not all(isinstance(item, str) and _TEN_DIGITS.match(item) for item in value):
        raise invalid("swap_targets", "must be a list of 10-digit numbers without formatting")
    return value


def number_request(value: Any, field: str) -> Entity:
    """A validated ``tracking_number``/``pool_numbers`` request: at least one of ``area_code``,
    ``local`` (E.164) or ``toll_free``."""
    if not isinstance(value, dict):
        raise missing(field)
    if not any(value.get(key) not in (None, "", False) for key in ("area_code", "local", "toll_free")):
        raise invalid(field, "give at least one of area_code, local or toll_free")
    if value.get("local") and us_ca_number(value["local"]) is None:
        raise invalid(f"{field}.local", "must be an E.164 US or Canadian number")
    return value


def provision(fake: Fake, request: Entity, count: int, used: set[str], fallback_area: str) -> list[str]:
    """``count`` new numbers matching a number ``request``; 400 when the requested area code has no
    inventory (the emulator stocks its known US/CA area codes and the toll-free ones)."""
    requested = str(request.get("area_code") or "")
    toll_free = bool(request.get("toll_free"))
    local = us_ca_number(request.get("local"))
    if requested:
        stocked = requested in TOLL_FREE if toll_free else requested in AREAS
        if not stocked:
            raise ApiError(400, f"No phone numbers are available in area code {requested}")
        area = requested
    elif toll_free:
        area = TOLL_FREE[0]
    elif local and area_code(local) in AREAS:
        area = area_code(local)
    else:
        area = fallback_area
    numbers: list[str] = []
    while len(numbers) < count:
        candidate = fake.phone(area)
        if candidate not in used and candidate not in numbers:
            numbers.append(candidate)
    return numbers
