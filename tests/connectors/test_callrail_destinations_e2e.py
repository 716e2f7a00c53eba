"""Every CallRail destination template end to end against the CallRail emulator, judged by what the
emulator's API shows afterwards; plus client-side rate limits and POSTs never resent on a 5xx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trunkline.api import deliver
from trunkline.emulators.callrail.app import create_app
from trunkline.emulators.callrail.ratelimit import RateLimits
from trunkline.emulators.server import RunningEmulator, start_in_thread


@pytest.fixture
def cr() -> Iterator[RunningEmulator]:
    with start_in_thread(create_app(seed=2)) as running:
        yield running


def send(cr: RunningEmulator, tmp_path: Path, template: str, records: list[dict], **config: Any):
    creds = cr.app.state.credentials
    destination = {"credential": {"service": "callrail", "base_url": cr.base_url, "token": creds.api_key},
                   "template": template, "params": {"account_id": creds.account_id, **config.pop("params", {})},
                   **config}
    return deliver(destination, records, rejects=tmp_path / f"{template}.rejected.jsonl",
                   responses=tmp_path / f"{template}.responses.jsonl")


def api(cr: RunningEmulator) -> httpx.Client:
    creds = cr.app.state.credentials
    return httpx.Client(base_url=f"{cr.base_url}/v3/a/{creds.account_id}", timeout=10,
                        headers={"Authorization": f'Token token="{creds.api_key}"'})


def responses(tmp_path: Path, template: str) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / f"{template}.responses.jsonl").read_text().splitlines()]


def rejected(tmp_path: Path, template: str) -> list[dict]:
    path = tmp_path / f"{template}.rejected.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def active_tracker(cr: RunningEmulator) -> dict:
    return next(t for t in cr.app.state.data.trackers if t["status"] == "active" and t.get("sms_enabled"))


def test_create_and_update_company(cr, tmp_path):
    summary = send(cr, tmp_path, "create_company", [{"name": "Mile High Plumbing", "time_zone": "America/Denver"},
                                                    {"time_zone": "America/Denver"}])
    assert summary.outcomes["delivered"] == 1 and summary.outcomes["invalid"] == 1
    company_id = responses(tmp_path, "create_company")[0]["body"]["id"]
    assert api(cr).get(f"/companies/{company_id}.json").json()["name"] == "Mile High Plumbing"
    send(cr, tmp_path, "update_company", [{"id": company_id, "name": "Mile High Plumbing & Heating"}],
         exclude=["id"])
    assert api(cr).get(f"/companies/{company_id}.json").json()["name"] == "Mile High Plumbing & Heating"


def test_create_and_update_tracker(cr, tmp_path):
    company = cr.app.state.data.companies[0]
    tracker = {"name": "Spring mailer", "type": "source", "company_id": company["id"],
               "tracking_number": {"area_code": "303"}, "source": {"type": "offline"},
               "call_flow": {"type": "basic", "destination_number": "+13035550100"}}
    summary = send(cr, tmp_path, "create_tracker", [tracker])
    assert summary.outcomes["delivered"] == 1, rejected(tmp_path, "create_tracker")
    tracker_id = responses(tmp_path, "create_tracker")[0]["body"]["id"]
    send(cr, tmp_path, "update_tracker", [{"tracker": tracker_id, "name": "Spring mailer 2"}],
         params={"tracker_id": "{tracker}"}, exclude=["tracker"])
    assert api(cr).get(f"/trackers/{tracker_id}.json").json()["name"] == "Spring mailer 2"


def test_update_call_note_tags_and_lead_status(cr, tmp_path):
    # the data is generated up to the present minute, so the newest call changes through the day: take
    # one that CallRail lets be marked a good lead (not already one by an earlier call of its caller)
    call = next(call for call in cr.app.state.data.calls if call["lead_status"] != "previously_marked_good_lead")
    summary = send(cr, tmp_path, "update_call", [{"id": call["id"], "note": "called back", "tags": ["vip"],
                                                  "lead_status": "good_lead"}], exclude=["id"])
    assert summary.outcomes["delivered"] == 1, rejected(tmp_path, "update_call")
    updated = api(cr).get(f"/calls/{call['id']}.json", params={"fields": "note,tags,lead_status"}).json()
    assert updated["note"] == "called back" and updated["lead_status"] == "good_lead"
    assert [tag["name"] if isinstance(tag, dict) else tag for tag in updated["tags"]] == ["vip"]


def test_outbound_call_and_text_message(cr, tmp_path):
    tracker = active_tracker(cr)
    company_id = tracker["company"]["id"] if "company" in tracker else cr.app.state.data.companies[0]["id"]
    call = {"caller_id": tracker["tracking_numbers"][0], "customer_phone_number": "+13035550199",
            "business_phone_number": "+13035550100"}
    summary = send(cr, tmp_path, "create_outbound_call", [call])
    assert summary.outcomes["delivered"] == 1, rejected(tmp_path, "create_outbound_call")
    call_id = responses(tmp_path, "create_outbound_call")[0]["body"]["id"]
    assert api(cr).get(f"/calls/{call_id}.json").json()["direction"] == "outbound"
    text = {"company_id": company_id, "customer_phone_number": "+13035550199", "content": "Thanks for calling!",
            "tracking_number": tracker["tracking_numbers"][0]}
    summary = send(cr, tmp_path, "send_text_message", [text, {**text, "content": "x" * 141}])
    assert summary.outcomes["delivered"] == 1 and summary.outcomes["failed"] == 1
    [too_long] = rejected(tmp_path, "send_text_message")
    assert too_long["row"] == 1 and too_long["http_status"] in (400, 422) and "content" in too_long["reason"]


def test_form_submission(cr, tmp_path):
    company = cr.app.state.data.companies[0]
    form = {"company_id": company["id"], "referrer": "google", "referring_url": "https://www.google.com/",
            "landing_page_url": "https://example.com/", "form_url": "https://example.com/contact",
            "form_data": {"name": "Pat Doe", "phone": "303-555-0142"}}
    summary = send(cr, tmp_path, "create_form_submission", [form])
    assert summary.outcomes["delivered"] == 1, rejected(tmp_path, "create_form_submission")
    submission = responses(tmp_path, "create_form_submission")[0]["body"]
    assert submission["id"].startswith("FOR") and submission["form_data"]["name"] == "Pat Doe"


def test_a_long_run_slows_down_to_the_limit_instead_of_being_refused(tmp_path):
    # the emulator's hour lasts 2 real seconds, its text limit is 3 an hour: 3 texts per 2 s; the client
    # is told 3 per 3 s, a margin for a loaded machine (the point: it waits, and nothing is refused)
    started = time.monotonic()
    app = create_app(seed=2, rate_limits=RateLimits(sms_per_hour=3),
                     clock=lambda: started + (time.monotonic() - started) * 1800)
    with start_in_thread(app) as cr:
        tracker = active_tracker(cr)
        company_id = cr.app.state.data.companies[0]["id"]
        texts = [{"company_id": company_id, "customer_phone_number": f"+1303555{n:04d}", "content": f"hello {n}",
                  "tracking_number": tracker["tracking_numbers"][0]} for n in range(7)]
        limits = [{"name": "callrail-text-messages", "requests": 3, "per_seconds": 3, "methods": ["POST"],
                   "path_contains": "/text-messages.json"}]
        summary = send(cr, tmp_path, "send_text_message", texts, rate_limits=limits)
        deadline = time.monotonic() + 5  # the server logs a request just after answering it
        while len(cr.app.state.requests.entries()) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.01)
        statuses = [entry["status"] for entry in cr.app.state.requests.entries()]
    assert summary.outcomes["delivered"] == 7
    assert 429 not in statuses and statuses.count(201) == 7


def test_a_post_that_meets_a_5xx_is_reported_for_review_not_resent(cr, tmp_path):
    cr.app.state.faults.add(status=503, count=1, path_prefix=f"/v3/a/{cr.app.state.credentials.account_id}/calls")
    tracker = active_tracker(cr)
    call = {"caller_id": tracker["tracking_numbers"][0], "customer_phone_number": "+13035550199",
            "business_phone_number": "+13035550100"}
    summary = send(cr, tmp_path, "create_outbound_call", [call])
    assert summary.outcomes["review"] == 1 and summary.retries == 0
    posts = [entry for entry in cr.app.state.requests.entries() if entry["method"] == "POST"]
    assert len(posts) == 1
    assert "check before sending it again" in rejected(tmp_path, "create_outbound_call")[0]["reason"]
