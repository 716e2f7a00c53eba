"""Test controls of the Babelforce emulator: injected faults, the random fault profile, the request log
and token expiry.

Faults, the profile and the log are the shared ones of ``emulators.common``; token expiry is Babelforce's own.
Also usable from Python (``app.state.control``) by code that runs the app in-process.
"""

from __future__ import annotations

from typing import Any

from trunkline.emulators.common.fault_profile import FaultProfile
from trunkline.emulators.common.faults import Fault, FaultQueue
from trunkline.emulators.common.random_faults import RandomFaults
from trunkline.emulators.common.request_log import RequestLog

from .auth import TokenStore

#: Paths a fault profile never touches: getting a token is the subject of other tests (expiry, revocation).
PROFILE_EXEMPT = ("/oauth/",)


class EmulatorControl:
    """Pending faults, the random fault profile, the request log and token expiry for one emulator app."""

    def __init__(self, tokens: TokenStore, faults: FaultProfile | None = None) -> None:
        self.tokens = tokens
        self.fault_queue = FaultQueue()
        self.random_faults = RandomFaults(faults, exempt=PROFILE_EXEMPT)
        self.log = RequestLog()

    def add_fault(self, status: int | None, count: int = 1, retry_after: float | None = None,
                  path_prefix: str | None = None, delay: float = 0.0) -> Fault:
        """Queue a fault (see ``Fault``). Raises ``ValueError`` on a bad status, count or delay."""
        return self.fault_queue.add(status, count, retry_after, path_prefix, delay)

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first pending fault matching ``path``."""
        return self.fault_queue.take(path)

    def faults(self) -> list[dict[str, Any]]:
        """The pending faults."""
        return self.fault_queue.pending()

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self.fault_queue.clear()

    def set_fault_profile(self, profile: FaultProfile | None) -> None:
        """Inject random faults by ``profile`` from now on; None stops."""
        self.random_faults.set(profile)

    def expire_tokens(self, refresh_tokens: bool = False) -> int:
        """Invalidate every issued access token (and refresh token if asked); returns how many."""
        return self.tokens.expire_all(refresh_tokens)

    def record(self, method: str, path: str, query: str, auth: str, status: int | None,
               fault: str | None = None) -> None:
        """Append one request to the log (the newest 10,000 are kept); ``auth`` is the kind, never a secret;
        ``fault`` the kind of random fault it got (status None: no answer was sent)."""
        extra = {"fault": fault} if fault else {}
        self.log.record(method, path, query, status, auth=auth, **extra)

    def requests(self) -> list[dict[str, Any]]:
        """The logged requests, oldest first."""
        return self.log.entries()

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.log.clear()
