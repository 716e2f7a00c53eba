"""The log of requests an emulator received, for tests to inspect."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

DEFAULT_SIZE = 10_000


class RequestLog:
    """The newest ``size`` requests, oldest first. Entries hold what the caller passes and nothing
    else: an emulator must not pass secrets (keys, tokens, passwords). Thread-safe."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, method: str, path: str, query: str, status: int | None, **extra: Any) -> None:
        """Append one request: method, path, query string, response status (None when the connection
        was dropped without one), ``extra`` fields and the wall-clock time."""
        entry = {"method": method, "path": path, "query": query, "status": status, **extra, "time": time.time()}
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """The logged requests, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Empty the log."""
        with self._lock:
            self._entries.clear()
