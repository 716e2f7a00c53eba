"""The HTTP client every connector uses: auth bound to its host, timeouts, bounded retries.

Retries (tenacity) cover 429/502/503/504 and connection errors, and a 500 for idempotent methods,
with exponential backoff and full jitter, honouring ``Retry-After`` (seconds, fractional too, or HTTP
date). A ``Retry-After`` longer than ``RetryPolicy.max_retry_after`` is not waited out: the request
fails with a clear error instead.
Non-idempotent methods (POST, PATCH) are retried only when the service certainly did not act on them
(429, or a connection that was never established). A 401 triggers one credential renewal and one
retry; requests sent at the same time with the same refused token share one renewal. The client may be
used by several tasks at once (a destination's ``concurrency``). Nothing ever retries without end.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from trunkline.core.errors import AuthError, ConfigError, HttpError, RetryLaterError
from trunkline.rest.auth import AuthProvider, NoAuth, origin_of

log = logging.getLogger("trunkline.http")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
USER_AGENT = "trunkline/0.1 (+https://github.com/trunkline)"
#: Connections the pool keeps at least; a caller with more requests in flight gets one per request.
POOL_SIZE = 20


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, backoff bounds, the longest Retry-After worth waiting, and how
    long one attempt may wait for the service (``timeout`` seconds between bytes; connecting, at most 10).

    ``retry_all_methods`` retries POST and PATCH like the idempotent methods: only for endpoints where a
    duplicate does no harm (the user says so with ``retry_non_idempotent: true``).
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    retry_all_methods: bool = False
    timeout: float = 30.0


@dataclass
class RequestStats:
    """Counters a run reports in its summary."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    renewals: int = 0
    started: float = field(default_factory=time.monotonic)


class _Retryable(Exception):
    """Internal signal: this attempt failed in a way worth another try."""

    def __init__(self, error: HttpError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds, whole or fractional such as ``0.5``,
    or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class HttpClient:
    """An async HTTP client for one credential: adds its auth on its own host only, and retries."""

    def __init__(
        self,
        auth: AuthProvider | None = None,
        *,
        retry: RetryPolicy | None = None,
        max_response_bytes: int = 64 * 1024 * 1024,
        stats: RequestStats | None = None,
        in_flight: int = 1,
    ) -> None:
        """``in_flight``: how many requests the caller sends at once (the pool keeps a connection for each)."""
        self.auth = auth or NoAuth()
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self.stats = stats or RequestStats()
        self._warned_origins: set[str] = set()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.retry.timeout, connect=min(self.retry.timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=(pool := max(POOL_SIZE, in_flight)), max_keepalive_connections=pool),
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def redact(self, text: str) -> str:
        """``text`` with every secret this client knows replaced by ``****``."""
        for secret in self.auth.secret_values:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "****")
        return text

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: str | bytes | None = None,
    ) -> httpx.Response:
        """Send one request with auth and retries; return the 2xx/3xx/4xx response or raise HttpError.

        4xx answers other than 401 and 429 are returned, not raised: the caller knows what they mean.
        A URL that is not http(s) is a ConfigError at once: no retry can make it work.
        """
        _check_scheme(url)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
            before_sleep=self._count_retry,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(method, url, params, headers, json, data, content)
        except _Retryable as last:
            raise last.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _attempt(
        self, method: str, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
        json: Any, data: Mapping[str, Any] | None, content: str | bytes | None,
    ) -> httpx.Response:
        renewed = False
        while True:
            auth_headers = await self._auth_headers(url)
            request_headers = {**(headers or {}), **auth_headers}
            response = await self._send(method, url, params, request_headers, json, data, content)
            if response.status_code == 401 and not renewed and self._is_own_host(url):
                renewed = await self.auth.renew(self._client, auth_headers)
                if renewed:
                    self.stats.renewals += 1
                    continue
            break
        if response.status_code == 401:
            raise AuthError("the service refused the credential", method=method, url=url, status=401,
                            body_excerpt=self._excerpt(response),
                            fix="check the credential (a revoked token or access id, or wrong password)")
        if response.status_code in RETRYABLE_STATUSES:
            error = HttpError("the service is busy or failing", method=method, url=url,
                              status=response.status_code, body_excerpt=self._excerpt(response),
                              fix="try again later, or lower the request rate")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise RetryLaterError(
                    f"the service asks to wait {retry_after:g}s, longer than the {self.retry.max_retry_after:g}s "
                    "limit", method=method, url=url, status=response.status_code,
                    fix="run again later (the run can resume), or raise the retry-after limit",
                )
            if self._may_retry(method) or response.status_code == 429:
                raise _Retryable(error, retry_after)
            raise error
        if response.status_code >= 500:
            error = HttpError("the service failed", method=method, url=url, status=response.status_code,
                              body_excerpt=self._excerpt(response), fix="try again later; report it if it persists")
            if response.status_code == 500 and self._may_retry(method):  # repeating it cannot do harm
                raise _Retryable(error, None)
            raise error
        return response

    async def _send(
        self, method: str, url: str, params: Mapping[str, Any] | None, headers: dict[str, str],
        json: Any, data: Mapping[str, Any] | None, content: str | bytes | None,
    ) -> httpx.Response:
        self.stats.requests += 1
        try:
            # merge, not replace: a URL may carry its own query (macros in it) besides configured params
            target = httpx.URL(url).copy_merge_params(params) if params else httpx.URL(url)
            request = self._client.build_request(method, target, headers=headers, json=json, data=data,
                                                 content=content)
            response = await self._client.send(request, stream=True)
        except httpx.ConnectError as error:
            failure = HttpError(f"cannot connect ({type(error).__name__})", method=method, url=url,
                                fix="check the URL and that the service is reachable")
            raise _Retryable(failure, None) from None
        except httpx.HTTPError as error:
            failure = HttpError(f"the request failed ({type(error).__name__})", method=method, url=url,
                                fix="check the network; the request is retried when that is safe")
            if self._may_retry(method):
                raise _Retryable(failure, None) from None
            raise failure from None
        try:
            await self._read_bounded(response, method, url)
        finally:
            await response.aclose()
            # httpx binds the stream to its response and the response to the stream: a cycle, which only
            # the garbage collector frees, keeping the body (a whole page) until it runs. Unbind them.
            response.stream = httpx.ByteStream(b"")
        return response

    async def _read_bounded(self, response: httpx.Response, method: str, url: str) -> None:
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise HttpError(
                        f"the response is larger than {self.max_response_bytes} bytes", method=method, url=url,
                        status=response.status_code, fix="ask for smaller pages (pagination size)",
                    )
                chunks.append(chunk)
        except httpx.HTTPError as error:
            failure = HttpError(f"the response was cut off ({type(error).__name__})", method=method, url=url,
                                status=response.status_code, fix="try again; the request is retried when safe")
            if self._may_retry(method):
                raise _Retryable(failure, None) from None
            raise failure from None
        response._content = b"".join(chunks)  # noqa: SLF001 - hand the bounded body to httpx's own accessors
        self.stats.bytes_received += size

    async def _auth_headers(self, url: str) -> dict[str, str]:
        if not self.auth.origin:
            return {}
        if self._is_own_host(url):
            return await self.auth.headers(self._client)
        origin = origin_of(url)
        if origin not in self._warned_origins:
            self._warned_origins.add(origin)
            log.warning("not sending the credential to %s: it belongs to %s", origin, self.auth.origin)
        return {}

    def _may_retry(self, method: str) -> bool:
        """Whether a failed attempt of ``method`` may be repeated without risking a duplicate."""
        return self.retry.retry_all_methods or method.upper() in IDEMPOTENT_METHODS

    def _is_own_host(self, url: str) -> bool:
        return bool(self.auth.origin) and origin_of(url) == self.auth.origin

    def _excerpt(self, response: httpx.Response) -> str:
        return self.redact(response.text[:300].strip())

    def _wait(self, state: RetryCallState) -> float:
        exception = state.outcome.exception() if state.outcome else None
        backoff = min(self.retry.max_delay, self.retry.base_delay * (2 ** (state.attempt_number - 1)))
        jittered = random.uniform(0, backoff)
        if isinstance(exception, _Retryable) and exception.retry_after is not None:
            return max(exception.retry_after, jittered / 4)
        return jittered

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exception = state.outcome.exception() if state.outcome else None
        log.info("retrying after: %s", exception)


def _check_scheme(url: str) -> None:
    """Refuse a URL that HTTP cannot fetch (``api/v2/agents``, ``ftp://…``, a macro that rendered to text)."""
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https"):
        raise ConfigError("url", "is not an http:// or https:// URL", value=url,
                          fix="write the full URL (https://…), or a path starting with / to use the credential's "
                              "base_url")
