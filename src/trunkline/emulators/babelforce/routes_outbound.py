"""The outbound dialer: campaigns and lead lists (un-paged lists), a list's leads (paginated), one
lead, a campaign's list and its hopper."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import hopper, outbound
from .errors import not_found
from .listing import apply_filters, contains, dataset, equals, item_endpoint
from .paging import item, paginated, unpaged

LEAD_FILTERS = {"status": equals("status"), "uid": equals("uid"), "number": contains("number")}


async def campaigns(request: Request) -> Response:
    """``GET /api/v2/outbound/campaigns``: every campaign, un-paged."""
    return unpaged(dataset(request).outbound_campaigns)


async def lists(request: Request) -> Response:
    """``GET /api/v2/outbound/lists``: every lead list, un-paged."""
    return unpaged(dataset(request).outbound_lists)


async def leads(request: Request) -> Response:
    """``GET /api/v2/outbound/lists/{id}/leads``: a list's leads, paginated, filterable by ``status``."""
    list_id = request.path_params["id"]
    data = dataset(request)
    if list_id not in data.leads_by_list:
        raise not_found("outbound list", list_id)
    return paginated(request, apply_filters(data.leads_by_list[list_id], request.query_params, LEAD_FILTERS))


async def lead(request: Request) -> Response:
    """``GET /api/v2/outbound/lists/{id}/leads/{lead_id}``: one lead of a list."""
    return item(outbound.find_lead(dataset(request), request.path_params["id"], request.path_params["lead_id"]))


async def campaign_list(request: Request) -> Response:
    """``GET /api/v2/outbound/campaigns/{id}/list``: the list the campaign works (404 if none)."""
    data = dataset(request)
    campaign = outbound.find_campaign(data, request.path_params["id"])
    list_id = hopper.list_of(data, campaign["id"])
    if list_id is None:
        raise not_found("lead list of outbound campaign", campaign["id"])
    return item(data.by_id["outbound_lists"][list_id])


async def campaign_hopper(request: Request) -> Response:
    """``GET /api/v2/outbound/campaigns/{id}/hopper``: the leads loaded to be dialled next, in order."""
    data = dataset(request)
    campaign = outbound.find_campaign(data, request.path_params["id"])
    return unpaged(hopper.items(data, campaign["id"]))


ROUTES = [
    Route("/api/v2/outbound/campaigns", campaigns, methods=["GET"]),
    Route("/api/v2/outbound/campaigns/{id}", item_endpoint("outbound_campaigns", "outbound campaign"), methods=["GET"]),
    Route("/api/v2/outbound/lists", lists, methods=["GET"]),
    Route("/api/v2/outbound/lists/{id}", item_endpoint("outbound_lists", "outbound list"), methods=["GET"]),
    Route("/api/v2/outbound/lists/{id}/leads", leads, methods=["GET"]),
    Route("/api/v2/outbound/lists/{id}/leads/{lead_id}", lead, methods=["GET"]),
    Route("/api/v2/outbound/campaigns/{id}/list", campaign_list, methods=["GET"]),
    Route("/api/v2/outbound/campaigns/{id}/hopper", campaign_hopper, methods=["GET"]),
]
