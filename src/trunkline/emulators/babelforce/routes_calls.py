"""Call records: the detailed and simple reporting lists, the seed's ``/api/v2/calls`` alias, and
single calls."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .call_query import ROW_FILTERS, reporting_row, select_calls
from .listing import Endpoint, apply_filters, dataset, item_endpoint
from .paging import paginated


async def reporting(request: Request) -> Response:
    """``GET /api/v2/calls/reporting`` (and the ``/api/v2/calls`` alias): detailed calls, newest first."""
    return paginated(request, select_calls(dataset(request), request.query_params))


def simple_reporting(kind: str | None) -> Endpoint:
    """``GET /api/v2/calls/reporting/simple[/inbound|/outbound|/dialer]``: ``ReportingCall`` rows."""

    async def endpoint(request: Request) -> Response:
        data = dataset(request)
        calls = select_calls(data, request.query_params)
        if kind in ("inbound", "outbound"):
            calls = [call for call in calls if call["type"] == kind]
        elif kind == "dialer":
            calls = [call for call in calls if call["source"] == "dialer"]
        row_filters_given = any(name in request.query_params for name in ROW_FILTERS)
        if not row_filters_given:
            return paginated(request, calls, partial(reporting_row, data))
        rows = apply_filters([reporting_row(data, call) for call in calls], request.query_params, ROW_FILTERS)
        return paginated(request, rows)

    return endpoint


ROUTES = [
    Route("/api/v2/calls", reporting, methods=["GET"]),
    Route("/api/v2/calls/reporting", reporting, methods=["GET"]),
    Route("/api/v2/calls/reporting/simple", simple_reporting(None), methods=["GET"]),
    *(
        Route(f"/api/v2/calls/reporting/simple/{kind}", simple_reporting(kind), methods=["GET"])
        for kind in ("inbound", "outbound", "dialer")
    ),
    Route("/api/v2/calls/{id}", item_endpoint("calls", "call"), methods=["GET"]),
]
