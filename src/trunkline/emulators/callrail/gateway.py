"""ASGI middleware in front of every route: injects pending faults, checks the API key and the rate
limits on ``/v3/`` paths, refuses GET bodies (406), and logs each request (never the key).

Control routes under ``/_emulator/`` bypass all of it.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..common.control_routes import CONTROL_PREFIX
from ..common.faults import Fault, FaultQueue, retry_after_value
from ..common.request_log import RequestLog
from .auth import refusal
from .credentials import Credentials
from .errors import error_response
from .ratelimit import GENERAL, OUTBOUND_CALL, SMS, RateLimiter

API_PREFIX = "/v3/"
GET_WITH_BODY = "GET parameters must be sent in the query string, not in a request body"
_FAULT_MESSAGES = {
    429: "Too many requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "The CallRail API is temporarily offline for maintenance, or the server is overloaded",
    504: "Gateway Timeout",
}
_AUTH_CHALLENGE = {"WWW-Authenticate": 'Token realm="Application"'}


def request_kinds(method: str, path: str) -> tuple[str, ...]:
    """The rate-limit kinds a request counts against: every request is general; sending a text or
    placing an outbound call also counts against its own limit."""
    if method == "POST" and path.endswith("/text-messages.json"):
        return GENERAL, SMS
    if method == "POST" and path.endswith("/calls.json"):
        return GENERAL, OUTBOUND_CALL
    return (GENERAL,)


class Gateway:
    """Faults, authentication, rate limiting and the request log for one emulator app."""

    def __init__(self, app: ASGIApp, faults: FaultQueue, log: RequestLog, credentials: Credentials,
                 limiter: RateLimiter) -> None:  # fmt: skip
        self.app = app
        self.faults = faults
        self.log = log
        self.credentials = credentials
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        statuses: list[int] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        try:
            refused = await self._screen(scope, path)
            await (refused or self.app)(scope, receive, recording_send)
        finally:
            query = scope.get("query_string", b"").decode("latin-1").replace(self.credentials.api_key, "[redacted]")
            self.log.record(scope["method"], path, query, statuses[0] if statuses else 500)

    async def _screen(self, scope: Scope, path: str) -> ASGIApp | None:
        """The response that replaces the route (a fault, 401, 429 or 406), or None to let it run."""
        fault = self.faults.take(path)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                return self._fault_response(fault)
        if not path.startswith(API_PREFIX):
            return None
        headers = Headers(scope=scope)
        reason = refusal(headers.get("authorization"), self.credentials.api_key)
        if reason is not None:
            return error_response(401, reason, headers=_AUTH_CHALLENGE)
        limited = self.limiter.admit(self.credentials.account_id, request_kinds(scope["method"], path))
        if limited is not None:
            return error_response(429, limited.message, headers={"Retry-After": str(limited.retry_after)})
        if scope["method"] == "GET" and int(headers.get("content-length") or 0) > 0:
            return error_response(406, GET_WITH_BODY)
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> ASGIApp:
        assert fault.status is not None
        headers = {"Retry-After": retry_after_value(fault.retry_after)} if fault.retry_after is not None else None
        return error_response(fault.status, _FAULT_MESSAGES.get(fault.status, f"Injected fault {fault.status}"),
                              headers=headers)  # fmt: skip
