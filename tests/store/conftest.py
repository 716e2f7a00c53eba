"""Keep the caller's environment out of store tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUNKLINE_HOME", raising=False)
    monkeypatch.delenv("TRUNKLINE_SECRET_KEY", raising=False)
