"""Database URLs as messages and summaries may show them: without their passwords."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MASK = "****"
UNREADABLE_URL = "the configured database URL (not shown: it cannot be read as a URL)"


def redact_url(url: str) -> str:
    """``url`` with its password, in the user part or in any ``…password`` parameter (``password``,
    ``sslpassword``), replaced by ``****``; a text that is not a URL is not shown at all."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading the port is what checks it
    except ValueError:
        return UNREADABLE_URL
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    params = [(key, MASK if key.lower().endswith("password") else value)
              for key, value in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{hostport}",
                                     query=urlencode(params, quote_via=quote, safe="*")))


def is_readable_url(url: str) -> bool:
    """Whether ``url`` can be read as a URL (its host and port part included)."""
    return redact_url(url) != UNREADABLE_URL
