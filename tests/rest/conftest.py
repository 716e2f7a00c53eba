"""Fixtures of the REST engine's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    """A Babelforce emulator of the test module's own: the shared one is written to by other tests (calls,
    leads), and these tests compare counts with the emulator's data."""
    with start_in_thread(create_app(seed=7)) as running:
        yield running
