"""The typed errors trunkline raises. Every user-facing failure is one of these.

Each error carries enough to act on: what went wrong, where (a config path such as
``source.pagination.size`` or a URL), the offending value when it is safe to show, and the fix.
The CLI prints ``str(error)``; nothing else about an error reaches the user.
"""

from __future__ import annotations

from typing import Any


class TrunklineError(Exception):
    """Base of every error trunkline reports to a user."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message


class ConfigError(TrunklineError):
    """A configuration value is missing or wrong. Names the config path, the value and the fix."""

    def __init__(self, path: str, message: str, *, value: Any = None, fix: str | None = None) -> None:
        self.path = path
        self.value = value
        shown = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{path}: {message}{shown}.", fix=fix)


class MacroError(ConfigError):
    """A macro in a URL, header, parameter or body cannot be rendered."""


class HttpError(TrunklineError):
    """An HTTP request failed for good (after any retries)."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status: int | None = None,
        body_excerpt: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.body_excerpt = body_excerpt
        #: What a destination had already settled when this error stopped it in the middle of splitting a
        #: refused batch (its deliveries, in order): recorded by the caller, so none is sent again.
        self.settled: list[Any] = []
        where = f"{method} {url}"
        status_text = f" answered {status}" if status is not None else ""
        excerpt = f": {body_excerpt}" if body_excerpt else ""
        super().__init__(f"{where}{status_text}: {message}{excerpt}", fix=fix)


class RetryLaterError(HttpError):
    """The service asks to wait longer than the configured maximum: stop now, resume in a later run."""


class AuthError(HttpError):
    """The service refused the credential (bad password, revoked token, missing rights)."""


class PaginationError(TrunklineError):
    """Pagination cannot go on safely (a page repeats, a token cycles, a response lacks the paginator)."""


class ExtractionError(TrunklineError):
    """The path to data or metadata does not match the response."""

    def __init__(self, message: str, *, suggestions: list[str] | None = None, fix: str | None = None) -> None:
        self.suggestions = suggestions or []
        if self.suggestions and fix is None:
            fix = "set path_to_data to one of: " + ", ".join(self.suggestions)
        super().__init__(message, fix=fix)


class ResponseFormatError(TrunklineError):
    """A response body cannot be parsed as the expected format (JSON, XML)."""


class CredentialError(TrunklineError):
    """A named credential is missing, or stored secrets cannot be decrypted."""
