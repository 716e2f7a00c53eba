"""Error bodies in the three formats the Babelforce APIs use, and the exception routes raise.

* v2 (and auth, rate limits): ``{"success": false, "code": "NOT_FOUND", "message": "..."}``
* v3 task automation (and its ``/api/v2/tasks`` alias): ``{"error_message": "...", "error_detail": "NOT_FOUND"}``
* SCIM (RFC 7644): ``{"schemas": [...Error], "status": "409", "scimType": "uniqueness", "detail": "..."}``
  (``scimType`` only for invalid values and conflicts)
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
VALIDATION_ERROR = "VALIDATION_ERROR"
V3_PREFIXES = ("/api/v3/", "/api/v2/tasks")
_SCIM_TYPES = {VALIDATION_ERROR: "invalidValue", "CONFLICT": "uniqueness"}

_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class ApiError(Exception):
    """Raised by a route to answer with an error status; rendered in the format of the route's API."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or code_for(status)


def code_for(status: int) -> str:
    """The error ``code`` for an HTTP status (``ERROR`` for statuses without a specific one)."""
    return _CODES.get(status, "ERROR")


def not_found(kind: str, identifier: str) -> ApiError:
    """The error for an unknown id."""
    return ApiError(404, f"{kind} '{identifier}' not found")


def v2_error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """A v2-style error response."""
    body = {"success": False, "code": code or code_for(status), "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def error_for_path(
    path: str, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An error response in the format of the API that ``path`` belongs to."""
    code = code or code_for(status)
    if path.startswith(V3_PREFIXES):
        return JSONResponse({"error_message": message, "error_detail": code}, status_code=status, headers=headers)
    if path.startswith("/auth/scim/"):
        body = {"schemas": [SCIM_ERROR_SCHEMA], "status": str(status)}
        if code in _SCIM_TYPES:
            body["scimType"] = _SCIM_TYPES[code]
        body["detail"] = message
        return JSONResponse(body, status_code=status, headers=headers, media_type="application/scim+json")
    return v2_error(status, message, code, headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for ``ApiError``."""
    assert isinstance(exc, ApiError)
    return error_for_path(request.url.path, exc.status, exc.message, exc.code)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for unknown routes (404) and wrong methods (405)."""
    assert isinstance(exc, HTTPException)
    message = "no such route" if exc.status_code == 404 else f"method {request.method} not allowed here"
    path = request.url.path
    return error_for_path(path, exc.status_code, f"{message}: {request.method} {path}", headers=exc.headers)
