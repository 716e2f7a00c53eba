"""A rate limit's ``methods`` must be HTTP methods: a typo is a config error, not a limit that never applies.

Through the real ``trunkline`` command and the Python API, against the built-in CallRail emulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cli.run import run_cli
from trunkline.api import deliver, show_destination
from trunkline.core.errors import ConfigError
from trunkline.emulators.callrail.app import create_app as create_callrail_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def callrail() -> Iterator[RunningEmulator]:
    """A fresh CallRail emulator: these tests create tags in it."""
    with start_in_thread(create_callrail_app(seed=31)) as running:
        yield running


def tags_destination(callrail: RunningEmulator, *limits: dict) -> dict:
    creds = callrail.app.state.credentials
    return {"credential": {"service": "callrail", "base_url": callrail.base_url, "token": creds.api_key},
            "url": f"/v3/a/{creds.account_id}/tags.json", "rate_limits": list(limits)}


def tags(callrail: RunningEmulator, count: int, prefix: str) -> list[dict]:
    company = callrail.app.state.data.companies[0]["id"]
    return [{"name": f"{prefix}-{n}", "company_id": company} for n in range(count)]


def test_a_misspelt_method_is_a_config_error_naming_the_key_the_value_and_the_methods(callrail, tmp_path):
    destination = tmp_path / "sms.yaml"
    destination.write_text(yaml.safe_dump(tags_destination(
        callrail, {"name": "sms-cap", "requests": 2, "per_seconds": 10, "methods": ["POTS"]})))
    result = run_cli("destination", "show", str(destination), expect_exit=2)
    message = result.stdout + result.stderr
    assert "destination.rate_limits.0.methods" in message
    assert "POTS" in message
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        assert method in message.replace("POTS", "")


@pytest.mark.parametrize("methods", [["POST", "pots"], ["get", ""], [7], "POTS"])
def test_every_wrong_method_is_refused_through_the_python_api(callrail, methods):
    with pytest.raises(ConfigError) as raised:
        show_destination(tags_destination(
            callrail, {"name": "cap", "requests": 2, "per_seconds": 10, "methods": methods}))
    assert raised.value.path == "destination.rate_limits.0.methods"
    assert "POST" in str(raised.value) and "DELETE" in str(raised.value)


def test_methods_are_case_insensitive_and_shown_upper_cased(callrail, tmp_path):
    destination = tmp_path / "cap.yaml"
    destination.write_text(yaml.safe_dump(tags_destination(
        callrail, {"name": "cap", "requests": 2, "per_seconds": 10, "methods": ["post", "Put"]})))
    shown = json.loads(run_cli("destination", "show", str(destination), "--json").stdout)
    [limit] = [limit for limit in shown["rate_limits"] if limit["name"] == "cap"]
    assert limit["methods"] == ["POST", "PUT"]


def test_a_lower_case_method_limit_applies_and_one_for_another_method_does_not(callrail, tmp_path: Path):
    applies = {"name": "cap", "requests": 2, "per_seconds": 1.5, "methods": ["post"]}
    summary = deliver(tags_destination(callrail, applies), tags(callrail, 3, "limited"), rejects=tmp_path / "r.jsonl")
    assert summary.outcomes["delivered"] == 3
    assert summary.seconds >= 1.5  # the third POST waited for the window
    other = {"name": "cap", "requests": 2, "per_seconds": 1.5, "methods": ["get"]}
    summary = deliver(tags_destination(callrail, other), tags(callrail, 3, "free"), rejects=tmp_path / "r2.jsonl")
    assert summary.outcomes["delivered"] == 3
    assert summary.seconds < 1.5  # a GET limit does not hold POSTs back
