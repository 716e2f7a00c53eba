"""Trackers: list, get, create (source or session), update and soft disable."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .body import flag, json_body, mapping, require, text
from .data import Dataset
from .errors import ApiError, invalid, missing, not_found
from .gen_trackers import disable, new_tracker
from .listing import dataset, search, sort
from .paging import offset_page
from .params import choice, requested_fields
from .phones import TOLL_FREE, area_code, us_ca_number
from .routes_companies import company_of
from .tracker_rules import (
    call_flow,
    number_request,
    provision,
    session_tracker_source,
    source_tracker_source,
    swap_targets,
)
from .views import tracker_view

Entity = dict[str, Any]
POOL_SIZES = range(4, 51)


def tracker_of(data: Dataset, tracker_id: str) -> Entity:
    """The tracker ``tracker_id``; 404 when unknown."""
    tracker = data.get("trackers", tracker_id)
    if tracker is None:
        raise not_found("Tracker")
    return tracker


async def list_trackers(request: Request) -> Response:
    """Paginated ``trackers``: filter ``company_id``, ``type``, ``status``; search and sort ``name``."""
    data = dataset(request)
    params = request.query_params
    trackers = data.trackers
    if params.get("company_id"):
        trackers = [tracker for tracker in trackers if tracker["_company_id"] == params["company_id"]]
    for name, allowed in (("type", ("source", "session")), ("status", ("active", "disabled"))):
        wanted = choice(params, name, allowed)
        if wanted:
            trackers = [tracker for tracker in trackers if tracker[name] == wanted]
    trackers = sort(search(trackers, request, ("name",)), request, ("name",))
    fields = requested_fields(params)
    return offset_page(request, trackers, "trackers", lambda tracker: tracker_view(data, tracker, fields))


async def get_tracker(request: Request) -> Response:
    """One tracker (disabled ones too)."""
    data = dataset(request)
    tracker = tracker_of(data, request.path_params["tracker_id"])
    return JSONResponse(tracker_view(data, tracker, requested_fields(request.query_params)))


def _pool_size(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in POOL_SIZES:
        raise invalid("pool_size", "must be a number between 4 and 50")
    return value


def _optional_settings(tracker: Entity, body: Entity) -> None:
    """Fields create and update share: whisper message, SMS, swap targets, message flow, campaign."""
    if "whisper_message" in body:
        tracker["whisper_message"] = text(body, "whisper_message") or None
    if "swap_targets" in body:
        tracker["swap_targets"] = swap_targets(body["swap_targets"])
    if "sms_enabled" in body:
        enabled = bool(flag(body, "sms_enabled"))
        if enabled and not tracker["sms_supported"]:
            raise ApiError(400, "Text messaging is only supported on local US and Canadian numbers")
        tracker["sms_enabled"] = enabled
    if "message_flow" in body:
        if body["message_flow"] is not None and not tracker["sms_enabled"]:
            raise invalid("message_flow", "sms_enabled must be true to use a message flow")
        tracker["message_flow"] = mapping(body, "message_flow")
    if "campaign_name" in body:
        if tracker["type"] != "source":
            raise invalid("campaign_name", "can only be set for source trackers")
        tracker["campaign_name"] = text(body, "campaign_name") or None


async def create_tracker(request: Request) -> Response:
    """``POST /trackers.json``: ``name``, ``type``, ``company_id``, ``call_flow`` and ``source``; source
    trackers add ``tracking_number``, session trackers ``pool_size`` and ``pool_numbers`` → 201."""
    data = dataset(request)
    body = await json_body(request)
    require(body, "name", "type", "company_id", "call_flow")
    kind = body["type"]
    if kind not in ("source", "session"):
        raise invalid("type", "must be source or session")
    company = company_of(data, str(body["company_id"]))
    if company["status"] != "active":
        raise ApiError(400, "Trackers cannot be added to a disabled company")
    flow = call_flow(body["call_flow"])
    if kind == "source":
        request_, count = number_request(body.get("tracking_number"), "tracking_number"), 1
        require(body, "source")
        source = source_tracker_source(body["source"])
    else:
        if "pool_size" not in body:
            raise missing("pool_size")
        count = _pool_size(body["pool_size"])
        request_ = number_request(body.get("pool_numbers"), "pool_numbers")
        require(body, "source")
        source = session_tracker_source(body["source"])
    name = text(body, "name", required=True) or ""
    numbers = provision(data.fake, request_, count, data.used_numbers(), company["_area"])
    tracker = new_tracker(data.fake, company, name.strip(), kind, numbers, data.now())
    tracker.update({"call_flow": flow, "source": source, "destination_number": flow.get("destination_number")})
    _optional_settings(tracker, body)
    data.add("trackers", tracker)
    return JSONResponse(tracker_view(data, tracker), status_code=201)


def _replace_number(data: Dataset, tracker: Entity, value: Any) -> None:
    number = us_ca_number(value) if isinstance(value, str) and value.startswith("+") else None
    if number is None or number not in tracker["tracking_numbers"]:
        raise invalid("replace_tracking_number", "must be one of this tracker's numbers, in E.164 format")
    area = area_code(number)
    request_ = {"area_code": area, "toll_free": area in TOLL_FREE}
    replacement = provision(data.fake, request_, 1, data.used_numbers(), area)[0]
    tracker["tracking_numbers"] = [replacement if item == number else item for item in tracker["tracking_numbers"]]


async def update_tracker(request: Request) -> Response:
    """``PUT /trackers/{id}.json``: partial update → 200. ``call_flow`` is replaced wholesale, a pool only
    grows, ``status`` is ignored (re-enabling is not possible through the API)."""
    data = dataset(request)
    tracker = tracker_of(data, request.path_params["tracker_id"])
    body = await json_body(request)
    changed = dict(tracker)
    if "name" in body:
        name = text(body, "name")
        if not name or not name.strip():
            raise invalid("name", "must not be blank")
        changed["name"] = name.strip()
    if "call_flow" in body:
        changed["call_flow"] = call_flow(body["call_flow"])
        changed["destination_number"] = changed["call_flow"].get("destination_number")
    if "source" in body:
        validate = source_tracker_source if tracker["type"] == "source" else session_tracker_source
        changed["source"] = validate(body["source"])
    if "pool_size" in body:
        if tracker["type"] != "session":
            raise invalid("pool_size", "only session trackers have a pool")
        size = _pool_size(body["pool_size"])
        if size < len(tracker["tracking_numbers"]):
            raise invalid("pool_size", "can only be increased")
        extra = provision(data.fake, {"area_code": area_code(tracker["tracking_numbers"][0])},
                          size - len(tracker["tracking_numbers"]), data.used_numbers(), "")  # fmt: skip
        changed["tracking_numbers"] = tracker["tracking_numbers"] + extra
    _optional_settings(changed, body)
    if "replace_tracking_number" in body:
        _replace_number(data, changed, body["replace_tracking_number"])
    tracker.update(changed)
    return JSONResponse(tracker_view(data, tracker))


async def disable_tracker(request: Request) -> Response:
    """``DELETE /trackers/{id}.json``: soft disable (the record stays readable) → 204."""
    data = dataset(request)
    tracker = tracker_of(data, request.path_params["tracker_id"])
    if tracker["status"] == "active":
        disable(tracker, data.now())
    return Response(status_code=204)


ROUTES = [
    Route("/v3/a/{account_id}/trackers.json", list_trackers, methods=["GET"]),
    Route("/v3/a/{account_id}/trackers.json", create_tracker, methods=["POST"]),
    Route("/v3/a/{account_id}/trackers/{tracker_id}.json", get_tracker, methods=["GET"]),
    Route("/v3/a/{account_id}/trackers/{tracker_id}.json", update_tracker, methods=["PUT"]),
    Route("/v3/a/{account_id}/trackers/{tracker_id}.json", disable_tracker, methods=["DELETE"]),
]
