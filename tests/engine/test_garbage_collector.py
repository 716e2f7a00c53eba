"""While a source run moves records, Python's garbage collector is set for it; afterwards it is as it was.
A page's response is freed as soon as the run lets go of it, without waiting for a collection."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from trunkline.api import stream_source
from trunkline.core.errors import TrunklineError
from trunkline.rest.http import HttpClient


@pytest.fixture
def collector_as_found() -> Iterator[tuple[int, int, int]]:
    """The collector's thresholds before the test; whatever the test does, they are put back after it."""
    thresholds = gc.get_threshold()
    yield thresholds
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def _source(api, path: str = "/page") -> dict:
    return {"url": f"{api.base_url}{path}", "path_to_data": "$.data[*]",
            "pagination": {"type": "page", "size_param": "size", "size": 10, "total_pages_path": "$.meta.pages"}}


def _frozen(marker: list) -> bool:
    """Whether ``marker`` (a list, which the collector tracks) is left out of collections: frozen
    objects are the ones :func:`gc.get_objects` does not list."""
    assert gc.is_tracked(marker)
    return not any(found is marker for found in gc.get_objects())


async def _settings_seen(sources: list[dict], marker: list) -> list[tuple[tuple[int, int, int], bool, bool]]:
    """The collector's thresholds, whether ``marker`` is frozen and whether a list made just now is, at
    each source's first record and after each has ended, the sources opened one inside the other (as
    concurrent runs would be)."""
    seen = []
    streams = [stream_source(source) for source in sources]
    for stream in streams:
        await anext(stream)
        seen.append((gc.get_threshold(), _frozen(marker), _frozen([])))
    for stream in reversed(streams):
        async for _record in stream:
            pass
        seen.append((gc.get_threshold(), _frozen(marker), _frozen([])))
    return seen


def test_a_run_sets_the_collector_and_the_last_run_to_end_restores_it(paging_api, collector_as_found):
    before = collector_as_found
    marker: list = []
    seen = asyncio.run(_settings_seen([_source(paging_api), _source(paging_api)], marker))
    first, second, second_ended, first_ended = seen
    assert first[0][0] > before[0], "young collections are rarer while records move"
    assert first[0][1:] == before[1:]
    assert first[1:] == (True, False), "what existed before the run is left out of collections, not what comes"
    assert second == second_ended == first, "a second run open at once changes nothing, nor does its end"
    assert first_ended == (before, False, False), "the last run to end restores the collector"


def test_a_failed_run_restores_the_collector(paging_api, collector_as_found):
    marker: list = []

    async def fail() -> None:
        async for _record in stream_source(_source(paging_api, "/no-such-path")):
            pass

    with pytest.raises(TrunklineError):
        asyncio.run(fail())
    assert gc.get_threshold() == collector_as_found
    assert not _frozen(marker)


def test_objects_the_caller_froze_stay_frozen(paging_api, collector_as_found):
    marker: list = []
    gc.freeze()
    seen = asyncio.run(_settings_seen([_source(paging_api)], marker))
    assert seen[0][1:] == (True, False), "the run freezes nothing more"
    assert seen[1] == (collector_as_found, True, False), "the caller's freezing is left alone"


def test_a_response_is_freed_without_the_collector(paging_api, collector_as_found):
    """Responses in reference cycles would hold every page's body until a collection: with the young
    threshold a run sets, a 99-page run held them all (peak RSS 124 -> 190 MiB from 10 to 99 pages)."""

    async def fetch() -> weakref.ref:
        async with HttpClient() as client:
            response = await client.request("GET", f"{paging_api.base_url}/page", params={"size": 10})
            assert response.json()["data"]
            return weakref.ref(response)

    gc.disable()
    try:
        gone = asyncio.run(fetch())
        assert gone() is None, "the response lives on in a reference cycle"
    finally:
        gc.enable()
