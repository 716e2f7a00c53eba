"""ASGI middleware in front of every route: logs the request, injects pending faults, then checks
credentials and rights on protected paths (``/api/...``, ``/auth/scim/...``).

Control routes under ``/_emulator/`` bypass all of it.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import Authenticator, is_protected, may_access
from .control import EmulatorControl, Fault
from .errors import v2_error

CONTROL_PREFIX = "/_emulator/"

_FAULT_MESSAGES = {
    429: "too many requests: rate limit exceeded",
    500: "internal server error",
    502: "bad gateway: upstream unreachable",
    503: "service temporarily unavailable",
    504: "gateway timeout",
}


def _retry_after(seconds: float) -> str:
    """Whole seconds as HTTP wants them; fractions kept as a decimal so tests can retry quickly."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


class Gateway:
    """Logging, fault injection, authentication and authorization for one emulator app."""

    def __init__(self, app: ASGIApp, control: EmulatorControl, authenticator: Authenticator) -> None:
        self.app = app
        self.control = control
        self.authenticator = authenticator

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

        result = self.authenticator.authenticate(Headers(scope=scope))
        try:
            fault = self.control.take_fault(path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    await self._fault_response(fault)(scope, receive, recording_send)
                    return
            if is_protected(path):
                if result.principal is None:
                    headers = {"WWW-Authenticate": 'Bearer realm="babelforce"'}
                    await v2_error(401, result.reason, headers=headers)(scope, receive, recording_send)
                    return
                if not may_access(result.principal, path):
                    message = f"user {result.principal.username} lacks manager rights for {path}"
                    await v2_error(403, message)(scope, receive, recording_send)
                    return
                scope.setdefault("state", {})["principal"] = result.principal
            await self.app(scope, receive, recording_send)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            self.control.record(scope["method"], path, query, result.method, statuses[0] if statuses else 500)

    @staticmethod
    def _fault_response(fault: Fault) -> ASGIApp:
        assert fault.status is not None
        headers = {"Retry-After": _retry_after(fault.retry_after)} if fault.retry_after is not None else None
        message = _FAULT_MESSAGES.get(fault.status, f"injected fault {fault.status}")
        return v2_error(fault.status, message, headers=headers)
