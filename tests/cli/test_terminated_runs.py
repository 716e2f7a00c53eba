"""A ``trunkline source run`` stopped by SIGTERM (what a process manager or ``kill`` sends) cleans up as Ctrl-C does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.common.fault_profile import FaultProfile
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def slow_bf() -> Iterator[RunningEmulator]:
    """An emulator that takes 0.3 s over every read, so a run of a month of calls lasts a few seconds."""
    slow = FaultProfile(rate=1.0, kinds=("slow",), slow=0.3, methods=("GET",))
    with start_in_thread(create_app(seed=5, faults=slow)) as running:
        yield running


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_run_stopped_by_sigterm_leaves_no_file_and_says_so(slow_bf, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "calls.yaml"
    source.write_text(yaml.safe_dump({"credential": babelforce_credential(slow_bf), "template": "list_call_records",
                                      "params": {"start_date": "{now-30}", "end_date": "{now}"}}))
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "TRUNKLINE_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    run = subprocess.Popen([sys.executable, "-m", "trunkline", "source", "run", str(source), "--output",
                            str(out / f"calls{suffix}")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not any(entry["path"].startswith("/api/v2/calls") for entry in slow_bf.app.state.control.requests()):
        assert time.monotonic() < deadline, "the run never reached the service"
        time.sleep(0.05)
    time.sleep(0.5)  # pages are being fetched and written
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=20)
    assert run.returncode == 128 + signal.SIGTERM, stderr.decode()[-800:]
    assert "terminated" in stderr.decode()
    assert list(out.iterdir()) == []  # no partial file, no hidden .part or .spool
