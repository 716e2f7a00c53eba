"""What ``page`` and ``offset`` paging count, and when paging must stop, over real HTTP.

Against the Babelforce emulator (its own data is the expected answer) and, for services that ignore
the paging parameters, a small API served on loopback by this module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.babelforce_access import babelforce_credential
from tests.cli.run import run_cli
from trunkline.api import read_source
from trunkline.core.errors import PaginationError
from trunkline.emulators.server import RunningEmulator, start_in_thread

ENABLED = "$.items[?@.enabled == true]"
#: The stubborn API below answers this many requests, then empty pages: a run that does not stop by itself
#: ends there instead of hanging the test.
STUBBORN_REQUESTS = 40


def ids(records: list[dict[str, Any]]) -> list[Any]:
    return [record["id"] for record in records]


def enabled_agent_ids(emulator: RunningEmulator) -> list[str]:
    return [agent["id"] for agent in emulator.app.state.data.agents if agent["enabled"] is True]


# --- a filter in path_to_data: paging counts the rows the page held -----------------------------------------

def test_page_paging_with_a_filter_reads_every_matching_record(emulator):
    records = read_source({"credential": babelforce_credential(emulator), "url": "/api/v2/agents",
                           "path_to_data": ENABLED, "pagination": {"type": "page"}})
    first_page = emulator.app.state.data.agents[:100]
    assert 0 < sum(agent["enabled"] is True for agent in first_page) < 100  # the filter makes the first page short
    assert ids(records) == enabled_agent_ids(emulator)


def test_offset_paging_with_a_filter_and_a_total_gives_each_record_once(emulator):
    records = read_source({"credential": babelforce_credential(emulator), "url": "/api/v2/agents",
                           "path_to_data": ENABLED,
                           "pagination": {"type": "offset", "limit": 100, "total_records_path": "$.pagination.total"}})
    assert ids(records) == enabled_agent_ids(emulator)


def test_offset_paging_with_a_filter_and_no_total_reads_every_matching_record(emulator):
    records = read_source({"credential": babelforce_credential(emulator), "url": "/api/v2/agents",
                           "path_to_data": ENABLED, "pagination": {"type": "offset", "limit": 50}})
    assert ids(records) == enabled_agent_ids(emulator)


def test_a_page_whose_rows_all_fail_the_filter_does_not_end_paging(emulator):
    last = emulator.app.state.data.agents[-1]["id"]
    records = read_source({"credential": babelforce_credential(emulator), "url": "/api/v2/agents",
                           "path_to_data": f"$.items[?@.id == '{last}']",
                           "pagination": {"type": "page", "size": 50}})
    assert ids(records) == [last]


def test_run_summary_counts_pages_and_records_of_a_filtered_source(emulator, tmp_path):
    source = tmp_path / "enabled-agents.yaml"
    source.write_text(yaml.safe_dump({"credential": babelforce_credential(emulator), "url": "/api/v2/agents",
                                      "path_to_data": ENABLED, "pagination": {"type": "page", "size": 100}}))
    output = tmp_path / "agents.jsonl"
    result = run_cli("source", "run", str(source), "--output", str(output), "--json",
                     env={"TRUNKLINE_HOME": str(tmp_path / "home")})
    summary = json.loads(result.stdout)
    written = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    expected = enabled_agent_ids(emulator)
    assert summary["records"] == len(expected) and summary["pages"] == 3  # 230 agents, 100 a page
    assert written == expected and len(set(written)) == len(written)


# --- a total record count, and a service that caps the page size ---------------------------------------------

def test_page_paging_with_a_total_goes_on_when_the_service_caps_the_page_size(emulator, tmp_path):
    source = tmp_path / "calls.yaml"
    source.write_text(yaml.safe_dump({
        "credential": babelforce_credential(emulator), "url": "/api/v2/calls/reporting/simple",
        "path_to_data": "$.items[*]",
        "pagination": {"type": "page", "size": 5000, "total_records_path": "$.pagination.total"},
    }))
    output = tmp_path / "calls.jsonl"
    result = run_cli("source", "run", str(source), "--output", str(output), "--json",
                     env={"TRUNKLINE_HOME": str(tmp_path / "home")})
    summary = json.loads(result.stdout)
    calls = emulator.app.state.data.calls
    assert len(calls) > 1000  # the emulator serves at most 1,000 a page
    written = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert summary["records"] == len(calls) and summary["pages"] == -(-len(calls) // 1000)
    assert sorted(written) == sorted(call["id"] for call in calls)


# --- a service that ignores the paging parameters ------------------------------------------------------------

class StubbornApi:
    """Serves the same ten items whatever page is asked for, each time with a fresh request id (and, on
    ``/cursor``, a fresh next-page cursor), so no two responses are alike byte for byte."""

    items = [{"id": n, "name": f"item-{n}"} for n in range(1, 11)]

    def __init__(self) -> None:
        self.requests = 0

    async def items_endpoint(self, request: Request) -> Response:
        self.requests += 1
        items = self.items if self.requests <= STUBBORN_REQUESTS else []
        body: dict[str, Any] = {"requestId": str(uuid.uuid4()), "items": items, "total": 1000}
        if request.url.path == "/cursor":
            body["next"] = f"/cursor?cursor={uuid.uuid4().hex}"
        return JSONResponse(body)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/items", self.items_endpoint), Route("/cursor", self.items_endpoint)])


@pytest.fixture
def stubborn() -> Iterator[tuple[StubbornApi, RunningEmulator]]:
    api = StubbornApi()
    with start_in_thread(api.app()) as running:
        yield api, running


STUBBORN_CASES = {
    "page without total": ("/items", {"type": "page", "size": 10}),
    "page with total records": ("/items", {"type": "page", "size": 10, "total_records_path": "$.total"}),
    "offset with total records": ("/items", {"type": "offset", "limit": 10, "total_records_path": "$.total"}),
    "next url with a fresh cursor": ("/cursor", {"type": "next_url", "next_path": "$.next"}),
}


@pytest.mark.parametrize(("path", "pagination"), STUBBORN_CASES.values(), ids=STUBBORN_CASES.keys())
def test_records_repeating_page_after_page_stop_with_a_clear_error(stubborn, path, pagination):
    api, running = stubborn
    with pytest.raises(PaginationError) as caught:
        read_source({"url": running.base_url + path, "path_to_data": "$.items[*]", "pagination": pagination})
    message = str(caught.value)
    assert "same records" in message and f"{running.base_url}{path}" in message
    assert "paging parameter names" in message
    assert api.requests <= 3


def test_repeating_records_fail_the_cli_run_with_the_fix(stubborn, tmp_path):
    api, running = stubborn
    source = tmp_path / "stubborn.yaml"
    source.write_text(yaml.safe_dump({"url": running.base_url + "/items", "path_to_data": "$.items[*]",
                                      "pagination": {"type": "page", "size": 10}}))
    result = run_cli("source", "run", str(source), "--output", str(tmp_path / "out.jsonl"), expect_exit=1,
                     env={"TRUNKLINE_HOME": str(tmp_path / "home")})
    assert "same records" in result.stderr and "paging parameter names" in result.stderr
    assert api.requests <= 3


def test_pages_with_the_same_first_and_last_record_but_other_rows_between_go_on(tmp_path):
    # a probe on the first and last row alone would take these pages for repeats: the full comparison does not
    async def pages(request: Request) -> Response:
        page = int(request.query_params.get("page", 1))
        rows = [{"kind": "edge"}, {"kind": "middle", "page": page}, {"kind": "edge"}] if page <= 4 else []
        return JSONResponse({"items": rows})

    with start_in_thread(Starlette(routes=[Route("/rows", pages)])) as running:
        records = read_source({"url": running.base_url + "/rows", "path_to_data": "$.items[*]",
                               "pagination": {"type": "page", "size": 3}})
    assert [record.get("page") for record in records if record["kind"] == "middle"] == [1, 2, 3, 4]


def test_the_byte_for_byte_guard_still_names_the_repeated_page(tmp_path):
    async def same(request: Request) -> Response:
        return Response(b'{"items": [{"id": 1}, {"id": 2}]}', media_type="application/json")

    with start_in_thread(Starlette(routes=[Route("/same", same)])) as running, \
            pytest.raises(PaginationError, match="repeats page 1"):
        read_source({"url": running.base_url + "/same", "path_to_data": "$.items[*]",
                     "pagination": {"type": "page", "size": 2}})
