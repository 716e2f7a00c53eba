"""Test controls: injected faults and the log of received requests.

Also usable from Python (``app.state.control``) by code that runs the app in-process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from .auth import TokenStore

FAULT_STATUSES = range(400, 600)
_LOG_SIZE = 10_000


@dataclass
class Fault:
    """Answer the next ``remaining`` requests under ``path_prefix`` (all paths if None) with ``status``
    after ``delay`` seconds; ``status`` None only delays. ``retry_after`` becomes a header."""

    status: int | None
    remaining: int
    retry_after: float | None = None
    path_prefix: str | None = None
    delay: float = 0.0

    def matches(self, path: str) -> bool:
        """Whether this fault applies to ``path``."""
        return self.remaining > 0 and (self.path_prefix is None or path.startswith(self.path_prefix))


class EmulatorControl:
    """Pending faults, the request log and token expiry for one emulator app."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens
        self._faults: list[Fault] = []
        self._log: deque[dict[str, Any]] = deque(maxlen=_LOG_SIZE)
        self._lock = threading.Lock()

    def add_fault(
        self,
        status: int | None,
        count: int = 1,
        retry_after: float | None = None,
        path_prefix: str | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Queue a fault (see ``Fault``). Raises ``ValueError`` on a bad status, count or delay."""
        if status is not None and status not in FAULT_STATUSES:
            raise ValueError(f"status must be an HTTP error status (400-599), got {status}")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if delay < 0 or (retry_after is not None and retry_after < 0):
            raise ValueError("delay and retry_after must not be negative")
        if status is None and delay == 0:
            raise ValueError("give a status, a delay, or both")
        fault = Fault(status, count, retry_after, path_prefix, delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first pending fault matching ``path``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def faults(self) -> list[dict[str, Any]]:
        """The pending faults."""
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def expire_tokens(self, refresh_tokens: bool = False) -> int:
        """Invalidate every issued access token (and refresh token if asked); returns how many."""
        return self.tokens.expire_all(refresh_tokens)

    def record(self, method: str, path: str, query: str, auth: str, status: int) -> None:
        """Append one request to the log (the newest 10,000 are kept)."""
        entry = {"method": method, "path": path, "query": query, "auth": auth, "status": status, "time": time.time()}
        with self._lock:
            self._log.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        """The logged requests, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()
