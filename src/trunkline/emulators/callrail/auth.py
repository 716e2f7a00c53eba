"""Reading the API key from ``Authorization: Token token="KEY"`` (the quotes are optional)."""

from __future__ import annotations

import re
import secrets

_TOKEN = re.compile(r'^\s*Token\s+token\s*=\s*(?:"([^"]*)"|([^\s",]+))\s*$', re.IGNORECASE)

MISSING_KEY = 'Missing API key: send the header Authorization: Token token="YOUR_API_KEY"'
INVALID_KEY = "Invalid API key"


def presented_key(authorization: str | None) -> str | None:
    """The key in an ``Authorization`` header value, or None when the header is absent or not of the
    ``Token token=…`` form."""
    if not authorization:
        return None
    match = _TOKEN.match(authorization)
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def refusal(authorization: str | None, api_key: str) -> str | None:
    """Why a request with this ``Authorization`` header is refused (None when the key is right)."""
    key = presented_key(authorization)
    if key is None:
        return MISSING_KEY
    if not secrets.compare_digest(key.encode(), api_key.encode()):
        return INVALID_KEY
    return None
