"""Database URLs as messages and summaries may show them: without their passwords."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MASK = "****"


def redact_url(url: str) -> str:
    """``url`` with its password, in the user part or in a ``password`` parameter, replaced by ``****``."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    params = [(key, MASK if key == "password" else value) for key, value in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{hostport}",
                                     query=urlencode(params, quote_via=quote, safe="*")))
