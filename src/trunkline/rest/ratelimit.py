"""Client-side rate limits: wait before a request instead of being refused with a 429.

Each limit allows ``requests`` requests per sliding window of ``per_seconds`` seconds, counting only
the requests it applies to (by method and URL text). A request holds a place in every applicable limit
from the moment it is sent until ``per_seconds`` after its answer came back: the server counts it on
arrival, somewhere in between, so however many requests are in flight at once (a destination's
``concurrency``) and however late one of them reaches the server, the server never sees more requests
than the limit in any window. A request's retries (after a 429 or a 5xx) are sent within its place, so
a retried request counts once here though the server saw it more than once. A small safety margin (1%
of the window, at least 20 ms) covers clock granularity. Limits hold for one run in one process, shared
by every request the run sends.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from trunkline.core.destination_config import RateLimit


class RateLimiter:
    """Sliding-window limits for one credential's requests. Safe for concurrent tasks on one event loop."""

    def __init__(self, limits: list[RateLimit]) -> None:
        self.limits = limits
        self._clock = time.monotonic
        self._answered: dict[str, deque[float]] = {limit.name: deque() for limit in limits}
        self._open: dict[str, int] = {limit.name: 0 for limit in limits}
        self._changed = asyncio.Event()

    @asynccontextmanager
    async def slot(self, method: str, url: str) -> AsyncIterator[None]:
        """Wait until a ``method`` request to ``url`` is within every limit, and hold its place while it
        is sent and answered (``async with limiter.slot(method, url): await client.request(...)``)."""
        applicable = [limit for limit in self.limits if _applies(limit, method, url)]
        await self._wait_for_room(applicable)
        for limit in applicable:
            self._open[limit.name] += 1
        try:
            yield
        finally:
            answered = self._clock()
            for limit in applicable:
                self._open[limit.name] -= 1
                self._answered[limit.name].append(answered)
            if applicable:
                self._changed.set()  # wake the requests waiting for an answer to time their window
                self._changed = asyncio.Event()

    async def _wait_for_room(self, applicable: list[RateLimit]) -> None:
        while True:
            wait = self._wait(applicable)
            if wait <= 0:
                return
            changed = self._changed
            try:
                async with asyncio.timeout(None if math.isinf(wait) else wait):
                    await changed.wait()
            except TimeoutError:
                pass

    def _wait(self, applicable: list[RateLimit]) -> float:
        """Seconds until every limit has room: 0 now, ``inf`` until a request in flight is answered."""
        now = self._clock()
        wait = 0.0
        for limit in applicable:
            answered = self._answered[limit.name]
            window = limit.per_seconds + max(0.02, limit.per_seconds * 0.01)
            while answered and answered[0] <= now - window:
                answered.popleft()
            if len(answered) + self._open[limit.name] >= limit.requests:
                wait = max(wait, answered[0] + window - now if answered else math.inf)
        return wait


def _applies(limit: RateLimit, method: str, url: str) -> bool:
    """Whether ``limit`` counts a ``method`` request to ``url`` (its methods are validated and upper-cased)."""
    if limit.methods and method.upper() not in limit.methods:
        return False
    return limit.path_contains is None or limit.path_contains in url
