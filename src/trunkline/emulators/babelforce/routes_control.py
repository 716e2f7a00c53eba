"""Test controls under ``/_emulator/`` (no authentication): the shared fault, fault-profile and
request-log routes, token expiry, health, and dialling a campaign's hopper."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..common.control_routes import CONTROL_PREFIX, control_routes, read_json_object
from . import hopper
from .control import EmulatorControl

# Terminal DialStatus values a dial may end with.
DIAL_OUTCOMES = ("no_answer", "busy", "answering_machine", "voicemail", "disconnected_number", "not_interested",
                 "callback", "sale", "do_not_call", "dispo", "not_viable")


def _control(request: Request) -> EmulatorControl:
    return request.app.state.control


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def expire_tokens(request: Request) -> Response:
    """Invalidate every issued access token; ``{"refresh_tokens": true}`` drops refresh tokens too."""
    try:
        spec = await read_json_object(request)
    except ValueError as error:
        return _bad(str(error))
    return JSONResponse({"expired": _control(request).expire_tokens(bool(spec.get("refresh_tokens", False)))})


async def dial(request: Request) -> Response:
    """Dial the first ``count`` leads of a campaign's hopper: ``{"count": 5, "status": "no_answer"}``.
    They end with ``status`` (default ``no_answer``), leave the hopper, and the hopper is refilled."""
    data = request.app.state.data
    campaign_id = request.path_params["campaign_id"]
    if campaign_id not in data.by_id["outbound_campaigns"]:
        return JSONResponse({"error": f"outbound campaign '{campaign_id}' not found"}, status_code=404)
    try:
        spec = await read_json_object(request)
        count = spec.get("count", 1)
        status = spec.get("status", "no_answer")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
        if status not in DIAL_OUTCOMES:
            raise ValueError(f"status must be one of {', '.join(DIAL_OUTCOMES)}, got {status!r}")
    except ValueError as error:
        return _bad(str(error))
    dialled = hopper.dial(data, campaign_id, count, status, data.timestamp())
    return JSONResponse({"dialled": dialled, "hopper": hopper.items(data, campaign_id)})


async def health(request: Request) -> Response:
    """Liveness plus what the emulator serves."""
    data = request.app.state.data
    return JSONResponse({"status": "ok", "service": "babelforce", "seed": data.seed, "size": data.size,
                         "now": data.now.strftime("%Y-%m-%dT%H:%M:%SZ")})  # fmt: skip


def routes(control: EmulatorControl) -> list[Route]:
    """Every control route, the shared ones over ``control``'s faults and request log included."""
    return [
        *control_routes(control.fault_queue, control.log, control.random_faults),
        Route(f"{CONTROL_PREFIX}tokens/expire", expire_tokens, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}health", health, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}dialer/{{campaign_id}}/dial", dial, methods=["POST"]),
    ]
