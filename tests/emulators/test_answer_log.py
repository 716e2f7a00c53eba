"""The emulators log a request before the client can read the end of its answer, so a test that reads the
log as soon as the answer is back always finds the request there."""

from __future__ import annotations

import asyncio
from typing import Any

from trunkline.emulators.babelforce.app import create_app as babelforce_app
from trunkline.emulators.callrail.app import create_app as callrail_app


def logged_when_answer_ends(app: Any, path: str, headers: dict[str, str], log: Any) -> list[bool]:
    """Send one GET through the app's ASGI interface; for each body message, whether the log already held it."""
    seen: list[bool] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            seen.append(any(entry["path"] == path for entry in log()))

    asyncio.run(app(scope, receive, send))
    return seen


def test_babelforce_logs_a_request_before_its_answer_is_complete() -> None:
    app = babelforce_app(seed=2)
    creds = app.state.credentials
    headers = {"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token}
    assert logged_when_answer_ends(app, "/api/v2/agents", headers, app.state.control.requests) == [True]


def test_callrail_logs_a_request_before_its_answer_is_complete() -> None:
    app = callrail_app(seed=2)
    creds = app.state.credentials
    path = f"/v3/a/{creds.account_id}/calls.json"
    headers = {"Authorization": f'Token token="{creds.api_key}"'}
    assert logged_when_answer_ends(app, path, headers, app.state.requests.entries) == [True]
