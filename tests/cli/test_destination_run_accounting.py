"""``trunkline destination run|test`` account for every input record, in input order, whatever stops them.

Run as a user runs them (the real console script) against a Babelforce emulator of their own (faults are
injected into it); what is checked is what a user sees: the exit code, the messages, the rejects file's
rows in order, the captured responses, and the leads the emulator itself holds afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from tests.cli.run import CliResult, run_cli
from trunkline.emulators.babelforce.app import create_app
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    """An emulator of this test's own: faults are injected into it."""
    with start_in_thread(create_app(seed=11)) as running:
        yield running


def new_list(bf: RunningEmulator) -> str:
    """A fresh, empty outbound list on the emulator."""
    creds = bf.app.state.credentials
    headers = {"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token}
    answer = httpx.post(f"{bf.base_url}/api/v2/outbound/lists", json={"name": "accounting"}, headers=headers)
    return answer.json()["item"]["id"]


def lead(n: int, number: str | None = None) -> dict[str, Any]:
    """Lead ``n``; a ``number`` such as ``"bad"`` makes it invalid."""
    return {"uid": f"a-{n}", "number": number or f"+49301234{n:04d}", "rank": 1}


class Setup:
    """A destination file for a fresh list, in a folder of its own, and helpers to run it."""

    def __init__(self, bf: RunningEmulator, folder: Path) -> None:
        self.bf = bf
        self.folder = folder
        self.list_id = new_list(bf)
        self.leads_path = f"/api/v2/outbound/lists/{self.list_id}/leads"
        self.destination = folder / "leads-out.yaml"
        self.rejects = folder / "leads-out.rejected.jsonl"
        self.write_destination()

    def write_destination(self, **extra: Any) -> None:
        """(Re)write the destination file: add_outbound_lead for the list, plus ``extra`` keys."""
        config = {"credential": babelforce_credential(self.bf), "template": "add_outbound_lead",
                  "params": {"list_id": self.list_id}, **extra}
        self.destination.write_text(yaml.safe_dump(config))

    def input(self, records: list[dict[str, Any]]) -> Path:
        """A JSONL input file holding ``records``."""
        path = self.folder / "leads.jsonl"
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
        return path

    def fault(self, status: int | None, *, count: int = 1, delay: float = 0.0,
              retry_after: float | None = None) -> None:
        """Queue a fault on the list's leads (``status`` None: let it through, after ``delay``)."""
        self.bf.app.state.control.add_fault(status=status, count=count, delay=delay, retry_after=retry_after,
                                            path_prefix=self.leads_path)

    def run(self, command: str, records: list[dict[str, Any]], *args: str, expect_exit: int) -> CliResult:
        """``trunkline destination COMMAND`` with ``records`` as its input."""
        return run_cli("destination", command, str(self.destination), "--input", str(self.input(records)), *args,
                       expect_exit=expect_exit, columns=400)

    def rejected(self, path: Path | None = None) -> list[dict[str, Any]]:
        """The rows of the rejects file, in file order."""
        return [json.loads(line) for line in (path or self.rejects).read_text().splitlines()]

    def stored(self) -> list[str]:
        """The uids of the leads the emulator holds on the list."""
        return [stored["uid"] for stored in self.bf.app.state.data.leads_by_list.get(self.list_id, [])]

    def lead_posts(self) -> list[dict[str, Any]]:
        """The requests the emulator received on the list's leads."""
        return [entry for entry in self.bf.app.state.control.requests() if entry["path"] == self.leads_path]


@pytest.fixture
def setup(bf: RunningEmulator, tmp_path: Path) -> Setup:
    return Setup(bf, tmp_path)


def one_line(text: str) -> str:
    return " ".join(text.split())


# ---- 1. output paths are checked before anything is sent ---------------------------------------------


@pytest.mark.parametrize("option", ["--rejects", "--responses"])
def test_an_unwritable_output_path_is_a_config_error_before_anything_is_sent(setup, option):
    setup.write_destination(capture_responses="sent")
    folder = setup.folder / "a-folder"
    folder.mkdir()
    result = setup.run("run", [lead(0), lead(1), lead(2, "bad")], option, str(folder), expect_exit=2)
    message = one_line(result.stderr)
    assert message.startswith(f"error: {option}:") and str(folder) in message
    assert "is a directory" in message and "Fix:" in message and "internal error" not in message
    assert setup.lead_posts() == [] and setup.stored() == []


def test_an_output_path_under_a_file_is_refused_before_anything_is_sent(setup):
    blocker = setup.folder / "not-a-folder"
    blocker.write_text("x")
    result = setup.run("run", [lead(0)], "--rejects", str(blocker / "rejects.jsonl"), expect_exit=2)
    message = one_line(result.stderr)
    assert message.startswith("error: --rejects:") and str(blocker) in message and "Fix:" in message
    assert setup.lead_posts() == [] and setup.stored() == []


def test_the_input_file_is_not_overwritten_by_the_rejects(setup):
    records = [lead(0), lead(1, "bad")]
    source = setup.input(records)
    before = source.read_text()
    result = run_cli("destination", "run", str(setup.destination), "--input", str(source), "--rejects", str(source),
                     expect_exit=2, columns=400)
    assert "error: --rejects:" in result.stderr and "input" in result.stderr
    assert source.read_text() == before and setup.lead_posts() == []


# ---- 2. a run-stopping error still accounts for every record -----------------------------------------


def test_a_too_long_retry_after_lists_every_record_not_delivered_in_input_order(setup):
    setup.write_destination(capture_responses="sent")
    records = [lead(0), lead(1, "bad"), lead(2), lead(3), lead(4, "bad"), lead(5)]
    setup.fault(None, delay=0.01)  # lead 0 goes through
    setup.fault(429, retry_after=500)  # lead 2 is asked to wait 500 s
    result = setup.run("run", records, expect_exit=1)
    summary = one_line(result.stdout)
    assert "6 records — 1 delivered, 0 failed, 1 invalid, 0 to review, 0 held, 4 stopped before delivery" \
        in summary
    assert f"not delivered, with reasons: {setup.rejects}" in summary
    error = one_line(result.stderr)
    assert "error:" in error and "asks to wait 500s" in error
    assert "can resume" not in error and "retry-after limit" not in error  # neither holds without a ledger
    assert str(setup.rejects) in error and '"stopped"' in error  # where the records not delivered are
    rejects = setup.rejected()
    assert [(row["row"], row["status"]) for row in rejects] == [
        (1, "invalid"), (2, "stopped"), (3, "stopped"), (4, "stopped"), (5, "stopped")]
    assert [row["record"] for row in rejects] == records[1:]
    assert rejects[1]["http_status"] == 429 and "asks to wait 500s" in rejects[1]["reason"]
    assert "stopped before" in rejects[2]["reason"] and "asks to wait 500s" in rejects[2]["reason"]
    captured = [json.loads(line) for line in (setup.folder / "sent.jsonl").read_text().splitlines()]
    assert [(capture["input_rows"], capture["status"]) for capture in captured] == [([0], 200)]
    assert setup.stored() == ["a-0"]


def test_a_refused_credential_lists_every_record_and_prints_the_summary_as_json(setup):
    setup.write_destination(credential={**babelforce_credential(setup.bf), "password": "not-the-password"})
    records = [lead(0), lead(1, "bad"), lead(2)]
    result = setup.run("run", records, "--json", expect_exit=1)
    summary = json.loads(result.stdout)
    assert (summary["records"], summary["delivered"], summary["stopped"]) == (3, 0, 3)
    assert summary["rejects"] == str(setup.rejects)
    assert "refused the username/password" in summary["error"]
    assert "refused the username/password" in result.stderr and "not-the-password" not in result.stderr
    assert [(row["row"], row["status"]) for row in setup.rejected()] == [(0, "stopped"), (1, "stopped"),
                                                                           (2, "stopped")]
    assert setup.stored() == []


def test_records_settled_while_a_refused_batch_was_split_are_kept_the_rest_are_listed(setup):
    setup.write_destination(batch={"size": 4}, capture_responses="sent")
    records = [lead(n) for n in range(6)]
    setup.fault(400)  # the batch of rows 0-3 is refused: it is split in halves
    setup.fault(None, delay=0.01)  # rows 0-1 are delivered
    setup.fault(429, retry_after=500)  # rows 2-3 are asked to wait: the run stops
    result = setup.run("run", records, expect_exit=1)
    assert "6 records — 2 delivered, 0 failed, 0 invalid, 0 to review, 0 held, 4 stopped before delivery" \
        in one_line(result.stdout)
    assert [(row["row"], row["status"], row["http_status"]) for row in setup.rejected()] == [
        (2, "stopped", 429), (3, "stopped", 429), (4, "stopped", None), (5, "stopped", None)]
    captured = [json.loads(line) for line in (setup.folder / "sent.jsonl").read_text().splitlines()]
    assert [(capture["input_rows"], capture["status"]) for capture in captured] == [([0, 1, 2, 3], 400),
                                                                                   ([0, 1], 200)]
    assert sorted(setup.stored()) == ["a-0", "a-1"]


# ---- 3. destination test says when a record was not delivered ----------------------------------------


def test_test_exits_1_when_the_record_is_invalid(setup):
    result = setup.run("test", [lead(0, "bad")], expect_exit=1)
    assert "row 0: invalid" in one_line(result.stdout)
    assert "not delivered" in one_line(result.stderr)
    assert setup.lead_posts() == []


def test_test_exits_1_when_the_service_refuses_the_record(setup):
    setup.fault(400)
    result = setup.run("test", [lead(0)], "--json", expect_exit=1)
    [exchange] = json.loads(result.stdout)
    assert exchange["status"] == 400 and exchange["outcomes"][0]["status"] == "failed"
    assert setup.stored() == []


def test_test_exits_0_only_when_every_tested_record_is_delivered(setup):
    result = setup.run("test", [lead(0), lead(1), lead(2, "bad")], "--limit", "2", expect_exit=0)
    assert "row 0: delivered" in result.stdout and "row 1: delivered" in result.stdout
    assert setup.stored() == ["a-0", "a-1"]


def test_test_with_an_empty_input_says_so(setup):
    result = setup.run("test", [], expect_exit=2)
    message = one_line(result.stderr)
    assert message.startswith("error: --input:") and "has no records" in message and "Fix:" in message
    assert setup.lead_posts() == []


# ---- 4. rejects, captured responses and the summary follow input order ------------------------------


def test_rejects_follow_input_order_when_an_earlier_request_answers_late(setup):
    setup.fault(400, delay=0.5)
    setup.run("run", [lead(0), lead(1, "bad")], expect_exit=1)
    assert [(row["row"], row["status"]) for row in setup.rejected()] == [(0, "failed"), (1, "invalid")]


def test_rejects_and_responses_follow_input_order_around_an_invalid_record_in_a_batch(setup):
    setup.write_destination(batch={"size": 3}, capture_responses="sent")
    setup.fault(400, count=3)  # the batch of rows 0 and 2, then each of them alone
    records = [lead(0), lead(1, "bad"), lead(2), lead(3, "bad")]
    result = setup.run("run", records, expect_exit=1)
    assert "4 records — 0 delivered, 2 failed, 2 invalid" in one_line(result.stdout)
    assert [(row["row"], row["status"]) for row in setup.rejected()] == [
        (0, "failed"), (1, "invalid"), (2, "failed"), (3, "invalid")]
    captured = [json.loads(line) for line in (setup.folder / "sent.jsonl").read_text().splitlines()]
    assert [capture["input_rows"] for capture in captured] == [[0, 2], [0], [2]]


def test_test_shows_the_records_in_input_order(setup):
    result = setup.run("test", [lead(0), lead(1, "bad"), lead(2)], "--limit", "3", expect_exit=1)
    text = one_line(result.stdout)
    assert text.index("row 0: delivered") < text.index("row 1: invalid") < text.index("row 2: delivered")
