"""Draw a fault for each request from the current fault profile, with a seeded random generator."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .fault_profile import FaultProfile


@dataclass(frozen=True)
class DrawnFault:
    """The fault one request gets: its kind and the profile it came from (for delays and headers)."""

    kind: str
    profile: FaultProfile


class RandomFaults:
    """The fault profile of one emulator, set and cleared at runtime, and the faults it has injected.

    Paths starting with one of ``exempt`` never get a fault. Setting a profile restarts the random
    generator from its seed. Thread-safe: tests change the profile from outside the server's loop.
    """

    def __init__(self, profile: FaultProfile | None = None, exempt: tuple[str, ...] = ()) -> None:
        self.exempt = exempt
        self._lock = threading.Lock()
        self._profile: FaultProfile | None = None
        self._random = random.Random()
        self._injected: Counter[str] = Counter()
        self.set(profile)

    @property
    def profile(self) -> FaultProfile | None:
        """The current profile, or None when no random faults are injected."""
        return self._profile

    def set(self, profile: FaultProfile | None) -> None:
        """Use ``profile`` from now on (None stops injecting) and reset the injected counts."""
        with self._lock:
            self._profile = profile
            self._random = random.Random(profile.seed if profile else 0)
            self._injected.clear()

    def draw(self, method: str, path: str) -> DrawnFault | None:
        """The fault for a ``method`` request to ``path``, or None: the request is served normally."""
        profile = self._profile
        if profile is None or profile.rate == 0 or path.startswith(self.exempt) or not profile.applies_to(method):
            return None
        with self._lock:
            if self._random.random() >= profile.rate:
                return None
            kind = self._random.choice(profile.kinds)
            self._injected[kind] += 1
        return DrawnFault(kind, profile)

    def status(self) -> dict[str, Any]:
        """The profile (or None) and how many faults of each kind it has injected."""
        with self._lock:
            profile = self._profile
            return {"profile": profile.as_dict() if profile else None, "injected": dict(self._injected)}
