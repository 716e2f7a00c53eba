"""Random and hostile input through the public entry points: only clear, typed errors come out.

Property-based (hypothesis) over configs, macros, JSONPaths and records; and hostile responses (huge,
deeply nested, wrong content type, invalid UTF-8) from a real server on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from trunkline.api import preview, read_source, show_destination, show_source
from trunkline.connectors.resolve import load_source, open_source
from trunkline.core.errors import TrunklineError
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.flows.runner import load_flow
from trunkline.rest.extract import extract_records, parse_body
from trunkline.rest.macros import MacroContext, render

NOW = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)
SOURCE_KEYS = ["credential", "method", "url", "query", "headers", "body", "content_format", "response_format",
               "path_to_data", "path_to_metadata", "pagination", "lookup", "date_format", "time_unit", "template",
               "params", "typo"]
DESTINATION_KEYS = ["credential", "method", "url", "headers", "content_format", "body", "exclude", "batch",
                    "capture_responses", "validate", "default_region", "rate_limits", "mode", "template", "params"]
FLOW_KEYS = ["name", "source", "transforms", "nexset", "incremental", "destinations", "schedule", "retry"]


def mappings(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), values, max_size=6)


@FAST
@given(text=st.text(max_size=60), date_format=st.text(max_size=20))
def test_macros_render_or_raise_a_typed_error(text, date_format):
    with contextlib.suppress(TrunklineError):
        render(text, MacroContext(now=NOW, date_format=date_format or "yyyy", values={"lookup.id": "x"}))


@FAST
@given(document=values, path=st.text(max_size=40))
def test_any_path_on_any_document_extracts_or_raises_a_typed_error(document, path):
    body = parse_body(json.dumps(document, default=str).encode(), "application/json")
    try:
        records = extract_records(body, path)
    except TrunklineError:
        return
    assert all(isinstance(record, dict) for record in records)


@FAST
@given(raw=mappings(SOURCE_KEYS))
def test_random_sources_are_accepted_or_refused_clearly(raw):
    try:
        show_source(raw)
    except TrunklineError as error:
        assert str(error)


@FAST
@given(raw=mappings(DESTINATION_KEYS))
def test_random_destinations_are_accepted_or_refused_clearly(raw):
    try:
        show_destination(raw)
    except TrunklineError as error:
        assert str(error)


@FAST
@given(raw=mappings(FLOW_KEYS))
def test_random_flows_are_accepted_or_refused_clearly(raw):
    try:
        load_flow(raw)
    except TrunklineError as error:
        assert str(error)


@FAST
@given(records=st.lists(st.dictionaries(st.sampled_from(["uid", "number", "rank", "data", "id", "x"]), values,
                                        max_size=5), max_size=5))
def test_random_records_become_requests_or_kept_with_a_reason(records):
    destination = {"url": "http://127.0.0.1:9/leads/{id}", "method": "PUT", "default_region": "DE",
                   "validate": {"required": ["uid"], "integer": ["rank"], "phone": ["number"]},
                   "body": {"uid": "{uid}", "rank": "{rank}", "note": "n={number}"}}
    requests, not_sent = preview(destination, records, limit=len(records) or 1, now=NOW)
    assert len(requests) + len(not_sent) == len(records)
    assert all(outcome.reason for outcome in not_sent)


async def huge(_request: Any) -> Response:
    return Response(b"[" + b"1," * 3_000_000 + b"1]", media_type="application/json")


async def deep(_request: Any) -> Response:
    return Response(b"[" * 100_000 + b"]" * 100_000, media_type="application/json")


async def bad_utf8(_request: Any) -> Response:
    return Response(b'{"items": ["\xff\xfe\xfa"]}', media_type="application/json")


async def html(_request: Any) -> Response:
    return Response(b"<html><body><h1>Maintenance</h1><p>back soon", media_type="text/html")


@pytest.fixture(scope="module")
def hostile() -> Iterator[RunningEmulator]:
    app = Starlette(routes=[Route("/huge", huge), Route("/deep", deep), Route("/bad-utf8", bad_utf8),
                            Route("/html", html)])
    with start_in_thread(app) as running:
        yield running


@pytest.mark.parametrize("path", ["/deep", "/bad-utf8", "/html"])
def test_hostile_responses_are_refused_with_a_clear_error(hostile, path):
    with pytest.raises(TrunklineError) as raised:
        read_source({"url": f"{hostile.base_url}{path}", "path_to_data": "$.items[*]"})
    assert path in str(raised.value)


def test_a_response_over_the_size_limit_is_refused_without_reading_it_all(hostile):
    async def fetch() -> None:
        async with open_source(load_source({"url": f"{hostile.base_url}/huge"})) as source:
            source.client.max_response_bytes = 1_000_000
            async for _ in source.records():
                pass

    with pytest.raises(TrunklineError, match="larger than 1000000 bytes"):
        asyncio.run(fetch())
