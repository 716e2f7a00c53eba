"""The CallRail API v3 emulator as a Starlette app.

``create_app`` builds the deterministic dataset and wires the routes. State on ``app.state``:
``data`` (the ``Dataset``), ``credentials`` (API key and account ids), ``rate_limiter``, ``faults``
(``FaultQueue``), ``random_faults`` (``RandomFaults``, the fault profile) and ``requests`` (``RequestLog``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from ..common.fault_profile import FaultProfile
from ..common.faults import FaultQueue
from ..common.random_faults import RandomFaults
from ..common.request_log import RequestLog
from . import (
    routes_accounts,
    routes_calls,
    routes_companies,
    routes_control,
    routes_forms,
    routes_tags,
    routes_texts,
    routes_trackers,
    routes_users,
)
from .data import build_dataset
from .errors import ApiError, handle_api_error, handle_http_exception
from .gateway import Gateway
from .ratelimit import RateLimiter, RateLimits


def create_app(
    seed: int = 0,
    now: datetime | None = None,
    rate_limits: RateLimits | None = None,
    clock: Callable[[], float] | None = None,
    faults: FaultProfile | None = None,
) -> Starlette:
    """Build an emulator serving the dataset for ``seed`` anchored at ``now`` (default: the current
    time), enforcing ``rate_limits`` (default: CallRail's documented ones) on ``clock`` (seconds;
    default ``time.monotonic`` — tests pass their own to move time); ``faults`` injects random faults
    from the start."""
    data = build_dataset(seed=seed, now=now)
    queue, log, random_faults = FaultQueue(), RequestLog(), RandomFaults(faults)
    limiter = RateLimiter(rate_limits or RateLimits(), clock or time.monotonic)
    routes = [
        *routes_control.routes(queue, log, random_faults),
        *routes_accounts.ROUTES,
        *routes_companies.ROUTES,
        *routes_trackers.ROUTES,
        *routes_calls.ROUTES,
        *routes_texts.ROUTES,
        *routes_forms.ROUTES,
        *routes_tags.ROUTES,
        *routes_users.ROUTES,
    ]
    middleware = [Middleware(Gateway, faults=queue, random_faults=random_faults, log=log,
                             credentials=data.credentials, limiter=limiter)]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: handle_api_error, HTTPException: handle_http_exception},
    )
    app.state.data = data
    app.state.credentials = data.credentials
    app.state.rate_limiter = limiter
    app.state.faults = queue
    app.state.random_faults = random_faults
    app.state.requests = log
    return app
