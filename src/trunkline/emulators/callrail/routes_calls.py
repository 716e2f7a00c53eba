"""Calls: the call log (offset or relative pagination), one call, its recording, placing an outbound
call and updating a call (tags, note, value, lead status, customer name, spam)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .body import flag, json_body, require, text
from .calls_model import blank_call, refresh_display
from .data import Dataset
from .dates import window, within
from .errors import invalid, not_found
from .interactions import update_interaction
from .listing import base_url, dataset, search, sort
from .paging import offset_page, relative_page
from .params import boolean, choice, requested_fields, time_zone, values
from .phones import us_ca_number
from .views import call_view

Entity = dict[str, Any]
SORTABLE = ("customer_name", "customer_phone_number", "duration", "start_time", "source", "customer_city",
            "customer_country", "landing_page_url", "device_type", "answered", "first_call", "lead_status")
SEARCHABLE = ("business_phone_number", "customer_name", "customer_phone_number", "note", "source",
              "tracking_phone_number")  # fmt: skip
_CALL_TYPES: dict[str, Callable[[Entity], bool]] = {
    "first_call": lambda call: call["first_call"], "missed": lambda call: call["call_type"] == "missed",
    "voicemails": lambda call: call["voicemail"], "inbound": lambda call: call["direction"] == "inbound",
    "outbound": lambda call: call["direction"] == "outbound",
}  # fmt: skip
_ANSWER_STATUSES: dict[str, Callable[[Entity], bool]] = {
    "answered": lambda call: bool(call["answered"]), "missed": lambda call: call["call_type"] == "missed",
    "voicemail": lambda call: call["voicemail"],
}  # fmt: skip
_LEAD_STATUSES = {"good_lead": "good_lead", "not_a_lead": "not_a_lead", "not_scored": None}


def visible_call(data: Dataset, call_id: str) -> Entity:
    """The call ``call_id`` unless it is unknown or marked spam (404)."""
    call = data.get("calls", call_id)
    if call is None or call["_spam"]:
        raise not_found("Call")
    return call


def _filtered(data: Dataset, request: Request) -> list[Entity]:
    params = request.query_params
    zone_name = time_zone(params, data.user_time_zone)
    calls = within([call for call in data.calls if not call["_spam"]], window(params, data.now(), zone_name, "recent"))
    for name in ("company_id", "tracker_id", "direction"):
        if params.get(name):
            calls = [call for call in calls if call[name] == params[name]]
    call_type = choice(params, "call_type", tuple(_CALL_TYPES))
    answer_status = choice(params, "answer_status", tuple(_ANSWER_STATUSES))
    device = choice(params, "device", ("desktop", "mobile"))
    lead_status = choice(params, "lead_status", tuple(_LEAD_STATUSES))
    if call_type:
        calls = [call for call in calls if _CALL_TYPES[call_type](call)]
    if answer_status:
        calls = [call for call in calls if _ANSWER_STATUSES[answer_status](call)]
    if device:
        calls = [call for call in calls if call["device_type"] == device]
    if lead_status:
        calls = [call for call in calls if call["lead_status"] == _LEAD_STATUSES[lead_status]]
    wanted_tags = {name.lower() for name in values(params, "tags")}
    if wanted_tags:
        names = {tag["id"]: tag["name"].lower() for tag in data.tags}
        calls = [call for call in calls if wanted_tags & {names.get(tag_id) for tag_id in call["_tag_ids"]}]
    return list(sort(search(calls, request, SEARCHABLE), request, SORTABLE))


async def list_calls(request: Request) -> Response:
    """``GET /calls.json``: the last 7 days by default, newest first; offset pagination, or relative
    pagination with ``relative_pagination=true``."""
    data = dataset(request)
    calls = _filtered(data, request)
    fields, root = requested_fields(request.query_params), base_url(request)

    def render(call: Entity) -> Entity:
        return call_view(data, call, fields, root)

    if boolean(request.query_params, "relative_pagination"):
        path = f"/v3/a/{data.credentials.numeric_account_id}/calls.json"
        return relative_page(request, calls, "calls", render, path)
    return offset_page(request, calls, "calls", render)


async def get_call(request: Request) -> Response:
    """One call (``fields=`` adds optional fields)."""
    data = dataset(request)
    call = visible_call(data, request.path_params["call_id"])
    return JSONResponse(call_view(data, call, requested_fields(request.query_params), base_url(request)))


async def get_recording(request: Request) -> Response:
    """``{"url": ...}`` of a recorded call's MP3; 404 when the call has no recording."""
    data = dataset(request)
    call = visible_call(data, request.path_params["call_id"])
    if not call["_recorded"]:
        raise not_found("Recording")
    access_key = call["recording_player"].rsplit("=", 1)[-1]
    return JSONResponse({"url": f"https://app.callrail.com/calls/{call['id']}/recording/redirect?"
                                f"access_key={access_key}"})  # fmt: skip


def _number(body: Entity, field: str) -> str:
    number = us_ca_number(body[field])
    if number is None:
        raise invalid(field, "must be a valid 10 digit US or Canadian number")
    return number


def _caller(data: Dataset, caller_id: str) -> tuple[Entity, Entity | None]:
    """The company (and tracker, unless it is a verified Outbound Caller ID) owning ``caller_id``."""
    for tracker in data.trackers:
        if tracker["status"] == "active" and caller_id in tracker["tracking_numbers"]:
            return data.by_id["companies"][tracker["_company_id"]], tracker
    for company in data.companies:
        if company["status"] == "active" and any(item["phone_number"] == caller_id
                                                 for item in company["verified_caller_ids"]):
            return company, None
    raise invalid("caller_id", "must be an active tracking number or verified Outbound Caller ID of this account")


async def create_outbound_call(request: Request) -> Response:
    """``POST /calls.json``: ring ``business_phone_number`` from ``caller_id``, then bridge the customer
    → 201 and the new outbound call (not yet answered)."""
    data = dataset(request)
    body = await json_body(request)
    require(body, "caller_id", "customer_phone_number", "business_phone_number")
    caller_id, customer, business = (_number(body, field) for field in
                                     ("caller_id", "customer_phone_number", "business_phone_number"))  # fmt: skip
    company, tracker = _caller(data, caller_id)
    flag(body, "recording_enabled")  # the optional settings are validated; nothing is dialled
    for field in ("outbound_greeting_recording_url", "outbound_greeting_text"):
        text(body, field)
    agent = None
    if body.get("agent_id") is not None:
        agent = data.get("users", str(body["agent_id"]))
        if agent is None:
            raise invalid("agent_id", "no such user")
    prior = sum(1 for call in data.calls
                if call["company_id"] == company["id"] and call["customer_phone_number"] == customer)  # fmt: skip
    call = blank_call(data.fake, company, data.now(), customer)
    call.update({
        "direction": "outbound", "business_phone_number": business, "tracking_phone_number": caller_id,
        "tracker_id": tracker["id"] if tracker else None, "call_type": "in_progress", "first_call": prior == 0,
        "prior_calls": prior, "total_calls": prior + 1, "person_id": data.person_id(company["id"], customer),
        "agent_email": agent["email"] if agent else None, "source": "Outbound", "medium": "direct",
    })  # fmt: skip
    refresh_display(call)
    data.add("calls", call, newest_first=True)
    return JSONResponse(call_view(data, call, (), base_url(request)), status_code=201)


async def update_call(request: Request) -> Response:
    """``PUT /calls/{id}.json`` → 200 and the call (see ``interactions``)."""
    data = dataset(request)
    call = visible_call(data, request.path_params["call_id"])
    update_interaction(data, call, await json_body(request), is_call=True)
    return JSONResponse(call_view(data, call, requested_fields(request.query_params), base_url(request)))


ROUTES = [
    Route("/v3/a/{account_id}/calls.json", list_calls, methods=["GET"]),
    Route("/v3/a/{account_id}/calls.json", create_outbound_call, methods=["POST"]),
    Route("/v3/a/{account_id}/calls/{call_id}.json", get_call, methods=["GET"]),
    Route("/v3/a/{account_id}/calls/{call_id}.json", update_call, methods=["PUT"]),
    Route("/v3/a/{account_id}/calls/{call_id}/recording.json", get_recording, methods=["GET"]),
]
