"""A small write API for destination tests: it stores what it receives and refuses what it should.

- ``POST /items`` takes one object, a JSON array, or ``{"items": [...], ...}``; any item with
  ``"bad": true`` makes the whole request fail with 400 naming the item (all-or-nothing, like a real
  bulk endpoint). Accepted items are stored in ``app.state.items`` with a ``seq`` number.
- ``PUT /items/{id}`` stores ``{id, **body}``.
- ``POST /form`` takes form fields; ``POST /lines`` takes NDJSON.
- ``POST /flaky`` answers 500 after storing the item (the service acted, then failed).
- ``POST /limited`` allows 3 requests per second and answers 429 beyond that; it counts a request when
  it has read it, after the next of ``app.state.limited_delays`` (seconds), if any: a request the
  network delayed.
Every request is logged in ``app.state.received`` (method, path, headers, body text).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def _log(request: Request) -> str:
    text = (await request.body()).decode("utf-8")
    raw_path = request.scope["raw_path"].decode("ascii")
    request.app.state.received.append({"method": request.method, "path": raw_path,
                                       "headers": dict(request.headers), "body": text})
    return text


def _items_of(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        return payload["items"]
    return [payload]


async def post_items(request: Request) -> Response:
    items = _items_of(json.loads(await _log(request)))
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.get("bad"):
            return JSONResponse({"message": f"item {index} is not acceptable"}, status_code=400)
    stored = request.app.state.items
    for item in items:
        stored.append({**item, "seq": len(stored) + 1})
    created = stored[-len(items):]
    return JSONResponse({"created": created}, status_code=201, headers={"Location": f"/items/{created[0]['seq']}"})


async def put_item(request: Request) -> Response:
    body = json.loads(await _log(request))
    item = {"id": request.path_params["id"], **body}
    request.app.state.updated.append(item)
    return JSONResponse({"item": item})


async def post_form(request: Request) -> Response:
    request.app.state.items.append(dict(parse_qsl(await _log(request))))
    return JSONResponse({"ok": True}, status_code=201)


async def post_lines(request: Request) -> Response:
    text = await _log(request)
    request.app.state.items.extend(json.loads(line) for line in text.splitlines() if line)
    return JSONResponse({"ok": True}, status_code=201)


async def post_flaky(request: Request) -> Response:
    request.app.state.items.append(json.loads(await _log(request)))
    return JSONResponse({"message": "internal error"}, status_code=500)


async def post_limited(request: Request) -> Response:
    await _log(request)
    delays = request.app.state.limited_delays
    if delays:
        await asyncio.sleep(delays.pop(0))
    now = time.monotonic()
    window = [moment for moment in request.app.state.limited if moment > now - 1.0]
    if len(window) >= 3:
        request.app.state.refused += 1
        return JSONResponse({"message": "rate limited"}, status_code=429, headers={"Retry-After": "1"})
    window.append(now)
    request.app.state.limited = window
    return JSONResponse({"ok": True}, status_code=201)


def create_sink_app() -> Starlette:
    """A fresh sink with empty state."""
    app = Starlette(routes=[
        Route("/items", post_items, methods=["POST"]),
        Route("/items/{id}", put_item, methods=["PUT"]),
        Route("/form", post_form, methods=["POST"]),
        Route("/lines", post_lines, methods=["POST"]),
        Route("/flaky", post_flaky, methods=["POST"]),
        Route("/limited", post_limited, methods=["POST"]),
    ])
    app.state.received, app.state.items, app.state.updated = [], [], []
    app.state.limited, app.state.refused, app.state.limited_delays = [], 0, []
    return app
