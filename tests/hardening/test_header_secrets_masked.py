"""Secrets written in a source's or destination's own ``headers:`` are masked wherever trunkline shows them
(show, preview, test output), while the requests actually sent carry them unchanged.

Runs the real ``trunkline`` command and the Python API against the built-in CallRail emulator, which
only accepts a request carrying its API key: a request that succeeds proves the real header was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cli.run import CliResult, run_cli
from trunkline.api import preview, show_destination, show_source
from trunkline.emulators.callrail.app import create_app as create_callrail_app
from trunkline.emulators.server import RunningEmulator, start_in_thread

#: Secret values the tests write into headers (besides the emulator's API key).
COOKIE = "sid=cookie-secret-5150"
PROXY = "Basic cHJveHk6cHJveHktc2VjcmV0"
SIGNATURE = "sig-secret-8d2e"
SESSION = "session-secret-77aa"
ENV_KEY = "env-secret-key-4411"


@pytest.fixture
def callrail() -> Iterator[RunningEmulator]:
    """A fresh CallRail emulator: destinations here create tags in it."""
    with start_in_thread(create_callrail_app(seed=23)) as running:
        yield running


def api_key(callrail: RunningEmulator) -> str:
    return callrail.app.state.credentials.api_key


def account_url(callrail: RunningEmulator, path: str) -> str:
    return f"{callrail.base_url}/v3/a/{callrail.app.state.credentials.account_id}/{path}"


def secret_headers(callrail: RunningEmulator) -> dict[str, str]:
    """Headers as a user writes them in a file: every kind of secret header, one plain header."""
    return {
        "Authorization": f'Token token="{api_key(callrail)}"',
        "X-Api-Key": "${HDR_KEY}",
        "Cookie": COOKIE,
        "Proxy-Authorization": PROXY,
        "X-Request-Signature": SIGNATURE,
        "x-session-id": SESSION,
        "X-Team": "ops",
    }


def secrets_of(callrail: RunningEmulator) -> list[str]:
    return [api_key(callrail), ENV_KEY, COOKIE, "cookie-secret", "cHJveHk6cHJveHktc2VjcmV0", SIGNATURE, SESSION]


def write(path: Path, content: dict) -> Path:
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def cli(*args: str, expect_exit: int = 0) -> CliResult:
    return run_cli(*args, env={"HDR_KEY": ENV_KEY}, expect_exit=expect_exit, columns=200)


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} shown in:\n{text}"


def assert_masked(headers: dict[str, str]) -> None:
    """The masked form of :func:`secret_headers`: scheme words kept, secret values replaced."""
    assert headers["Authorization"] == 'Token token="****"'
    assert headers["Proxy-Authorization"] == "Basic ****"
    assert headers["X-Api-Key"] == "****"
    assert headers["Cookie"] == "****"
    assert headers["X-Request-Signature"] == "****"
    assert headers["x-session-id"] == "****"
    assert headers["X-Team"] == "ops"


@pytest.fixture
def tag_destination(callrail: RunningEmulator, tmp_path: Path) -> tuple[Path, Path]:
    """A manual destination creating tags, with its key in its own headers, and one record for it."""
    destination = write(tmp_path / "tags.yaml", {
        "method": "POST", "url": account_url(callrail, "tags.json"), "headers": secret_headers(callrail)})
    company = callrail.app.state.data.companies[0]["id"]
    records = tmp_path / "tags.jsonl"
    records.write_text(json.dumps({"name": "masked-headers", "company_id": company}) + "\n")
    return destination, records


def test_destination_show_masks_secret_headers_of_the_file(callrail, tag_destination):
    destination, _records = tag_destination
    shown = cli("destination", "show", str(destination))
    assert_no_secret(shown.stdout + shown.stderr, secrets_of(callrail))
    assert 'Authorization: Token token="****"' in shown.stdout
    assert "X-Team: ops" in shown.stdout
    as_json = cli("destination", "show", str(destination), "--json")
    assert_no_secret(as_json.stdout, secrets_of(callrail))
    assert_masked(json.loads(as_json.stdout)["headers"])


def test_destination_headers_written_as_one_string_are_masked(callrail, tmp_path):
    destination = write(tmp_path / "keyed.yaml", {
        "method": "POST", "url": account_url(callrail, "tags.json"), "headers": "X-Api-Key:mysecretkey,X-Team:ops"})
    shown = cli("destination", "show", str(destination))
    assert "mysecretkey" not in shown.stdout
    assert "X-Api-Key: '****'" in shown.stdout or 'X-Api-Key: "****"' in shown.stdout
    assert "X-Team: ops" in shown.stdout


def test_destination_preview_masks_secret_headers_and_sends_nothing(callrail, tag_destination):
    destination, records = tag_destination
    shown = cli("destination", "preview", str(destination), "-i", str(records))
    assert_no_secret(shown.stdout + shown.stderr, secrets_of(callrail))
    assert 'Authorization: Token token="****"' in shown.stdout
    assert "X-Api-Key: ****" in shown.stdout and "X-Team: ops" in shown.stdout
    as_json = cli("destination", "preview", str(destination), "-i", str(records), "--json")
    assert_masked(json.loads(as_json.stdout)["requests"][0]["headers"])
    assert not [tag for tag in callrail.app.state.data.tags if tag["name"] == "masked-headers"]


def test_destination_test_sends_the_real_headers_but_shows_them_masked(callrail, tag_destination):
    destination, records = tag_destination
    shown = cli("destination", "test", str(destination), "-i", str(records), "--json")
    assert_no_secret(shown.stdout + shown.stderr, secrets_of(callrail))
    [exchange] = json.loads(shown.stdout)
    assert exchange["status"] == 201, exchange  # the emulator saw the real API key
    assert_masked(exchange["request"]["headers"])
    assert [tag["name"] for tag in callrail.app.state.data.tags if tag["name"] == "masked-headers"]
    another = records.with_name("another.jsonl")
    another.write_text(records.read_text().replace("masked-headers", "masked-headers-2"))
    plain = cli("destination", "test", str(destination), "-i", str(another))
    assert_no_secret(plain.stdout + plain.stderr, secrets_of(callrail))
    assert 'Authorization: Token token="****"' in plain.stdout
    assert "201" in plain.stdout


def test_source_show_masks_secret_headers_and_the_source_still_authenticates(callrail, tmp_path):
    source = write(tmp_path / "companies.yaml", {
        "url": account_url(callrail, "companies.json"), "headers": secret_headers(callrail),
        "path_to_data": "$.companies"})
    shown = cli("source", "show", str(source))
    assert_no_secret(shown.stdout + shown.stderr, secrets_of(callrail))
    assert 'Authorization: Token token="****"' in shown.stdout
    as_json = cli("source", "show", str(source), "--json")
    assert_masked(json.loads(as_json.stdout)["headers"])
    sampled = cli("source", "test", str(source), "--json", "--limit", "2")
    assert_no_secret(sampled.stdout + sampled.stderr, secrets_of(callrail))
    assert len(json.loads(sampled.stdout)["records"]) == 2


def test_the_python_api_shows_headers_masked_too(callrail, monkeypatch):
    monkeypatch.setenv("HDR_KEY", ENV_KEY)
    headers = {**secret_headers(callrail), "X-Api-Key": ENV_KEY}
    destination = {"method": "POST", "url": account_url(callrail, "tags.json"), "headers": headers}
    shown = show_destination(destination)
    assert_masked(shown["headers"])
    requests, _ = preview(destination, [{"name": "n", "company_id": "c"}])
    assert_masked(requests[0]["headers"])
    source = show_source({"url": account_url(callrail, "companies.json"),
                          "headers": {"Authorization": "Bearer abc.def-ghi", "Set-Cookie": "a=b", "Accept": "*/*"}})
    assert source["headers"] == {"Authorization": "Bearer ****", "Set-Cookie": "****", "Accept": "*/*"}
    assert_no_secret(json.dumps([shown, requests]), secrets_of(callrail))


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("Authorization", "Bearer eyJhbGciOi.J9.sig", "Bearer ****"),
    ("Authorization", 'Token token="abc123"', 'Token token="****"'),
    ("Authorization", "justonesecretword", "****"),
    ("Authorization", "Basic dXNlcjpwYXNz==", "Basic ****"),
    ("proxy-authorization", "Negotiate abc", "Negotiate ****"),
    ("X-Auth-Token", "tok-1", "****"),
    ("X-Client-Secret", "cs-1", "****"),
    ("X-Password", "pw-1", "****"),
    ("Idempotency-Key", "ik-1", "****"),
    ("X-Amz-Signature", "s-1", "****"),
    ("Accept", "application/json", "application/json"),
])
def test_each_kind_of_secret_header_is_masked(callrail, name, value, shown):
    destination = {"url": account_url(callrail, "tags.json"), "headers": {name: value}}
    assert show_destination(destination)["headers"] == {name: shown}
