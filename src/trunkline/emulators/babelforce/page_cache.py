"""An opt-in cache of rendered list pages, so a benchmark measures the client rather than the emulator.

Rendering a page of 1,000 calls as JSON costs the emulator about 30 ms; a client that parses it
needs a fraction of that. With ``create_app(..., cached_paths=[...])`` a successful ``GET`` of one
of those paths is rendered once and then answered from its bytes, keyed by the path and the query
parameters in sorted order (``?max=1000&page=2`` and ``?page=2&max=1000`` share an entry).

The cache sits inside the gateway: authentication, rights, fault injection and the request log
still apply to every request. Any request that is not a ``GET`` or ``HEAD`` (a write, a control
call) empties it, so a cached page never outlives a change of the data. Only paths whose answer
depends on nothing but the query and the data may be listed (call reporting does; ``/api/v2/user``
does not). The cache holds at most ``max_bytes`` of bodies; the oldest pages leave first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class CachedPage:
    """A rendered answer: its headers and body."""

    headers: list[tuple[bytes, bytes]]
    body: bytes


class PageCache:
    """ASGI middleware answering repeated ``GET`` requests of ``paths`` from rendered bytes."""

    def __init__(self, app: ASGIApp, paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.max_bytes = max_bytes
        self._pages: dict[tuple[str, tuple[tuple[str, str], ...]], CachedPage] = {}
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in _READ_METHODS:
            self.clear()
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        query = tuple(sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)))
        key = (scope["path"], query)
        page = self._pages.get(key)
        if page is None:
            page = await self._render(scope, receive, send)
            if page is not None:
                self._keep(key, page)
            return
        await send({"type": "http.response.start", "status": 200, "headers": page.headers})
        await send({"type": "http.response.body", "body": page.body})

    def clear(self) -> None:
        """Forget every cached page."""
        self._pages.clear()
        self._bytes = 0

    async def _render(self, scope: Scope, receive: Receive, send: Send) -> CachedPage | None:
        """Pass the request on, recording the answer; a 200 comes back as a page to keep."""
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, recording_send)
        return CachedPage(headers, b"".join(chunks)) if status == 200 else None

    def _keep(self, key: tuple[str, tuple[tuple[str, str], ...]], page: CachedPage) -> None:
        if len(page.body) > self.max_bytes:
            return
        while self._pages and self._bytes + len(page.body) > self.max_bytes:
            oldest = next(iter(self._pages))
            self._bytes -= len(self._pages.pop(oldest).body)
        self._pages[key] = page
        self._bytes += len(page.body)
