"""v3 task automation: ``/api/v3/tasks`` (and the seed's ``/api/v2/tasks`` alias) and single tasks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import rsql
from .errors import not_found
from .listing import dataset
from .paging import v3_paginated


async def tasks(request: Request) -> Response:
    """Tasks, newest first, paged by ``page``/``page_size`` and narrowed by an RSQL ``filter``."""
    records = dataset(request).tasks
    expression = request.query_params.get("filter")
    if expression:
        keep = rsql.parse(expression)
        records = [record for record in records if keep(record)]
    return v3_paginated(request, records)


async def task(request: Request) -> Response:
    """One task by its UUID (the bare ``Task`` object, as task automation answers)."""
    task_id = request.path_params["id"]
    found = dataset(request).by_id["tasks"].get(task_id)
    if found is None:
        raise not_found("task", task_id)
    return JSONResponse(found)


ROUTES = [
    Route("/api/v3/tasks", tasks, methods=["GET"]),
    Route("/api/v2/tasks", tasks, methods=["GET"]),
    Route("/api/v3/tasks/{id}", task, methods=["GET"]),
]
