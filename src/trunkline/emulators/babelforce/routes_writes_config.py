"""Writes to account configuration: create IVR applications and calendars, create and update triggers."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .data import Dataset
from .errors import not_found
from .fields import Invalid, flag, json_object, listing, mapping, one_of, present, shown, text, words
from .listing import Entity, dataset
from .paging import item

IVR_MODULES = ("agentQueue", "agentic", "audioPlayer", "consumerQueue", "inputReader", "inputReader.v2",
               "promptPlayer", "realtime", "recording", "simpleMenu", "speechToText", "switchNode", "textToSpeech",
               "transfer")
TRIGGER_TYPES = ("ALL", "ANY")
TRIGGER_OPERATORS = ("EQ", "NEQ", "GT", "GE", "LT", "LE", "REGEXP", "LIKE", "GIVEN", "NOT_GIVEN", "STARTS_WITH",
                     "ENDS_WITH", "CONTAINS", "NOT_CONTAINS", "IS_NULL", "IS_NOT_NULL", "EVALUABLE", "NOT_EVALUABLE")


def _unique_name(items: list[Entity], name: str, kind: str, own_id: str | None = None) -> str:
    """``name`` if no other entity of ``items`` uses it (case-insensitive), else a 400."""
    if any(entity["name"].lower() == name.lower() and entity["id"] != own_id for entity in items):
        raise Invalid("name", f"'{name}' is already used by another {kind}")
    return name


async def create_application(request: Request) -> Response:
    """``POST /api/v2/applications`` ``{name, module}`` (+ ``friendlyName``, ``enabled``, ``tags``,
    ``settings``) → 201 ``{item: Application}``."""
    data = dataset(request)
    body = await json_object(request)
    name = text(body, "name", required=True)
    module = one_of(body, "module", IVR_MODULES, required=True)
    enabled, tags, settings = flag(body, "enabled"), words(body, "tags"), mapping(body, "settings")
    friendly = text(body, "friendlyName") or name.lower().replace(" ", "-").replace(":", "")
    now = data.timestamp()
    application = {
        "id": secrets.token_hex(16),
        "name": name,
        "friendlyName": friendly,
        "enabled": True if enabled is None else enabled,
        "dateCreated": now,
        "lastUpdated": now,
        "tags": tags or [],
        "routings": [],
        "settings": settings if settings is not None else {"prompts": []},
        "module": module,
    }
    return item(data.add("applications", application), 201)


def _time_zone(body: Entity) -> str:
    """A required IANA time zone name."""
    zone = text(body, "timeZone", required=True)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("timeZone", f"must be an IANA time zone such as Europe/Berlin, got {shown(zone)}") from None
    return zone


async def create_calendar(request: Request) -> Response:
    """``POST /api/v2/calendars`` ``{name, timeZone}`` (+ ``enabled``, ``tags``) → 201 ``{item: Calendar}``;
    names are unique."""
    data = dataset(request)
    body = await json_object(request)
    name = _unique_name(data.calendars, text(body, "name", required=True), "calendar")
    zone = _time_zone(body)
    enabled, tags = flag(body, "enabled"), words(body, "tags")
    calendar = {"id": secrets.token_hex(16), "name": name, "timeZone": zone,
                "enabled": True if enabled is None else enabled, "dateCount": 0, "tags": tags or []}  # fmt: skip
    return item(data.add("calendars", calendar), 201)


def _conditions(body: Entity, required: bool) -> list[Entity] | None:
    """Trigger conditions ``[{expression, operator, expectation}]``, each given a fresh id."""
    conditions = listing(body, "conditions", required)
    if conditions is None:
        return None
    parsed = []
    for index, condition in enumerate(conditions):
        field = f"conditions[{index}]"
        if not isinstance(condition, dict):
            raise Invalid(field, f"must be an object, got {shown(condition)}")
        try:
            expression = text(condition, "expression", required=True)
            operator = one_of(condition, "operator", TRIGGER_OPERATORS, required=True)
            expectation = present(condition, "expectation", required=True)
            if not isinstance(expectation, str):
                raise Invalid("expectation", f"must be a string, got {shown(expectation)}")
        except Invalid as error:
            raise Invalid(f"{field}.{error.field}", error.problem) from None
        parsed.append({"id": secrets.token_hex(16), "expression": expression, "operator": operator,
                       "expectation": expectation})  # fmt: skip
    return parsed


def _trigger_fields(data: Dataset, body: Entity, own_id: str | None) -> Entity:
    """The validated trigger fields of a body; all but ``tags`` required when creating (no ``own_id``)."""
    creating = own_id is None
    name = text(body, "name", creating)
    fields = {
        "name": None if name is None else _unique_name(data.triggers, name, "trigger", own_id),
        "type": one_of(body, "type", TRIGGER_TYPES, creating),
        "conditions": _conditions(body, creating),
        "tags": words(body, "tags"),
    }
    return {key: value for key, value in fields.items() if value is not None}


async def create_trigger(request: Request) -> Response:
    """``POST /api/v2/triggers`` ``{name, type, conditions}`` (+ ``tags``) → 201 ``{item: Trigger}``."""
    data = dataset(request)
    fields = _trigger_fields(data, await json_object(request), None)
    trigger = {"id": secrets.token_hex(16), **fields}
    trigger.setdefault("tags", [])
    return item(data.add("triggers", trigger), 201)


async def update_trigger(request: Request) -> Response:
    """``PUT /api/v2/triggers/{id}``: any of the create fields (``conditions`` replaces them all) → 200."""
    data = dataset(request)
    trigger = data.by_id["triggers"].get(request.path_params["id"])
    if trigger is None:
        raise not_found("trigger", request.path_params["id"])
    trigger.update(_trigger_fields(data, await json_object(request), trigger["id"]))
    return item(trigger)


ROUTES = [
    Route("/api/v2/applications", create_application, methods=["POST"]),
    Route("/api/v2/calendars", create_calendar, methods=["POST"]),
    Route("/api/v2/triggers", create_trigger, methods=["POST"]),
    Route("/api/v2/triggers/{id}", update_trigger, methods=["PUT"]),
]
