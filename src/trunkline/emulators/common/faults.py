"""Injected faults: the next matching requests get an error status, a delay, or both."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

FAULT_STATUSES = range(400, 600)


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


class FaultQueue:
    """Pending faults, consumed in the order they were added. Thread-safe: tests add faults from
    outside the server's event loop."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
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

    def take(self, path: str) -> Fault | None:
        """Consume one use of the first pending fault matching ``path``."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """The pending faults, as plain dicts."""
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()


def retry_after_value(seconds: float) -> str:
    """A ``Retry-After`` header value: whole seconds as HTTP wants them; a fraction is kept as a
    decimal so tests can retry quickly."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
