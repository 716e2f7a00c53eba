"""A CSV input whose header repeats a column name, or leaves one empty, is refused before anything is read
or sent: the error names the file, the column(s) and the fix. Runs ``trunkline`` against the Babelforce
emulator, as a user does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.cli.run import run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=12)) as running:
        yield running


@pytest.fixture
def destination(tmp_path: Path, bf: RunningEmulator) -> tuple[Path, dict[str, str]]:
    """A destination adding leads to a fresh outbound list, and the environment holding its password."""
    creds = bf.app.state.credentials
    token = httpx.post(f"{bf.base_url}/oauth/token", data={"grant_type": "password", "username": creds.username,
                                                          "password": creds.password}).json()["access_token"]
    list_id = httpx.post(f"{bf.base_url}/api/v2/outbound/lists", json={"name": "csv columns"},
                         headers={"Authorization": f"Bearer {token}"}).json()["item"]["id"]
    path = tmp_path / "leads-out.yaml"
    path.write_text(yaml.safe_dump({
        "credential": {"service": "babelforce", "base_url": bf.base_url, "username": creds.username,
                       "password": "${BF_PASSWORD}"},
        "template": "add_outbound_lead", "params": {"list_id": list_id}}))
    wait_until_logged(bf, "/api/v2/outbound/lists")  # the log is written after the answer: then clear it
    bf.app.state.control.clear_requests()
    return path, {"BF_PASSWORD": creds.password, "TRUNKLINE_HOME": str(tmp_path / "home")}


def wait_until_logged(bf: RunningEmulator, path: str) -> None:
    """Wait (up to 5 s) until the emulator's request log holds a request to ``path``."""
    deadline = time.monotonic() + 5
    while not any(entry["path"] == path for entry in bf.app.state.control.requests()):
        assert time.monotonic() < deadline, f"{path} never logged"
        time.sleep(0.01)


def one_line(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.mark.parametrize("command", ["preview", "test", "run"])
def test_a_repeated_column_name_is_refused_before_anything_is_sent(destination, bf, tmp_path, command):
    path, env = destination
    leads = tmp_path / "leads.csv"
    leads.write_text("uid,uid,number,rank\nd1,d2,+4916098140010,1\n")
    result = run_cli("destination", command, str(path), "-i", str(leads), env=env, expect_exit=2, columns=200)
    message = one_line(result.stdout + result.stderr)
    assert str(leads) in message
    assert "'uid'" in message and "columns 1 and 2" in message
    assert "rename" in message
    assert bf.app.state.control.requests() == []  # not even a token was asked for


def test_every_repeated_column_is_named(destination, tmp_path):
    path, env = destination
    leads = tmp_path / "leads.csv"
    leads.write_text("uid,number,uid,rank,number,uid\n1,2,3,4,5,6\n")
    result = run_cli("destination", "preview", str(path), "-i", str(leads), env=env, expect_exit=2, columns=200)
    message = one_line(result.stderr)
    assert "'uid' (columns 1, 3 and 6)" in message and "'number' (columns 2 and 5)" in message


def test_an_empty_column_name_is_refused_naming_its_position(destination, bf, tmp_path):
    path, env = destination
    leads = tmp_path / "leads.csv"
    leads.write_text("uid,,number,rank, \nd1,x,+4916098140010,1,\n")
    result = run_cli("destination", "run", str(path), "-i", str(leads), env=env, expect_exit=2, columns=200)
    message = one_line(result.stdout + result.stderr)
    assert str(leads) in message
    assert "columns 2 and 5 have no name" in message
    assert "name" in message.split("Fix:")[1]
    assert bf.app.state.control.requests() == []


def test_a_flow_reading_such_a_csv_fails_with_the_same_message(destination, bf, tmp_path):
    path, env = destination
    (tmp_path / "leads.csv").write_text("uid,uid,number,rank\nd1,d2,+4916098140010,1\n")
    flow = tmp_path / "flow.yaml"
    flow.write_text(yaml.safe_dump({
        "name": "dupe-columns", "source": {"type": "file", "path": "leads.csv"},
        "destinations": [{"type": "api", "destination": path.name, "key": "uid"}]}))
    result = run_cli("flow", "run", str(flow), env=env, expect_exit=2, columns=200)
    message = one_line(result.stdout + result.stderr)
    assert "leads.csv" in message and "'uid'" in message and "rename" in message
    assert not [entry for entry in bf.app.state.control.requests() if entry["path"].endswith("/leads")]


def test_a_header_with_distinct_names_still_reads(destination, bf, tmp_path):
    path, env = destination
    leads = tmp_path / "leads.csv"
    leads.write_text("uid,number,rank\nd1,+4916098140010,1\n")
    result = run_cli("destination", "run", str(path), "-i", str(leads), env=env, columns=200)
    assert "1 delivered" in result.stdout
