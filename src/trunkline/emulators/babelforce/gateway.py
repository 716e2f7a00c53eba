"""ASGI middleware in front of every route: logs the request, injects pending faults and random faults
of the fault profile, then checks credentials and rights on protected paths (``/api/...``,
``/auth/scim/...``).

Control routes under ``/_emulator/`` bypass all of it.
"""

from __future__ import annotations

import asyncio
from functools import partial

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ..common.answer_log import AnswerLog
from ..common.control_routes import CONTROL_PREFIX
from ..common.fault_serving import serve_fault
from ..common.faults import Fault, retry_after_value
from ..common.random_faults import DrawnFault
from .auth import Authenticator, AuthResult, is_protected, may_access
from .control import EmulatorControl
from .errors import v2_error

_FAULT_MESSAGES = {
    429: "too many requests: rate limit exceeded",
    500: "internal server error",
    502: "bad gateway: upstream unreachable",
    503: "service temporarily unavailable",
    504: "gateway timeout",
}


def fault_error(status: int, headers: dict[str, str] | None = None) -> ASGIApp:
    """The v2 error body of an injected fault status."""
    return v2_error(status, _FAULT_MESSAGES.get(status, f"injected fault {status}"), headers=headers)


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
        drawn: DrawnFault | None = None
        result = self.authenticator.authenticate(Headers(scope=scope))
        query = scope.get("query_string", b"").decode("latin-1")
        answer = AnswerLog(send, lambda status: self.control.record(
            scope["method"], path, query, result.method, status, drawn.kind if drawn else None))
        try:
            fault = self.control.take_fault(path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    await self._fault_response(fault)(scope, receive, answer.send)
                    return
            drawn = self.control.random_faults.draw(scope["method"], path)
            guarded = partial(self._guarded, result)
            if drawn is None:
                await guarded(scope, receive, answer.send)
            else:
                await serve_fault(drawn, guarded, scope, receive, answer.send, fault_error)
        finally:
            answer.close(None if drawn else 500)  # None: the fault sent no answer

    async def _guarded(self, result: AuthResult, scope: Scope, receive: Receive, send: Send) -> None:
        """The route, behind authentication and rights on protected paths."""
        path = scope.get("path", "")
        if is_protected(path):
            if result.principal is None:
                headers = {"WWW-Authenticate": 'Bearer realm="babelforce"'}
                await v2_error(401, result.reason, headers=headers)(scope, receive, send)
                return
            if not may_access(result.principal, path):
                message = f"user {result.principal.username} lacks manager rights for {path}"
                await v2_error(403, message)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = result.principal
        await self.app(scope, receive, send)

    @staticmethod
    def _fault_response(fault: Fault) -> ASGIApp:
        assert fault.status is not None
        headers = {"Retry-After": retry_after_value(fault.retry_after)} if fault.retry_after is not None else None
        return fault_error(fault.status, headers)
