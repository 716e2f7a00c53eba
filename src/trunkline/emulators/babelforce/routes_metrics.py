"""``/api/v2/metrics/...``: metric ids, definitions and values (``MetricResponse``)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import ApiError, not_found
from .listing import dataset
from .metrics import ALIASES, METRICS, MetricQuery
from .paging import item, unpaged
from .params import boolean, first, time_value
from .timeutil import TIME_RANGE_NAMES, iso, named_range

_DAY = 86_400
DEFAULT_RANGE = "LAST_24_HOURS"


def _query(request: Request, now: int) -> MetricQuery:
    """Resolve the time window (``from``/``to``, else ``timeRange``, else the last 24 hours) and scope."""
    params = request.query_params
    start_given = first(params, ("from", "startDate"))
    end_given = first(params, ("to", "endDate"))
    range_name: str | None = None
    if start_given or end_given:
        end = time_value(*end_given) if end_given else now
        start = time_value(*start_given) if start_given else end - _DAY
    else:
        range_name = params.get("timeRange") or DEFAULT_RANGE
        if range_name not in TIME_RANGE_NAMES:
            raise ApiError(400, f"timeRange must be one of {', '.join(TIME_RANGE_NAMES)}, got '{range_name}'")
        start, end = named_range(range_name, now)
    if start >= end:
        raise ApiError(400, f"the time range is empty: from {iso(start)} is not before to {iso(end)}")
    enabled = params.get("enabled")
    return MetricQuery(
        start=start,
        end=end,
        range_name=range_name,
        agent_id=params.get("agentId") or None,
        queue_id=params.get("queueId") or None,
        enabled=boolean("enabled", enabled) if enabled not in (None, "") else None,
    )


async def metrics(request: Request) -> Response:
    """Dispatch ``ids``, ``describe``, ``{id}/describe`` and ``{id}`` (seed aliases included)."""
    path = request.path_params["path"]
    if path == "ids":
        return unpaged(list(METRICS))
    if path == "describe":
        return unpaged([metric.definition() for metric in METRICS.values()])
    describe = path.endswith("/describe")
    metric_id = ALIASES.get(path.removesuffix("/describe"), path.removesuffix("/describe"))
    metric = METRICS.get(metric_id)
    if metric is None:
        raise not_found("metric", metric_id)
    if describe:
        return item(metric.definition())
    data = dataset(request)
    query = _query(request, data.now_epoch)
    return JSONResponse(
        {
            "id": metric.id,
            "type": metric.value_type,
            "metric": {"value": metric.compute(data, query)},
            "request": {
                "id": metric.id,
                "runtime": iso(time.time()),
                "timeRange": {
                    "from": iso(query.start),
                    "to": iso(query.end),
                    "value": query.range_name,
                    "duration": query.end - query.start,
                },
            },
            "success": True,
        }
    )


ROUTES = [Route("/api/v2/metrics/{path:path}", metrics, methods=["GET"])]
