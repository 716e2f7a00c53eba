"""Account configuration: queues, numbers, IVR applications, business hours, calendars, triggers and
the invented call-flow view."""

from __future__ import annotations

from starlette.routing import Route

from .listing import contains, equals, flag, item_endpoint, list_endpoint

_NAMED = {"name": contains("name")}
_COLLECTIONS = (
    # (path, dataset collection, label, filters)
    ("/api/v2/queues", "queues", "queue", _NAMED),
    ("/api/v2/numbers", "numbers", "number", {"number": contains("number"), "enabled": flag("enabled")}),
    ("/api/v2/applications", "applications", "application", {**_NAMED, "module": equals("module")}),
    ("/api/v2/business-hours", "business_hours", "business hours", _NAMED),
    ("/api/v2/calendars", "calendars", "calendar", _NAMED),
    ("/api/v2/triggers", "triggers", "trigger", {**_NAMED, "type": equals("type")}),
    # Invented: the real API has no call-flow resource (see docs/emulators.md).
    ("/api/v2/call-flows", "call_flows", "call flow", {**_NAMED, "enabled": flag("enabled")}),
)

ROUTES = [
    route
    for path, collection, label, filters in _COLLECTIONS
    for route in (
        Route(path, list_endpoint(collection, filters), methods=["GET"]),
        Route(f"{path}/{{id}}", item_endpoint(collection, label), methods=["GET"]),
    )
]
