"""Per-account rate limits over sliding hour and day windows, as the CallRail docs list them.

Every authenticated request counts as a *general* request; an SMS send also counts against the SMS
limit and an outbound call against the outbound-call limit. A request is refused (429) when any
window it counts against is full; refused requests are not counted.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

GENERAL = "general"
SMS = "sms"
OUTBOUND_CALL = "outbound_call"
HOUR = 3_600
DAY = 86_400

_LABELS = {GENERAL: "general API requests", SMS: "SMS sends", OUTBOUND_CALL: "outbound calls"}


@dataclass(frozen=True)
class RateLimits:
    """How many requests of each kind an account may make per hour and per day."""

    general_per_hour: int = 1_000
    general_per_day: int = 10_000
    sms_per_hour: int = 150
    sms_per_day: int = 1_000
    outbound_calls_per_hour: int = 100
    outbound_calls_per_day: int = 2_000

    def windows(self, kind: str) -> tuple[tuple[int, int], ...]:
        """The ``(limit, window seconds)`` pairs of ``kind``."""
        hourly, daily = {
            GENERAL: (self.general_per_hour, self.general_per_day),
            SMS: (self.sms_per_hour, self.sms_per_day),
            OUTBOUND_CALL: (self.outbound_calls_per_hour, self.outbound_calls_per_day),
        }[kind]
        return (hourly, HOUR), (daily, DAY)


@dataclass(frozen=True)
class Refusal:
    """A refused request: which limit was hit and the whole seconds until it admits one again."""

    kind: str
    limit: int
    window: int
    retry_after: int

    @property
    def message(self) -> str:
        """The error text of the 429."""
        period = "hour" if self.window == HOUR else "day"
        return (f"Rate limit exceeded: {self.limit} {_LABELS[self.kind]} per {period}; "
                f"retry in {self.retry_after} seconds")


class RateLimiter:
    """Sliding-window counters per (account, kind). ``clock`` returns seconds (monotonic by default;
    tests inject their own to move time). Thread-safe."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._stamps: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def admit(self, account: str, kinds: Sequence[str]) -> Refusal | None:
        """Count one request of each of ``kinds`` for ``account`` and return None, or return why it is
        refused (counting nothing)."""
        now = self.clock()
        with self._lock:
            refusals = [refusal for kind in kinds if (refusal := self._check(account, kind, now))]
            if refusals:
                return max(refusals, key=lambda refusal: refusal.retry_after)
            for kind in kinds:
                self._stamps.setdefault((account, kind), []).append(now)
        return None

    def _check(self, account: str, kind: str, now: float) -> Refusal | None:
        stamps = self._stamps.get((account, kind), [])
        del stamps[: bisect_right(stamps, now - DAY)]
        worst: Refusal | None = None
        for limit, window in self.limits.windows(kind):
            recent = stamps[bisect_right(stamps, now - window):]
            if len(recent) < limit:
                continue
            frees_at = recent[len(recent) - limit] + window if limit > 0 else now + window
            retry = max(1, math.ceil(frees_at - now))
            if worst is None or retry > worst.retry_after:
                worst = Refusal(kind, limit, window, retry)
        return worst

    def usage(self) -> dict[str, dict[str, int]]:
        """Requests counted in the current hour and day, per kind (summed over accounts)."""
        now = self.clock()
        counts: dict[str, dict[str, int]] = {kind: {"hour": 0, "day": 0} for kind in _LABELS}
        with self._lock:
            for (_, kind), stamps in self._stamps.items():
                counts[kind]["hour"] += len(stamps) - bisect_right(stamps, now - HOUR)
                counts[kind]["day"] += len(stamps) - bisect_right(stamps, now - DAY)
        return counts

    def reset(self) -> None:
        """Forget every counted request: all limits are free again."""
        with self._lock:
            self._stamps.clear()
