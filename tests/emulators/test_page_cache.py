"""The emulator's opt-in page cache (benchmarks): rendered once, served as bytes, forgotten on a write,
and never in the way of authentication."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread

CALLS = "/api/v2/calls/reporting"


@pytest.fixture(scope="module")
def cached() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=5, cached_paths=[CALLS])) as running:
        yield running


@pytest.fixture(scope="module")
def client(cached: RunningEmulator) -> Iterator[httpx.Client]:
    credentials = cached.app.state.credentials
    headers = {"X-Auth-Access-Id": credentials.access_id, "X-Auth-Access-Token": credentials.access_token}
    with httpx.Client(base_url=cached.base_url, headers=headers) as http:
        yield http


def test_a_page_is_rendered_once_and_served_again_until_a_write(cached: RunningEmulator, client: httpx.Client):
    first = client.get(CALLS, params={"page": 2, "max": 50})
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    calls = cached.app.state.data.calls
    original = calls[50]["state"]
    calls[50]["state"] = "changed behind the cache"
    try:
        again = client.get(CALLS, params={"max": 50, "page": 2})  # same query, other order: same entry
        assert again.content == first.content
        other_page = client.get(CALLS, params={"page": 1, "max": 51}).json()
        assert other_page["items"][50]["state"] == "changed behind the cache"
        client.post("/api/v2/outbound/lists", json={"name": "clears the page cache"}).raise_for_status()
        fresh = client.get(CALLS, params={"page": 2, "max": 50}).json()
        assert fresh["items"][0]["state"] == "changed behind the cache"
    finally:
        calls[50]["state"] = original


def test_cached_pages_still_need_credentials_and_errors_are_not_kept(cached: RunningEmulator, client: httpx.Client):
    client.get(CALLS, params={"page": 1, "max": 10}).raise_for_status()
    refused = httpx.get(f"{cached.base_url}{CALLS}", params={"page": 1, "max": 10})
    assert refused.status_code == 401
    assert client.get(CALLS, params={"page": "x"}).status_code == 400
    assert client.get(CALLS, params={"page": "x"}).status_code == 400


def test_without_cached_paths_there_is_no_cache() -> None:
    app = create_app(seed=5)
    assert all(middleware.cls.__name__ != "PageCache" for middleware in app.user_middleware)
