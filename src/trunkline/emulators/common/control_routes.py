"""Test-control routes every emulator serves without authentication: faults and the request log.

``POST /_emulator/faults`` queues a fault, ``GET``/``DELETE /_emulator/faults`` list or drop them;
``PUT``/``GET``/``DELETE /_emulator/fault-profile`` set, read or clear the random fault profile;
``GET``/``DELETE /_emulator/requests`` read or empty the request log.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .fault_profile import profile_from_mapping
from .faults import FaultQueue
from .random_faults import RandomFaults
from .request_log import RequestLog

CONTROL_PREFIX = "/_emulator/"


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (``{}`` when empty); raises ``ValueError`` otherwise."""
    body = await request.body()
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as error:
        raise ValueError(f"the body is not valid JSON: {error.msg}") from None
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a JSON object")
    return parsed


def _optional_float(spec: dict[str, Any], key: str) -> float | None:
    return None if spec.get(key) is None else float(spec[key])


def control_routes(faults: FaultQueue, log: RequestLog, random_faults: RandomFaults) -> list[Route]:
    """The fault, fault-profile and request-log routes over ``faults``, ``random_faults`` and ``log``."""

    async def add_fault(request: Request) -> Response:
        """Queue a fault: ``{"status", "count", "retry_after", "path_prefix", "delay"}``."""
        try:
            spec = await read_json_object(request)
            fault = faults.add(
                status=None if spec.get("status") is None else int(spec["status"]),
                count=int(spec.get("count", 1)),
                retry_after=_optional_float(spec, "retry_after"),
                path_prefix=spec.get("path_prefix"),
                delay=float(spec.get("delay", 0)),
            )
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"fault": vars(fault)}, status_code=201)

    async def fault_list(request: Request) -> Response:
        """List pending faults (GET) or drop them all (DELETE)."""
        if request.method == "DELETE":
            faults.clear()
        return JSONResponse({"faults": faults.pending()})

    async def fault_profile(request: Request) -> Response:
        """Set the random fault profile (PUT, a ``FaultProfile`` as JSON), read it (GET) or clear it (DELETE)."""
        if request.method == "PUT":
            try:
                random_faults.set(profile_from_mapping(await read_json_object(request)))
            except (ValueError, TypeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        elif request.method == "DELETE":
            random_faults.set(None)
        return JSONResponse(random_faults.status())

    async def requests_log(request: Request) -> Response:
        """The request log, oldest first (GET), or empty it (DELETE)."""
        if request.method == "DELETE":
            log.clear()
        return JSONResponse({"requests": log.entries()})

    return [
        Route(f"{CONTROL_PREFIX}faults", add_fault, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}faults", fault_list, methods=["GET", "DELETE"]),
        Route(f"{CONTROL_PREFIX}fault-profile", fault_profile, methods=["PUT", "GET", "DELETE"]),
        Route(f"{CONTROL_PREFIX}requests", requests_log, methods=["GET", "DELETE"]),
    ]
