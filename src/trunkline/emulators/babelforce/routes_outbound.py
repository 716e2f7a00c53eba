"""The outbound dialer: campaigns and lead lists (un-paged lists) and a list's leads (paginated)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import not_found
from .listing import apply_filters, contains, dataset, equals, item_endpoint
from .paging import paginated, unpaged

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


ROUTES = [
    Route("/api/v2/outbound/campaigns", campaigns, methods=["GET"]),
    Route("/api/v2/outbound/campaigns/{id}", item_endpoint("outbound_campaigns", "outbound campaign"), methods=["GET"]),
    Route("/api/v2/outbound/lists", lists, methods=["GET"]),
    Route("/api/v2/outbound/lists/{id}", item_endpoint("outbound_lists", "outbound list"), methods=["GET"]),
    Route("/api/v2/outbound/lists/{id}/leads", leads, methods=["GET"]),
]
