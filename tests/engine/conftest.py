"""Fixtures for engine tests: the generic paging API on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.paging_server import create_paging_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture(scope="session")
def paging_api() -> Iterator[RunningEmulator]:
    """The paging test API, served over real HTTP for the whole session."""
    with start_in_thread(create_paging_app()) as running:
        yield running


@pytest.fixture
def sink() -> Iterator[RunningEmulator]:
    """A fresh write API (tests/engine/sink_server.py) for one test."""
    from tests.engine.sink_server import create_sink_app

    with start_in_thread(create_sink_app()) as running:
        yield running
