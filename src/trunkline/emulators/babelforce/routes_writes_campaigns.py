"""Writes to outbound campaigns: create, update (partially) and attach or detach a lead list.

Besides the vendor's fields a body may name the list to work (``leadList: {id}`` or ``listId``) and,
as an emulator extension, the campaign's minimum hopper size ``hopperSize`` (default 20).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import hopper, outbound
from .data import Dataset
from .fields import Invalid, decimal, flag, json_object, mapping, one_of, phone, text, whole
from .listing import Entity, dataset
from .paging import item

LIST_ORDERS = ("DOWN", "UP", "UP RANK", "DOWN RANK")


def _campaign_fields(body: Entity, creating: bool) -> Entity:
    """The validated vendor fields of a campaign body (required ones only when ``creating``)."""
    fields = {
        "name": text(body, "name", creating),
        "active": flag(body, "active", creating),
        "displayNumber": phone(body, "displayNumber", creating),
        "testMode": flag(body, "testMode", creating),
        "listOrder": one_of(body, "listOrder", LIST_ORDERS, creating),
        "callRatio": decimal(body, "callRatio", 0, 4),
    }
    return {name: value for name, value in fields.items() if value is not None}


def _list_reference(data: Dataset, body: Entity) -> Entity | None:
    """The list named by ``leadList: {id}`` or ``listId`` (a 404 if unknown), or None."""
    reference = mapping(body, "leadList")
    if reference is not None:
        try:
            list_id = text(reference, "id", required=True)
        except Invalid as error:
            raise Invalid(f"leadList.{error.field}", error.problem) from None
    else:
        list_id = text(body, "listId")
    return None if list_id is None else outbound.find_list(data, list_id)


def _apply_dialer_settings(data: Dataset, campaign: Entity, lead_list: Entity | None, size: int | None) -> None:
    """Set the minimum hopper ``size`` and attach ``lead_list`` (each if given)."""
    campaign_hopper = data.hoppers.setdefault(campaign["id"], hopper.Hopper())
    if size is not None:
        campaign_hopper.size = size
    if lead_list is not None:
        outbound.attach_list(data, campaign, lead_list)


async def create_campaign(request: Request) -> Response:
    """``POST /api/v2/outbound/campaigns`` → 201 ``{item: OutboundCampaign}``."""
    data = dataset(request)
    body = await json_object(request)
    fields = _campaign_fields(body, creating=True)
    lead_list, size = _list_reference(data, body), whole(body, "hopperSize", minimum=1)
    campaign = data.add("outbound_campaigns", {"id": secrets.token_hex(16), **fields})
    campaign.setdefault("callRatio", 1.0)
    _apply_dialer_settings(data, campaign, lead_list, size)
    return item(campaign, 201)


async def update_campaign(request: Request) -> Response:
    """``PUT /api/v2/outbound/campaigns/{id}``: any of the create fields → 201 ``{item}`` (as declared)."""
    data = dataset(request)
    campaign = outbound.find_campaign(data, request.path_params["id"])
    body = await json_object(request)
    fields = _campaign_fields(body, creating=False)
    lead_list, size = _list_reference(data, body), whole(body, "hopperSize", minimum=1)
    campaign.update(fields)
    _apply_dialer_settings(data, campaign, lead_list, size)
    return item(campaign, 201)


async def set_list(request: Request) -> Response:
    """``PUT /api/v2/outbound/campaigns/{id}/list`` ``{listId}`` or ``…/list/{list_id}`` → 200 ``{item}``."""
    data = dataset(request)
    campaign = outbound.find_campaign(data, request.path_params["id"])
    list_id = request.path_params.get("list_id") or text(await json_object(request), "listId", required=True)
    outbound.attach_list(data, campaign, outbound.find_list(data, list_id))
    return item(campaign)


async def remove_list(request: Request) -> Response:
    """``DELETE /api/v2/outbound/campaigns/{id}/list``: the campaign stops working its list."""
    data = dataset(request)
    campaign = outbound.find_campaign(data, request.path_params["id"])
    outbound.detach_list(data, campaign)
    return item(campaign)


ROUTES = [
    Route("/api/v2/outbound/campaigns", create_campaign, methods=["POST"]),
    Route("/api/v2/outbound/campaigns/{id}", update_campaign, methods=["PUT"]),
    Route("/api/v2/outbound/campaigns/{id}/list", set_list, methods=["PUT"]),
    Route("/api/v2/outbound/campaigns/{id}/list/{list_id}", set_list, methods=["PUT"]),
    Route("/api/v2/outbound/campaigns/{id}/list", remove_list, methods=["DELETE"]),
]
