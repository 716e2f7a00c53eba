"""Dropping a connection from inside an ASGI app, which ASGI itself cannot do.

An app can only answer: a server turns an exception or a missing answer into a 500. To emulate a
reset or a request that never gets an answer, the emulator server (``emulators.server``) runs uvicorn
with :class:`DroppableHTTPProtocol`, which puts a ``drop(reset)`` callable into each request's
``scope["extensions"]`` under :data:`DROP_EXTENSION`. :func:`drop_connection` calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.auto import AutoHTTPProtocol

DROP_EXTENSION = "trunkline.drop_connection"
_NOTICE_SECONDS = 1.0


def _dropper(transport: asyncio.Transport) -> Callable[[bool], None]:
    def drop(reset: bool) -> None:
        """Close the connection now: a TCP reset (RST) if ``reset``, else a plain close after what was written."""
        if transport.is_closing():
            return
        sock = transport.get_extra_info("socket")
        if reset and sock is not None:
            with contextlib.suppress(OSError):  # linger 0: close() sends RST instead of FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    return drop


class DroppableHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP/1.1 protocol, with the :data:`DROP_EXTENSION` in every request's scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the app so each request on this connection can drop it."""
        super().connection_made(transport)
        app: ASGIApp = self.app
        drop = _dropper(transport)

        async def with_drop(scope: Scope, receive: Receive, send: Send) -> None:
            extensions = scope.get("extensions") or {}
            scope["extensions"] = {**extensions, DROP_EXTENSION: drop}
            await app(scope, receive, send)

        self.app = with_drop


async def drop_connection(scope: Scope, receive: Receive, *, reset: bool) -> None:
    """Drop the request's connection without (the rest of) an answer, then wait until the server has
    noticed, so it does not answer in the app's place. Needs the emulator server (``RuntimeError``)."""
    drop = (scope.get("extensions") or {}).get(DROP_EXTENSION)
    if drop is None:
        raise RuntimeError("dropping a connection needs the emulator server (trunkline.emulators.server)")
    drop(reset)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_NOTICE_SECONDS):
            while (await receive())["type"] != "http.disconnect":
                continue
