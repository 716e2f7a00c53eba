"""The Babelforce API emulator as a Starlette app.

``create_app`` builds the deterministic dataset and wires the read and write routes. State on
``app.state``: ``data`` (the ``Dataset``, which the write routes change in place), ``credentials``,
``tokens`` (``TokenStore``), ``authenticator`` and ``control`` (faults, the random fault profile, request
log, token expiry).
``cached_paths`` turns on the page cache for those list paths (see :mod:`.page_cache`; benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from ..common.fault_profile import FaultProfile
from . import (
    routes_activity,
    routes_agents,
    routes_calls,
    routes_config,
    routes_control,
    routes_env_sync,
    routes_metrics,
    routes_oauth,
    routes_outbound,
    routes_tasks,
    routes_users,
    routes_writes_activity,
    routes_writes_campaigns,
    routes_writes_config,
    routes_writes_leads,
    routes_writes_tasks,
    routes_writes_users,
)
from .auth import Authenticator, TokenStore
from .control import EmulatorControl
from .data import build_dataset
from .errors import ApiError, handle_api_error, handle_http_exception
from .gateway import Gateway
from .page_cache import PageCache

DEFAULT_TOKEN_TTL = 43_200


def create_app(
    seed: int = 0, size: str = "small", token_ttl: int = DEFAULT_TOKEN_TTL, now: datetime | None = None,
    cached_paths: Iterable[str] = (), faults: FaultProfile | None = None,
) -> Starlette:
    """Build an emulator app serving the dataset for ``seed``/``size`` anchored at ``now`` (default:
    the current UTC minute); access tokens live ``token_ttl`` seconds; ``GET`` answers of
    ``cached_paths`` are rendered once and then served from the page cache; ``faults`` injects random
    faults from the start (``POST /oauth/token`` is exempt)."""
    data = build_dataset(seed=seed, size=size, now=now)
    tokens = TokenStore(ttl=token_ttl)
    authenticator = Authenticator(data, tokens)
    control = EmulatorControl(tokens, faults)
    routes = [
        *routes_control.routes(control),
        *routes_oauth.ROUTES,
        *routes_agents.ROUTES,
        *routes_calls.ROUTES,
        *routes_metrics.ROUTES,
        *routes_outbound.ROUTES,
        *routes_activity.ROUTES,
        *routes_config.ROUTES,
        *routes_tasks.ROUTES,
        *routes_users.ROUTES,
        *routes_writes_leads.ROUTES,
        *routes_writes_campaigns.ROUTES,
        *routes_writes_config.ROUTES,
        *routes_writes_activity.ROUTES,
        *routes_writes_users.ROUTES,
        *routes_writes_tasks.ROUTES,
        *routes_env_sync.ROUTES,
    ]
    middleware = [Middleware(Gateway, control=control, authenticator=authenticator)]
    cached = tuple(cached_paths)
    if cached:
        middleware.append(Middleware(PageCache, paths=cached))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: handle_api_error, HTTPException: handle_http_exception},
    )
    app.state.data = data
    app.state.credentials = data.credentials
    app.state.tokens = tokens
    app.state.authenticator = authenticator
    app.state.control = control
    return app
