"""Who is calling: password logins, OAuth tokens (with expiry and rotation) and the legacy
``X-Auth-Access-Id`` / ``X-Auth-Access-Token`` header pair."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .data import Credentials, Dataset

MANAGER = "manager"
AGENT = "agent"

# Paths an agent-rights token may use; every other protected path needs manager rights.
AGENT_PREFIXES = ("/api/v2/agent/", "/api/v2/user/")
PROTECTED_PREFIXES = ("/api/", "/auth/scim/")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    user_id: str
    username: str
    role: str
    agent_id: str | None = None


@dataclass(frozen=True)
class AuthResult:
    """The outcome of reading a request's credentials: ``method`` is what the caller presented
    (``bearer``, ``access_id`` or ``none``); ``principal`` is None when they are missing or wrong."""

    method: str
    principal: Principal | None
    reason: str = ""


@dataclass
class _Grant:
    principal: Principal
    expires_at: float


class TokenStore:
    """Issued access and refresh tokens. Access tokens expire after ``ttl`` seconds; refresh tokens
    rotate on every use. Thread-safe: tests call it from outside the server's event loop."""

    def __init__(self, ttl: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def issue(self, principal: Principal) -> tuple[str, str]:
        """Issue a new (access token, refresh token) pair for ``principal``."""
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = _Grant(principal, self.clock() + self.ttl)
            self._refresh[refresh] = principal
        return access, refresh

    def lookup(self, token: str) -> Principal | None:
        """The principal of a live access token, or None if unknown or expired."""
        with self._lock:
            grant = self._access.get(token)
            if grant is None:
                return None
            if self.clock() >= grant.expires_at:
                del self._access[token]
                return None
            return grant.principal

    def redeem(self, refresh_token: str) -> Principal | None:
        """Consume a refresh token; returns its principal, or None if unknown."""
        with self._lock:
            return self._refresh.pop(refresh_token, None)

    def revoke(self, token: str) -> None:
        """Forget an access or refresh token (unknown tokens are ignored, as RFC 7009 asks)."""
        with self._lock:
            self._access.pop(token, None)
            self._refresh.pop(token, None)

    def expire_all(self, refresh_tokens: bool = False) -> int:
        """Invalidate every access token (and every refresh token if asked); returns how many."""
        with self._lock:
            count = len(self._access)
            self._access.clear()
            if refresh_tokens:
                count += len(self._refresh)
                self._refresh.clear()
            return count


class Authenticator:
    """Checks logins and request credentials against the dataset's accounts."""

    def __init__(self, data: Dataset, tokens: TokenStore) -> None:
        self.tokens = tokens
        self.credentials: Credentials = data.credentials
        manager, agent_user = data.manager_user, data.agent_user
        self.manager = Principal(manager["id"], manager["email"], MANAGER)
        self.agent = Principal(agent_user["id"], agent_user["email"], AGENT, agent_user["agent"]["uuid"])

    def login(self, username: str, password: str) -> Principal | None:
        """The principal for a username (case-insensitive e-mail) and password, or None."""
        creds = self.credentials
        name = username.strip().lower()
        if name == creds.username and secrets.compare_digest(password, creds.password):
            return self.manager
        if name == creds.agent_username and secrets.compare_digest(password, creds.agent_password):
            return self.agent
        return None

    def authenticate(self, headers: Mapping[str, str]) -> AuthResult:
        """Read ``Authorization: Bearer`` (or the help centre's ``Authentication: Bearer`` typo), else
        the access-id header pair. Header names are case-insensitive (``headers`` must be too)."""
        bearer = headers.get("authorization") or headers.get("authentication")
        if bearer is not None:
            scheme, _, token = bearer.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return AuthResult("bearer", None, "the Authorization header must be 'Bearer <access token>'")
            principal = self.tokens.lookup(token.strip())
            return AuthResult("bearer", principal, "" if principal else "the access token is invalid or expired")
        access_id, access_token = headers.get("x-auth-access-id"), headers.get("x-auth-access-token")
        if access_id is not None or access_token is not None:
            valid = secrets.compare_digest(access_id or "", self.credentials.access_id)
            valid = secrets.compare_digest(access_token or "", self.credentials.access_token) and valid
            if not valid:
                return AuthResult("access_id", None, "invalid access id or access token")
            return AuthResult("access_id", self.manager)
        return AuthResult("none", None, "authentication required: send 'Authorization: Bearer <access token>'")


def is_protected(path: str) -> bool:
    """Whether ``path`` needs credentials."""
    return path.startswith(PROTECTED_PREFIXES)


def may_access(principal: Principal, path: str) -> bool:
    """Whether ``principal`` has the rights for ``path`` (agents: only the agent and user APIs)."""
    return principal.role == MANAGER or path.startswith(AGENT_PREFIXES)
