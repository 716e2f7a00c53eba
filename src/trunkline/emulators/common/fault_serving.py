"""Carry out a drawn fault around one request (see ``fault_profile.KIND_ACTS`` for which kinds act).

``serve_fault`` gets the app that would serve the request normally and the emulator's own error
renderer, so an injected 429, 500 or 503 has the service's error body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .connection_drop import drop_connection
from .faults import retry_after_value
from .random_faults import DrawnFault

#: ``render(status, headers)``: the emulator's error response for an injected status.
ErrorRenderer = Callable[[int, dict[str, str] | None], ASGIApp]
_Handler = Callable[[DrawnFault, ASGIApp, Scope, Receive, Send, ErrorRenderer], Awaitable[None]]


async def _discard(message: Message) -> None:
    """A ``send`` that loses the answer: the request was carried out, its response never leaves."""


async def _too_many(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                    render: ErrorRenderer) -> None:
    await render(429, {"Retry-After": retry_after_value(fault.profile.retry_after)})(scope, receive, send)


async def _unavailable(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                       render: ErrorRenderer) -> None:
    await render(503, None)(scope, receive, send)


async def _failed_after_acting(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                               render: ErrorRenderer) -> None:
    await app(scope, receive, _discard)
    await render(500, None)(scope, receive, send)


async def _timeout(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                   render: ErrorRenderer) -> None:
    await app(scope, receive, _discard)
    await asyncio.sleep(fault.profile.hold)
    await drop_connection(scope, receive, reset=False)


async def _reset(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                 render: ErrorRenderer) -> None:
    await drop_connection(scope, receive, reset=True)


async def _slow(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
               render: ErrorRenderer) -> None:
    await asyncio.sleep(fault.profile.slow)
    await app(scope, receive, send)


async def _truncated(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                     render: ErrorRenderer) -> None:
    start: Message | None = None
    body = bytearray()

    async def collect(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, collect)
    if start is not None and body:  # the full Content-Length is announced, half of the body is sent
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": bytes(body[: len(body) // 2]), "more_body": True})
    await drop_connection(scope, receive, reset=False)  # an answer without a body is cut before its headers


_HANDLERS: dict[str, _Handler] = {
    "429": _too_many,
    "500": _failed_after_acting,
    "503": _unavailable,
    "timeout": _timeout,
    "reset": _reset,
    "slow": _slow,
    "truncated": _truncated,
}


async def serve_fault(fault: DrawnFault, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                      render: ErrorRenderer) -> None:
    """Serve one request through ``app`` with ``fault`` applied; ``render`` gives the emulator's error bodies."""
    await _HANDLERS[fault.kind](fault, app, scope, receive, send, render)
