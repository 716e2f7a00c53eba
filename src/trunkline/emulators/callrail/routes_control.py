"""Test controls under ``/_emulator/`` (no authentication): the shared fault, fault-profile and
request-log routes, rate-limit usage and reset, and health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common.control_routes import CONTROL_PREFIX, control_routes
from ..common.faults import FaultQueue
from ..common.random_faults import RandomFaults
from ..common.request_log import RequestLog
from .ratelimit import RateLimiter
from .timefmt import utc_stamp


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


async def rate_limits(request: Request) -> Response:
    """The configured limits and the requests counted in the current hour and day, per kind."""
    limiter = _limiter(request)
    return JSONResponse({"limits": vars(limiter.limits), "usage": limiter.usage()})


async def reset_rate_limits(request: Request) -> Response:
    """Forget every counted request: all limits are free again."""
    _limiter(request).reset()
    return JSONResponse({"reset": True})


async def health(request: Request) -> Response:
    """Liveness plus what the emulator serves."""
    data = request.app.state.data
    return JSONResponse({"status": "ok", "service": "callrail", "seed": data.seed, "now": utc_stamp(data.now()),
                         "account_id": data.account["id"]})  # fmt: skip


def routes(faults: FaultQueue, log: RequestLog, random_faults: RandomFaults) -> list[Route]:
    """Every control route, the shared ones over ``faults``, ``log`` and ``random_faults`` included."""
    return [
        *control_routes(faults, log, random_faults),
        Route(f"{CONTROL_PREFIX}rate-limits", rate_limits, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}rate-limits/reset", reset_rate_limits, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}health", health, methods=["GET"]),
    ]
