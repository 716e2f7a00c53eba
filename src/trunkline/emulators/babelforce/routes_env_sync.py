"""Invented Env Sync API: push this account's configuration to another environment as a job.

The help centre describes an Env Sync API but no public source documents its paths or bodies, so
these are the emulator's own (see docs/emulators.md): ``POST /api/v2/env-sync/jobs`` ``{target,
types}`` starts a job, which completes at once; ``GET /api/v2/env-sync/jobs[/{id}]`` reads jobs back.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .fields import Invalid, json_object, shown, text, words
from .listing import dataset, item_endpoint, list_endpoint
from .paging import item

# What a job can copy, and the dataset collection each one counts.
SYNC_TYPES = {
    "applications": "applications",
    "triggers": "triggers",
    "queues": "queues",
    "business-hours": "business_hours",
    "calendars": "calendars",
    "numbers": "numbers",
}


async def start_sync(request: Request) -> Response:
    """Start a sync to ``target`` (an account id or environment name) of ``types`` (default: all)
    → 201 ``{item: {id, status: completed, target, types, counts, …}}``."""
    data = dataset(request)
    body = await json_object(request)
    target = text(body, "target", required=True)
    types = words(body, "types") or list(SYNC_TYPES)
    for index, kind in enumerate(types):
        if kind not in SYNC_TYPES:
            raise Invalid(f"types[{index}]", f"must be one of {', '.join(SYNC_TYPES)}, got {shown(kind)}")
    now = data.timestamp()
    job = {
        "id": secrets.token_hex(16),
        "status": "completed",
        "source": data.customer["id"],
        "target": target,
        "types": types,
        "counts": {kind: len(getattr(data, SYNC_TYPES[kind])) for kind in types},
        "dateCreated": now,
        "dateFinished": now,
    }
    return item(data.add("env_sync_jobs", job, newest_first=True), 201)


ROUTES = [
    Route("/api/v2/env-sync/jobs", start_sync, methods=["POST"]),
    Route("/api/v2/env-sync/jobs", list_endpoint("env_sync_jobs"), methods=["GET"]),
    Route("/api/v2/env-sync/jobs/{id}", item_endpoint("env_sync_jobs", "env sync job"), methods=["GET"]),
]
