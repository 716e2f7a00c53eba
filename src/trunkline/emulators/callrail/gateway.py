"""ASGI middleware in front of every route: injects pending faults and random faults of the fault
profile, checks the API key and the rate limits on ``/v3/`` paths, refuses GET bodies (406), and logs
each request (never the key).

Control routes under ``/_emulator/`` bypass all of it.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ..common.answer_log import AnswerLog
from ..common.control_routes import CONTROL_PREFIX
from ..common.fault_serving import serve_fault
from ..common.faults import Fault, FaultQueue, retry_after_value
from ..common.random_faults import DrawnFault, RandomFaults
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


def fault_error(status: int, headers: dict[str, str] | None = None) -> ASGIApp:
    """The ``{"error": …}`` body of an injected fault status."""
    return error_response(status, _FAULT_MESSAGES.get(status, f"Injected fault {status}"), headers=headers)


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

    def __init__(self, app: ASGIApp, faults: FaultQueue, random_faults: RandomFaults, log: RequestLog,
                 credentials: Credentials, limiter: RateLimiter) -> None:  # fmt: skip
        self.app = app
        self.faults = faults
        self.random_faults = random_faults
        self.log = log
        self.credentials = credentials
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        drawn: DrawnFault | None = None
        query = scope.get("query_string", b"").decode("latin-1").replace(self.credentials.api_key, "[redacted]")
        answer = AnswerLog(send, lambda status: self.log.record(
            scope["method"], path, query, status, **({"fault": drawn.kind} if drawn else {})))

        try:
            fault = self.faults.take(path)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                await self._fault_response(fault)(scope, receive, answer.send)
                return
            drawn = self.random_faults.draw(scope["method"], path)
            if drawn is None:
                await self._screened(scope, receive, answer.send)
            else:
                await serve_fault(drawn, self._screened, scope, receive, answer.send, fault_error)
        finally:
            answer.close(None if drawn else 500)  # None: the fault sent no answer

    async def _screened(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route, unless the key, the rate limits or a GET body refuse the request first."""
        refused = self._refusal(scope, scope.get("path", ""))
        await (refused or self.app)(scope, receive, send)

    def _refusal(self, scope: Scope, path: str) -> ASGIApp | None:
        """The response that replaces the route (401, 429 or 406), or None to let it run."""
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
        return fault_error(fault.status, headers)
