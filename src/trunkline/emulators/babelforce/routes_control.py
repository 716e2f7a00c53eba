"""Test controls under ``/_emulator/`` (no authentication): faults, token expiry, request log, health,
and dialling a campaign's hopper."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import hopper
from .control import EmulatorControl

# Terminal DialStatus values a dial may end with.
DIAL_OUTCOMES = ("no_answer", "busy", "answering_machine", "voicemail", "disconnected_number", "not_interested",
                 "callback", "sale", "do_not_call", "dispo", "not_viable")


def _control(request: Request) -> EmulatorControl:
    return request.app.state.control


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    parsed = json.loads(body)
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a JSON object")
    return parsed


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def add_fault(request: Request) -> Response:
    """Queue a fault: ``{"status", "count", "retry_after", "path_prefix", "delay"}``."""
    try:
        spec = await _json_object(request)
        fault = _control(request).add_fault(
            status=None if spec.get("status") is None else int(spec["status"]),
            count=int(spec.get("count", 1)),
            retry_after=None if spec.get("retry_after") is None else float(spec["retry_after"]),
            path_prefix=spec.get("path_prefix"),
            delay=float(spec.get("delay", 0)),
        )
    except (ValueError, TypeError) as error:
        return _bad(str(error))
    return JSONResponse({"fault": vars(fault)}, status_code=201)


async def faults(request: Request) -> Response:
    """List pending faults (GET) or drop them all (DELETE)."""
    if request.method == "DELETE":
        _control(request).clear_faults()
    return JSONResponse({"faults": _control(request).faults()})


async def expire_tokens(request: Request) -> Response:
    """Invalidate every issued access token; ``{"refresh_tokens": true}`` drops refresh tokens too."""
    try:
        spec = await _json_object(request)
    except ValueError as error:
        return _bad(str(error))
    return JSONResponse({"expired": _control(request).expire_tokens(bool(spec.get("refresh_tokens", False)))})


async def requests_log(request: Request) -> Response:
    """The request log, oldest first (GET), or empty it (DELETE)."""
    if request.method == "DELETE":
        _control(request).clear_requests()
    return JSONResponse({"requests": _control(request).requests()})


async def dial(request: Request) -> Response:
    """Dial the first ``count`` leads of a campaign's hopper: ``{"count": 5, "status": "no_answer"}``.
    They end with ``status`` (default ``no_answer``), leave the hopper, and the hopper is refilled."""
    data = request.app.state.data
    campaign_id = request.path_params["campaign_id"]
    if campaign_id not in data.by_id["outbound_campaigns"]:
        return JSONResponse({"error": f"outbound campaign '{campaign_id}' not found"}, status_code=404)
    try:
        spec = await _json_object(request)
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


ROUTES = [
    Route("/_emulator/faults", add_fault, methods=["POST"]),
    Route("/_emulator/faults", faults, methods=["GET", "DELETE"]),
    Route("/_emulator/tokens/expire", expire_tokens, methods=["POST"]),
    Route("/_emulator/requests", requests_log, methods=["GET", "DELETE"]),
    Route("/_emulator/health", health, methods=["GET"]),
    Route("/_emulator/dialer/{campaign_id}/dial", dial, methods=["POST"]),
]
