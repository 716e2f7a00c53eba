"""The CallRail service: API v3 at ``https://api.callrail.com``, ``Token token="…"`` auth, and the
per-account rate limits of shared/api/callrail.md §4, respected client-side so a long run slows down
instead of being refused."""

from __future__ import annotations

from trunkline.connectors.registry import ServiceSpec
from trunkline.core.destination_config import RateLimit

HOUR = 3600.0

CALLRAIL = ServiceSpec(
    name="callrail",
    title="CallRail",
    default_base_url="https://api.callrail.com",
    token_format='Token token="{token}"',
    rate_limits=(RateLimit(name="callrail-general", requests=1000, per_seconds=HOUR),),
    default_region="US",  # CallRail serves US/Canadian numbers: read "(404) 555-1235" as +14045551235
)
