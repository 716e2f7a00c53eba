"""Authentication providers: they turn a :class:`Credential` into request headers.

A provider is bound to one origin (scheme, host, port): the HTTP client asks it for headers only
for requests to that origin, so a credential's secret never travels to another host.

Providers:
- ``oauth_password``: OAuth2 password grant (``POST {base}/oauth/token`` form fields), bearer token
  cached and refreshed shortly before it expires (``expires_in``, 12 hours on Babelforce), and once
  more when the service answers 401. Grants happen behind a lock: requests in flight together that
  meet an expired token get one new token between them, not one each. A token endpoint that cannot
  answer (lost connection, 429, 5xx) is asked again, up to 4 times; only its refusal (400, 401…) means
  the username/password is wrong, and only that is remembered for the rest of the run.
- ``access_headers``: Babelforce's ``X-Auth-Access-Id`` / ``X-Auth-Access-Token`` pair.
- ``bearer``: a fixed ``Authorization: Bearer`` token; ``api_key``: a fixed key in a named header;
  ``headers``: a fixed set of headers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from trunkline.core.config import Credential
from trunkline.core.errors import AuthError, ConfigError

#: Refresh a token when less than this share of its lifetime is left (and at least 60 s before expiry).
REFRESH_MARGIN_SHARE = 0.05
#: Lifetime assumed when the token response carries no ``expires_in``.
DEFAULT_TOKEN_LIFETIME = 3600.0
#: Tries of a token grant the service could not answer (lost connection, 429, 5xx), and the longest wait between.
TOKEN_ATTEMPTS = 4
TOKEN_MAX_WAIT = 30.0
_BUSY_STATUSES = frozenset({429, 500, 502, 503, 504})


def origin_of(url: str) -> str:
    """The scheme://host:port part of a URL, lower-cased, used to bind secrets to their host."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


class AuthProvider(Protocol):
    """What the HTTP client needs from an authentication method."""

    origin: str
    secret_values: tuple[str, ...]

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """Headers to add to a request to :attr:`origin`."""
        ...

    async def renew(self, client: httpx.AsyncClient, refused: Mapping[str, str]) -> bool:
        """Called after a 401 to a request that carried the auth headers ``refused``: get a fresh secret
        if possible (unless another request already did); True when a retry is worth it."""
        ...


@dataclass
class StaticAuth:
    """A fixed set of headers (access id/token, bearer token, API key, custom headers)."""

    origin: str
    fixed_headers: dict[str, str]
    secret_values: tuple[str, ...] = ()

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """The fixed headers."""
        return dict(self.fixed_headers)

    async def renew(self, client: httpx.AsyncClient, refused: Mapping[str, str]) -> bool:
        """Fixed secrets cannot be renewed: a 401 is final."""
        return False


@dataclass
class OAuthPasswordAuth:
    """OAuth2 resource-owner password grant with a cached, self-refreshing bearer token."""

    origin: str
    token_url: str
    username: str
    password: str
    client_id: str | None = None
    clock: callable = time.monotonic  # type: ignore[valid-type]
    _token: str | None = None
    _expires_at: float = 0.0
    _lifetime: float = DEFAULT_TOKEN_LIFETIME
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _refused: AuthError | None = None
    grants: int = 0

    @property
    def secret_values(self) -> tuple[str, ...]:  # type: ignore[override]
        """The password and the current token: never to be shown anywhere."""
        return tuple(v for v in (self.password, self._token) if v)

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """``Authorization: Bearer`` with a token that is valid for a while yet."""
        async with self._lock:
            margin = max(60.0, self._lifetime * REFRESH_MARGIN_SHARE)
            if self._token is None or self.clock() >= self._expires_at - margin:
                await self._grant(client)
            return {"Authorization": self._bearer()}

    async def renew(self, client: httpx.AsyncClient, refused: Mapping[str, str]) -> bool:
        """The service refused the token (expired early or revoked): get a new one, once. When the
        refused token is no longer the current one, another request has renewed it already."""
        async with self._lock:
            if self._token is None or refused.get("Authorization") == self._bearer():
                await self._grant(client)
        return True

    def _bearer(self) -> str:
        return f"Bearer {self._token}"

    async def _grant(self, client: httpx.AsyncClient) -> None:
        """Get a token. Once the service has refused the username/password, every later call raises that
        refusal again without asking: requests waiting together must not try a wrong password each."""
        if self._refused is not None:
            raise self._refused
        form = {"grant_type": "password", "username": self.username, "password": self.password}
        if self.client_id:
            form["client_id"] = self.client_id
        response = await self._post_token(client, form)
        if response.status_code != 200:
            self._refused = AuthError(
                "the service refused the username/password", method="POST", url=self.token_url,
                status=response.status_code, body_excerpt=_oauth_error(response),
                fix="check the credential's username and password (a user with manager rights)",
            )
            raise self._refused
        payload = response.json()
        token = payload.get("access_token")
        if not token:
            raise AuthError("the token response has no access_token", method="POST", url=self.token_url,
                            status=response.status_code, fix="check token_url points at an OAuth2 token endpoint")
        self._token = token
        self._lifetime = float(payload.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        self._expires_at = self.clock() + self._lifetime
        self.grants += 1


    async def _post_token(self, client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
        """POST the grant; a lost connection, a 429 or a 5xx is tried again (asking for a token twice does no
        harm), waiting as ``Retry-After`` says up to :data:`TOKEN_MAX_WAIT` seconds. Any other answer is
        returned: only the service's own refusal means the username/password is wrong."""
        retrying = AsyncRetrying(stop=stop_after_attempt(TOKEN_ATTEMPTS), wait=_token_wait,
                                 retry=retry_if_exception_type(_TokenEndpointBusy), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post_token_once(client, form)
        except _TokenEndpointBusy as busy:
            raise busy.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _post_token_once(self, client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
        try:
            response = await client.post(self.token_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise _TokenEndpointBusy(AuthError(
                f"cannot reach the token endpoint ({type(error).__name__})", method="POST", url=self.token_url,
                fix="check the credential's base_url or environment and that the service is reachable",
            ), None) from None
        if response.status_code in _BUSY_STATUSES:
            raise _TokenEndpointBusy(AuthError(
                "the token endpoint is unavailable; the username/password was not checked", method="POST",
                url=self.token_url, status=response.status_code, body_excerpt=_oauth_error(response),
                fix="try again later",
            ), _retry_after(response))
        return response


class _TokenEndpointBusy(Exception):
    """The token endpoint could not answer now (lost connection, 429, 5xx): worth another try."""

    def __init__(self, error: AuthError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error, self.retry_after = error, retry_after


def _token_wait(state: RetryCallState) -> float:
    """The service's ``Retry-After`` (capped at :data:`TOKEN_MAX_WAIT`), else 0.5, 1, 2… seconds."""
    outcome = state.outcome
    busy = outcome.exception() if outcome is not None else None
    if isinstance(busy, _TokenEndpointBusy) and busy.retry_after is not None:
        return min(busy.retry_after, TOKEN_MAX_WAIT)
    return min(0.5 * 2 ** (state.attempt_number - 1), TOKEN_MAX_WAIT)


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds when the service gave it as a number."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("error") or body.get("message") or "")[:200]
    return ""


class NoAuth:
    """No credential at all (public APIs, file URLs)."""

    origin = ""
    secret_values: tuple[str, ...] = ()

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """No headers."""
        return {}

    async def renew(self, client: httpx.AsyncClient, refused: Mapping[str, str]) -> bool:
        """Nothing to renew."""
        return False


def build_auth(credential: Credential | None, base_url: str | None, *, token_format: str = "Bearer {token}"
               ) -> AuthProvider:
    """Make the provider a credential asks for, bound to the origin of ``base_url``.

    ``token_format`` is how the service wants a ``token`` in ``Authorization`` (``Bearer {token}``, or
    CallRail's ``Token token="{token}"``).
    """
    if credential is None:
        return NoAuth()
    method = credential.resolved_auth()
    if method == "none":
        return NoAuth()
    if not base_url:
        raise ConfigError("credential.base_url", "is required to know where the credential may be sent",
                          fix="set base_url (or environment, for services that have one)")
    origin = origin_of(base_url)
    if method == "oauth_password":
        if not (credential.username and credential.password):
            raise ConfigError("credential.password", "username and password are both required for oauth_password",
                              fix="set username and password (or use ${ENV} references to them)")
        return OAuthPasswordAuth(
            origin=origin, token_url=credential.token_url or f"{base_url}/oauth/token",
            username=credential.username, password=credential.password.get_secret_value(),
            client_id=credential.client_id,
        )
    headers = _static_headers(credential, method, token_format)
    return StaticAuth(origin=origin, fixed_headers=headers, secret_values=tuple(v for v in headers.values() if v))


def _static_headers(credential: Credential, method: str, token_format: str) -> dict[str, str]:
    if method == "access_headers":
        if not (credential.access_id and credential.access_token):
            raise ConfigError("credential.access_token", "access_id and access_token are both required",
                              fix="copy both from the Babelforce manager app (Account overview)")
        return {"X-Auth-Access-Id": credential.access_id,
                "X-Auth-Access-Token": credential.access_token.get_secret_value()}
    if method == "bearer":
        if not credential.token:
            raise ConfigError("credential.token", "is required for bearer auth", fix="set token")
        return {"Authorization": token_format.format(token=credential.token.get_secret_value())}
    if method == "api_key":
        if not credential.api_key:
            raise ConfigError("credential.api_key", "is required for api_key auth", fix="set api_key")
        return {credential.api_key_header: credential.api_key.get_secret_value()}
    return {name: value.get_secret_value() for name, value in credential.headers.items()}


def masked_auth_headers(credential: Credential | None, *, token_format: str = "Bearer {token}") -> dict[str, str]:
    """The auth headers a credential adds, with every secret shown as ``****`` (for previews)."""
    if credential is None:
        return {}
    method = credential.resolved_auth()
    if method == "oauth_password":
        return {"Authorization": "Bearer ****"}
    if method == "access_headers":
        return {"X-Auth-Access-Id": "****", "X-Auth-Access-Token": "****"}
    if method == "bearer":
        return {"Authorization": token_format.format(token="****")}
    if method == "api_key":
        return {credential.api_key_header: "****"}
    return {name: "****" for name in credential.headers}
