"""Phone numbers in destination record rules (``validate: {phone: [...]}`` and ``default_region``), judged
by what a user sees: the number in the request body, the number the service stored, and the reason in
the rejects file. Against the Babelforce and CallRail emulators over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.babelforce_access import babelforce_credential
from tests.cli.run import run_cli
from trunkline.api import deliver, preview, show_destination
from trunkline.emulators.babelforce.app import create_app as create_babelforce
from trunkline.emulators.callrail.app import create_app as create_callrail
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def bf() -> Iterator[RunningEmulator]:
    """A Babelforce emulator of its own (the tests add leads)."""
    with start_in_thread(create_babelforce(seed=31)) as running:
        yield running


@pytest.fixture
def cr() -> Iterator[RunningEmulator]:
    """A CallRail emulator of its own (the tests send texts)."""
    with start_in_thread(create_callrail(seed=2)) as running:
        yield running


def rejects_of(path: Path) -> dict[int, str]:
    """The rejects file as ``{row: reason}``."""
    if not path.exists():
        return {}
    return {entry["row"]: entry["reason"] for entry in map(json.loads, path.read_text().splitlines())}


# --- Babelforce: Add Outbound Lead, which validates ``number`` as a phone --------------------------------

def babelforce_api(bf: RunningEmulator) -> httpx.Client:
    creds = bf.app.state.credentials
    token = httpx.post(f"{bf.base_url}/oauth/token", data={"grant_type": "password", "username": creds.username,
                                                          "password": creds.password}).json()["access_token"]
    return httpx.Client(base_url=bf.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def add_leads(bf: RunningEmulator, tmp_path: Path, numbers: list[Any], **config: Any
              ) -> tuple[dict[str, str], dict[int, str]]:
    """Deliver one lead per number (uid ``lead-ROW``) to a fresh list; the numbers Babelforce stored by
    uid, and the rejects file's reasons by row."""
    client = babelforce_api(bf)
    list_id = client.post("/api/v2/outbound/lists", json={"name": f"phones {tmp_path.name}"}).json()["item"]["id"]
    leads = [{"uid": f"lead-{row}", "number": number, "rank": 1} for row, number in enumerate(numbers)]
    destination = {"credential": babelforce_credential(bf), "template": "add_outbound_lead",
                   "params": {"list_id": list_id}, **config}
    rejects = tmp_path / "leads.rejected.jsonl"
    deliver(destination, leads, rejects=rejects)
    stored = client.get(f"/api/v2/outbound/lists/{list_id}/leads", params={"max": 1000}).json()["items"]
    return {lead["uid"]: lead["number"] for lead in stored}, rejects_of(rejects)


def test_de_international_digits_without_plus_keep_their_country_code(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, ["4916098119993", "49 160 98119993"], default_region="DE")
    assert rejects == {}
    assert stored == {"lead-0": "+4916098119993", "lead-1": "+4916098119993"}


def test_de_national_numbers_stay_national(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, ["030 1234567", "030123456", "0160 98119993", "0049 160 98119993"],
                                default_region="DE")
    assert rejects == {}
    assert stored == {"lead-0": "+49301234567", "lead-1": "+4930123456", "lead-2": "+4916098119993",
                      "lead-3": "+4916098119993"}


def test_without_a_region_digits_are_international_as_babelforce_writes_them(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, ["4916098119993", 4916098119993])
    assert rejects == {}
    assert stored == {"lead-0": "+4916098119993", "lead-1": "+4916098119993"}


def test_an_integer_number_is_read_like_its_digits(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, [4916098119993], default_region="DE")
    assert rejects == {}
    assert stored == {"lead-0": "+4916098119993"}


def test_a_number_with_letters_is_invalid_and_names_the_value(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, ["+4916O98119993", "0301234567", "+49 30 CALL NOW"],
                                default_region="DE")
    assert stored == {"lead-1": "+49301234567"}
    assert set(rejects) == {0, 2}
    assert "number: '+4916O98119993'" in rejects[0] and "letter" in rejects[0]
    assert "number: '+49 30 CALL NOW'" in rejects[2] and "letter" in rejects[2]


def test_a_number_with_an_extension_is_invalid_because_e164_cannot_carry_one(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, ["+4916098119993x123", "016098119993ext5", "+4930123456"],
                                default_region="DE")
    assert stored == {"lead-2": "+4930123456"}
    assert set(rejects) == {0, 1}
    assert "number: '+4916098119993x123'" in rejects[0]
    assert "E.164 cannot carry an extension (x123)" in rejects[0]
    assert "number: '016098119993ext5'" in rejects[1] and "E.164 cannot carry an extension (x5)" in rejects[1]


def test_a_value_that_is_not_text_is_invalid(bf, tmp_path):
    stored, rejects = add_leads(bf, tmp_path, [["+4916098119993"], {"number": "+4916098119993"}, 4916098119993.0,
                                               True], default_region="DE")
    assert stored == {}
    assert set(rejects) == {0, 1, 2, 3}
    assert "number: ['+4916098119993'] is not text" in rejects[0]
    assert all("is not text" in reason for reason in rejects.values())


def test_preview_shows_the_normalised_number_and_the_reason(bf):
    destination = {"credential": babelforce_credential(bf), "template": "add_outbound_lead",
                   "params": {"list_id": "0123456789abcdef0123456789abcdef"}, "default_region": "DE"}
    leads = [{"uid": "a", "number": "4916098119993", "rank": 1}, {"uid": "b", "number": "+4916098119993x123",
                                                                   "rank": 1}]
    requests, not_sent = preview(destination, leads, limit=2)
    assert [request["body"]["number"] for request in requests] == ["+4916098119993"]
    assert [(outcome.row, outcome.status) for outcome in not_sent] == [(1, "invalid")]
    assert "extension" in (not_sent[0].reason or "")


# --- CallRail (US and Canada only): default_region defaults to US ---------------------------------------

def callrail_destination(cr: RunningEmulator, template: str = "send_text_message", **config: Any) -> dict[str, Any]:
    creds = cr.app.state.credentials
    return {"credential": {"service": "callrail", "base_url": cr.base_url, "token": creds.api_key},
            "template": template, "params": {"account_id": creds.account_id}, **config}


def text_to(cr: RunningEmulator, number: str) -> dict[str, Any]:
    """A text-message record from an SMS-enabled tracker of the emulator to ``number``."""
    tracker = next(t for t in cr.app.state.data.trackers if t["status"] == "active" and t.get("sms_enabled"))
    company_id = tracker["company"]["id"] if "company" in tracker else cr.app.state.data.companies[0]["id"]
    return {"company_id": company_id, "customer_phone_number": number, "content": "Thanks for calling!",
            "tracking_number": tracker["tracking_numbers"][0]}


def test_callrail_reads_us_national_numbers_without_a_default_region(cr, tmp_path):
    records = [text_to(cr, "(404) 555-1235"), text_to(cr, "4045551236")]
    requests, not_sent = preview(callrail_destination(cr), records, limit=2)
    assert not_sent == []
    assert [request["body"]["customer_phone_number"] for request in requests] == ["+14045551235", "+14045551236"]
    summary = deliver(callrail_destination(cr), records, rejects=tmp_path / "texts.rejected.jsonl",
                      responses=tmp_path / "texts.responses.jsonl")
    assert summary.outcomes["delivered"] == 2, rejects_of(tmp_path / "texts.rejected.jsonl")
    sent = [json.loads(line)["body"] for line in (tmp_path / "texts.responses.jsonl").read_text().splitlines()]
    assert [conversation["customer_phone_number"] for conversation in sent] == ["+14045551235", "+14045551236"]


def test_callrail_with_region_us_set_by_the_user(cr):
    requests, not_sent = preview(callrail_destination(cr, default_region="US"), [text_to(cr, "4045551236")])
    assert not_sent == []
    assert requests[0]["body"]["customer_phone_number"] == "+14045551236"


def test_callrail_outbound_call_template_also_reads_us_numbers(cr):
    call = {"caller_id": "+13035550100", "customer_phone_number": "303-555-0199",
            "business_phone_number": "(303) 555-0100"}
    requests, not_sent = preview(callrail_destination(cr, "create_outbound_call"), [call])
    assert not_sent == []
    assert requests[0]["body"]["customer_phone_number"] == "+13035550199"
    assert requests[0]["body"]["business_phone_number"] == "+13035550100"


def test_the_users_own_default_region_wins_over_callrails(cr):
    requests, not_sent = preview(callrail_destination(cr, default_region="DE"), [text_to(cr, "030 1234567")])
    assert not_sent == []
    assert requests[0]["body"]["customer_phone_number"] == "+49301234567"


def test_destination_show_tells_the_region_callrail_destinations_use(cr, bf, tmp_path):
    path = tmp_path / "texts.yaml"
    path.write_text(yaml.safe_dump(callrail_destination(cr)))
    shown = yaml.safe_load(run_cli("destination", "show", str(path)).stdout)
    assert shown["default_region"] == "US"
    babelforce = {"credential": babelforce_credential(bf), "template": "add_outbound_lead",
                  "params": {"list_id": "0123456789abcdef0123456789abcdef"}}
    assert show_destination(babelforce)["default_region"] is None


def test_cli_run_delivers_a_us_national_number_to_callrail(cr, tmp_path):
    destination = tmp_path / "texts.yaml"
    destination.write_text(yaml.safe_dump(callrail_destination(cr)))
    records = tmp_path / "texts.jsonl"
    records.write_text(json.dumps(text_to(cr, "(404) 555-1235")) + "\n")
    result = run_cli("destination", "run", str(destination), "--input", str(records), columns=200,
                     env={"TRUNKLINE_HOME": str(tmp_path / "home")})
    assert "1 delivered" in " ".join(result.stdout.split())
    conversations = cr.app.state.data.conversations
    assert any(item["customer_phone_number"] == "+14045551235" for item in conversations)
