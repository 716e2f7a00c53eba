"""Writes to lead lists: create a list, add leads (one, or a batch — the bulk-loading extension),
update and delete a lead."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import outbound
from .fields import Invalid, json_body, json_object, text
from .leads import batch_fields, batch_of, lead_fields
from .listing import dataset
from .paging import item, unpaged


async def create_list(request: Request) -> Response:
    """``POST /api/v2/outbound/lists`` ``{name}`` → 200 ``{item: LeadList}``; names are unique."""
    data = dataset(request)
    name = text(await json_object(request), "name", required=True)
    if any(existing["name"].lower() == name.lower() for existing in data.outbound_lists):
        raise Invalid("name", f"'{name}' is already used by another outbound list")
    return item(outbound.create_list(data, name))


async def add_leads(request: Request) -> Response:
    """``POST /api/v2/outbound/lists/{id}/leads``: one lead → 200 ``{item}``; a JSON array or
    ``{"leads": [...]}`` → 200 ``{items}``, all or nothing."""
    data = dataset(request)
    lead_list = outbound.find_list(data, request.path_params["id"])
    body = await json_body(request)
    taken = outbound.uids(data, lead_list["id"])
    leads = batch_of(body)
    if leads is not None:
        return unpaged(outbound.add_leads(data, lead_list, batch_fields(leads, taken)))
    fields = lead_fields(body, creating=True)
    if fields["uid"] in taken:
        raise Invalid("uid", f"'{fields['uid']}' is already used in this list")
    [lead] = outbound.add_leads(data, lead_list, [fields])
    return item(lead)


async def update_lead(request: Request) -> Response:
    """``PUT /api/v2/outbound/lists/{id}/leads/{lead_id}``: change ``uid``, numbers, ``rank`` and
    ``data`` (a null deletes the key). A lead in the hopper answers 200 but keeps its values."""
    data = dataset(request)
    lead = outbound.find_lead(data, request.path_params["id"], request.path_params["lead_id"])
    fields = lead_fields(await json_object(request), creating=False)
    uid = fields.get("uid")
    if uid is not None and uid != lead["uid"] and uid in outbound.uids(data, lead["listId"]):
        raise Invalid("uid", f"'{uid}' is already used in this list")
    outbound.update_lead(data, lead, fields)
    return item(lead)


async def delete_lead(request: Request) -> Response:
    """``DELETE /api/v2/outbound/lists/{id}/leads/{lead_id}`` → 200 ``{}``."""
    data = dataset(request)
    outbound.delete_lead(data, outbound.find_lead(data, request.path_params["id"], request.path_params["lead_id"]))
    return JSONResponse({})


ROUTES = [
    Route("/api/v2/outbound/lists", create_list, methods=["POST"]),
    Route("/api/v2/outbound/lists/{id}/leads", add_leads, methods=["POST"]),
    Route("/api/v2/outbound/lists/{id}/leads/{lead_id}", update_lead, methods=["PUT"]),
    Route("/api/v2/outbound/lists/{id}/leads/{lead_id}", delete_lead, methods=["DELETE"]),
]
