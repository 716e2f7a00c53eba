"""CallRail's error bodies (a single ``{"error": "..."}`` string) and the exception routes raise."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PERMISSION_DENIED = "You do not have permission to perform the requested action"


class ApiError(Exception):
    """Raised by a route to answer ``status`` with ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The JSON error response CallRail sends."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def not_found(kind: str) -> ApiError:
    """The 404 for an unknown id of ``kind`` (``Call``, ``Company``, …)."""
    return ApiError(404, f"{kind} not found")


def missing(field: str) -> ApiError:
    """The 400 for a required body field that is absent or blank."""
    return ApiError(400, f"Missing required parameter: {field}")


def invalid(field: str, reason: str) -> ApiError:
    """The 400 for a body field or query parameter with a bad value."""
    return ApiError(400, f"Invalid {field}: {reason}")


async def handle_api_error(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for ``ApiError``."""
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for unknown routes (404) and wrong methods (405)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"Not Found: no such endpoint {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"Method Not Allowed: {request.method} is not supported by {request.url.path}"
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message, exc.headers)
