"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture(scope="session")
def babelforce_emulator() -> Iterator[RunningEmulator]:
    """The Babelforce emulator (``create_app(seed=7)``, small data) over real HTTP for the session.

    Shared: use it read-only. Tests that inject faults, expire tokens or read the request log should
    start their own emulator.
    """
    with start_in_thread(create_app(seed=7)) as running:
        yield running
