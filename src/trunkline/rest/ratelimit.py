"""Client-side rate limits: wait before a request instead of being refused with a 429.

Each limit allows ``requests`` requests per sliding window of ``per_seconds`` seconds, counting only
the requests it applies to (by method and URL text). Before a request, the limiter waits until every
applicable limit has room. A small safety margin (1% of the window, at least 20 ms) keeps the client's
window from ending before the server's, which counts requests a moment later, on arrival. Limits hold
for one run in one process.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from trunkline.core.destination_config import RateLimit


class RateLimiter:
    """Sliding-window limits for one credential's requests."""

    def __init__(self, limits: list[RateLimit], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {limit.name: deque() for limit in limits}
        self.waited = 0.0

    async def acquire(self, method: str, url: str) -> None:
        """Wait until a ``method`` request to ``url`` is within every limit, then count it."""
        applicable = [limit for limit in self.limits if _applies(limit, method, url)]
        while True:
            now = self._clock()
            wait = 0.0
            for limit in applicable:
                sent = self._sent[limit.name]
                window = limit.per_seconds + max(0.02, limit.per_seconds * 0.01)
                while sent and sent[0] <= now - window:
                    sent.popleft()
                if len(sent) >= limit.requests:
                    wait = max(wait, sent[0] + window - now)
            if wait <= 0:
                break
            self.waited += wait
            await self._sleep(wait)
        for limit in applicable:
            self._sent[limit.name].append(self._clock())


def _applies(limit: RateLimit, method: str, url: str) -> bool:
    if limit.methods and method.upper() not in {name.upper() for name in limit.methods}:
        return False
    return limit.path_contains is None or limit.path_contains in url
