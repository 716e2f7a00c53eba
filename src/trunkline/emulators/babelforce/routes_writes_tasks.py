"""Submitting v3 tasks: ``POST /api/v3/tasks`` (and the seed's ``/api/v2/tasks`` alias).

The body is the task automation ``SubmitTask``: ``body`` (an object) is required, unknown properties
are rejected (the schema forbids them), and errors use the v3 ``{error_message, error_detail}`` body.
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import ApiError
from .fields import Invalid, json_object, mapping, shown, text
from .listing import Entity, dataset

SUBMIT_FIELDS = ("id", "queue_id", "type", "body", "actions", "task_completion", "selection_settings", "scheduled_at")
TASK_TYPE = re.compile(r"^[a-zA-Z0-9._-]+$")
SCHEDULED_AT = re.compile(r"^(now|at \d+|in( \d+(w|d|h|min|sec))+)$")
DEFAULT_TYPE = "babelforce.task"


def _task_id(body: Entity) -> str | None:
    """A client-chosen task id: a UUID, kept as sent."""
    task_id = text(body, "id")
    if task_id is not None:
        try:
            uuid.UUID(task_id)
        except ValueError:
            raise Invalid("id", f"must be a UUID, got {shown(task_id)}") from None
    return task_id


def _matching(body: Entity, field: str, pattern: re.Pattern[str], example: str) -> str | None:
    value = text(body, field)
    if value is not None and not pattern.match(value):
        raise Invalid(field, f"must look like {example}, got {shown(value)}")
    return value


async def submit_task(request: Request) -> Response:
    """Create a ``Scheduled`` task → 201 with the bare ``Task`` (as ``GET /api/v3/tasks/{id}`` returns it)."""
    data = dataset(request)
    body = await json_object(request)
    unknown = sorted(set(body) - set(SUBMIT_FIELDS))
    if unknown:
        raise Invalid(unknown[0], f"is not a task property; use {', '.join(SUBMIT_FIELDS)}")
    task_id = _task_id(body) or str(uuid.uuid4())
    if task_id in data.by_id["tasks"]:
        raise ApiError(409, f"task '{task_id}' already exists")
    payload = mapping(body, "body", required=True)
    task_type = _matching(body, "type", TASK_TYPE, "babelforce.call.inbound") or DEFAULT_TYPE
    scheduled = _matching(body, "scheduled_at", SCHEDULED_AT, "now, at <epoch ms> or in 1d 5h") or "now"
    task: Entity = {"id": task_id}
    queue_id = text(body, "queue_id")
    if queue_id is not None:
        task["queue_id"] = queue_id
    task.update(
        {
            "customer_id": data.customer["id"],
            "created_at": int(data.clock() * 1000),
            "body": payload,
            "type": task_type,
            "state": "Scheduled",
            "actions": mapping(body, "actions") or {},
            "task_completion": mapping(body, "task_completion") or {"autoComplete": False},
            "selection_settings": mapping(body, "selection_settings") or {"enable": True, "auto_accept": False,
                                                                           "priority": 0},
            "scheduled_at": scheduled,
            "has_error": False,
        }
    )
    data.add("tasks", task, newest_first=True)
    return JSONResponse(task, status_code=201)


ROUTES = [
    Route("/api/v3/tasks", submit_task, methods=["POST"]),
    Route("/api/v2/tasks", submit_task, methods=["POST"]),
]
