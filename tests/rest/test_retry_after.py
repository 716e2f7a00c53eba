"""``Retry-After``: whole and fractional delta-seconds and HTTP dates; a fractional one is waited out
against a real 429 of the emulator, not replaced by the client's own (shorter) backoff."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import pytest

from trunkline.api import read_source
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread
from trunkline.rest.http import RetryPolicy, parse_retry_after


@pytest.mark.parametrize(("header", "seconds"), [
    ("2", 2.0), ("0.5", 0.5), (" 1.25 ", 1.25), ("0", 0.0), ("10.0", 10.0),
    (None, None), ("", None), ("soon", None), ("-1", None), ("1.", None), (".5", None), ("1e3", None),
    ("0x10", None), ("1.5.2", None),
])
def test_delta_seconds_whole_or_fractional(header, seconds):
    assert parse_retry_after(header) == seconds


def test_an_http_date_is_the_time_left_until_then():
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= parse_retry_after(later) <= 30
    assert parse_retry_after(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=12)) as running:
        yield running


def test_a_fractional_retry_after_is_waited_out(bf):
    creds = bf.app.state.credentials
    source = {"credential": {"service": "babelforce", "base_url": bf.base_url, "access_id": creds.access_id,
                             "access_token": creds.access_token}, "template": "list_agents"}
    bf.app.state.control.add_fault(status=429, retry_after=0.5, path_prefix="/api/v2/agents", count=1)
    # a tiny backoff: only the header can make the client wait as long as half a second
    records = read_source(source, retry=RetryPolicy(base_delay=0.01, max_delay=0.02))
    assert len(records) == len(bf.app.state.data.agents)
    first, second = [entry for entry in bf.app.state.control.requests() if entry["path"] == "/api/v2/agents"][:2]
    assert first["status"] == 429 and second["status"] == 200
    assert second["time"] - first["time"] >= 0.5
