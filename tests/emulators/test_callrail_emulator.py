"""The CallRail API v3 emulator over real HTTP: auth, envelopes and their odd array keys, offset and
relative pagination, every write endpoint's rules, rate limits, the test controls and determinism."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from trunkline.emulators.callrail.app import create_app
from trunkline.emulators.callrail.credentials import make_credentials
from trunkline.emulators.callrail.data import build_dataset
from trunkline.emulators.callrail.ratelimit import RateLimits
from trunkline.emulators.server import RunningEmulator, start_in_thread

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
LONG_AGO = (NOW - timedelta(days=90)).date().isoformat()


class Api:
    """An httpx client for one emulator, with the account path and the key's header filled in."""

    def __init__(self, running: RunningEmulator, quoted: bool = True) -> None:
        self.running = running
        self.data = running.app.state.data
        self.credentials = running.app.state.credentials
        key = self.credentials.api_key
        token = f'Token token="{key}"' if quoted else f"Token token={key}"
        self.http = httpx.Client(base_url=running.base_url, headers={"Authorization": token}, timeout=10)

    def url(self, path: str) -> str:
        return f"/v3/a/{self.credentials.account_id}/{path}"

    def get(self, path: str, **params: object) -> httpx.Response:
        return self.http.get(self.url(path), params=params)

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.http.post(self.url(path), json=body)

    def put(self, path: str, body: dict) -> httpx.Response:
        return self.http.put(self.url(path), json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(self.url(path))


class Clock:
    """A hand-moved clock for the rate limiter."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """A shared emulator: tests may add records but must not disable companies or exhaust limits."""
    with start_in_thread(create_app(seed=7, now=NOW)) as running:
        yield Api(running)


def own_emulator(**options: object) -> RunningEmulator:
    return start_in_thread(create_app(seed=3, now=NOW, **options))


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str)
    return body["error"]


def an_active(api: Api, collection: str, **match: object) -> dict:
    return next(item for item in getattr(api.data, collection)
                if item.get("status", "active") == "active" and all(item[k] == v for k, v in match.items()))


def sms_number(api: Api) -> tuple[str, str]:
    """(company id, an SMS-enabled tracking number of it)."""
    tracker = next(tracker for tracker in api.data.trackers if tracker["status"] == "active" and tracker["sms_enabled"])
    return tracker["_company_id"], tracker["tracking_numbers"][0]


# --- start-up, auth, routing ---------------------------------------------------------------------

def test_starts_in_well_under_a_second_and_reports_health():
    started = time.perf_counter()
    with start_in_thread(create_app(seed=11)) as running:
        health = httpx.get(f"{running.base_url}/_emulator/health").json()
        assert time.perf_counter() - started < 1.0
    assert health["status"] == "ok" and health["service"] == "callrail"
    assert health["account_id"] == running.app.state.credentials.account_id


@pytest.mark.parametrize("quoted", [True, False])
def test_both_token_spellings_are_accepted(api, quoted):
    response = Api(api.running, quoted=quoted).http.get("/v3/a.json")
    assert response.status_code == 200
    assert set(response.json()) == {"page", "per_page", "total_pages", "total_records", "accounts"}
    assert response.json()["accounts"] == [{"id": api.credentials.account_id, "name": api.data.account["name"],
                                            "outbound_recording_enabled": True, "hipaa_account": False}]


@pytest.mark.parametrize("header", [None, 'Token token="wrong"', "Bearer abc", "Token token="])
def test_a_missing_or_wrong_key_is_a_401_with_an_error_body(api, header):
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{api.running.base_url}{api.url('calls.json')}", headers=headers)
    message = error_of(response, 401)
    assert ("Invalid API key" if header == 'Token token="wrong"' else "Missing API key") in message
    assert response.headers["www-authenticate"].startswith("Token")


def test_unknown_routes_accounts_and_methods_answer_json_errors(api):
    assert "no such endpoint" in error_of(httpx.get(f"{api.running.base_url}/nowhere"), 404)
    assert error_of(api.get("nothing-here.json"), 404)
    assert error_of(api.http.get("/v3/a/ACC00000000000000000000000000000000/companies.json"), 404) \
        == "Account not found"
    assert error_of(api.http.patch(api.url("companies.json")), 405)
    assert error_of(api.get("calls/CALdoesnotexist.json"), 404) == "Call not found"


def test_the_numeric_account_id_works_in_the_path(api):
    numeric = api.credentials.numeric_account_id
    by_number = api.http.get(f"/v3/a/{numeric}/companies.json").json()
    assert by_number == api.get("companies.json").json()
    account = api.http.get(f"/v3/a/{numeric}.json", params={"fields": "numeric_id"}).json()
    assert account["id"] == api.credentials.account_id and account["numeric_id"] == numeric


def test_write_bodies_must_be_json_and_get_parameters_belong_in_the_query(api):
    response = api.http.post(api.url("companies.json"), content="name=Shop",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "JSON" in error_of(response, 406)
    response = api.http.request("GET", api.url("users.json"), content=b'{"user_id": "x"}')
    assert "query string" in error_of(response, 406)


# --- envelopes and pagination --------------------------------------------------------------------

@pytest.mark.parametrize("path,key", [
    ("companies.json", "companies"), ("trackers.json", "trackers"), ("calls.json", "calls"),
    ("text-messages.json", "conversations"), ("form_submissions.json", "form_submissions"),
    ("tags.json", "tags"), ("users.json", "users"),
])
def test_each_list_has_the_offset_envelope_and_its_array_key(api, path, key):
    body = api.get(path).json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", key}
    assert body["page"] == 1 and body["per_page"] == 100 and len(body[key]) == min(100, body["total_records"]) > 0


def test_offset_pages_cover_the_whole_collection_and_link_to_the_next(api):
    expected = [form["id"] for form in api.data.form_submissions]
    first = api.get("form_submissions.json", per_page=25)
    assert first.json()["total_records"] == len(expected)
    assert first.json()["total_pages"] == -(-len(expected) // 25)
    seen, url, pages = [], api.url("form_submissions.json?per_page=25"), 0
    while url:
        response = api.http.get(url)
        seen += [form["id"] for form in response.json()["form_submissions"]]
        pages += 1
        link = response.headers.get("link")
        url = re.match(r'<([^>]+)>; rel="next"', link).group(1) if link else None
    assert seen == expected and pages == first.json()["total_pages"]
    by_page = [api.get("form_submissions.json", per_page=25, page=page).json()["form_submissions"]
               for page in range(1, pages + 1)]
    assert [form["id"] for chunk in by_page for form in chunk] == expected
    beyond = api.get("form_submissions.json", per_page=25, page=pages + 1).json()
    assert beyond["form_submissions"] == [] and beyond["total_records"] == len(expected)


def test_per_page_is_capped_at_250_and_must_be_a_positive_integer(api):
    body = api.get("calls.json", per_page=1000, start_date=LONG_AGO).json()
    assert body["per_page"] == 250 and len(body["calls"]) == 250
    assert "per_page" in error_of(api.get("calls.json", per_page="lots"), 400)
    assert "page" in error_of(api.get("calls.json", page=0), 400)


def test_relative_pagination_follows_next_page_to_the_end(api):
    expected = [call["id"] for call in api.data.calls if not call["_spam"]]
    response = api.get("calls.json", relative_pagination="true", per_page=100, start_date=LONG_AGO)
    seen, pages = [], 0
    while True:
        body = response.json()
        assert set(body) == {"next_page", "has_next_page", "calls"}
        seen += [call["id"] for call in body["calls"]]
        pages += 1
        if not body["has_next_page"]:
            assert body["next_page"] is None and "link" not in response.headers
            break
        assert f"/v3/a/{api.credentials.numeric_account_id}/calls.json" in body["next_page"]
        assert f"offset={pages}" in body["next_page"]
        response = api.http.get(body["next_page"])
    assert seen == expected and pages == -(-len(expected) // 100) > 5
    stamps = [api.data.by_id["calls"][call_id]["_epoch"] for call_id in seen]
    assert stamps == sorted(stamps, reverse=True)


def test_calls_default_to_the_last_seven_days_and_all_time_is_refused(api):
    calls = api.get("calls.json", per_page=250).json()["calls"]
    oldest = min(datetime.fromisoformat(call["start_time"]) for call in calls)
    assert NOW - oldest < timedelta(days=8) and len(calls) < len(api.data.calls)
    assert "retention" in error_of(api.get("calls.json", date_range="all_time"), 400)
    yesterday = api.get("calls.json", date_range="yesterday", time_zone="America/New_York").json()["calls"]
    days = {datetime.fromisoformat(call["start_time"]).astimezone(ZoneInfo("America/New_York")).date()
            for call in yesterday}
    assert days == {date(2026, 3, 9)}


def test_call_fields_are_the_documented_defaults_plus_selected_ones(api):
    call = api.get("calls.json", per_page=1).json()["calls"][0]
    assert len(call) == 17 and call["id"].startswith("CAL") and re.fullmatch(r"CAL[0-9a-f]{32}", call["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", call["start_time"])
    assert call["customer_phone_number"].startswith("+1")
    chosen = api.get(f"calls/{call['id']}.json", fields="company_name,tags,milestones,nonsense").json()
    assert {"company_name", "tags", "milestones"} <= set(chosen) and "nonsense" not in chosen
    assert set(chosen["milestones"]) == {"first_touch", "lead_created", "qualified", "last_touch"}


# --- companies -----------------------------------------------------------------------------------

def test_company_create_update_and_soft_disable(api):
    assert error_of(api.post("companies.json", {"time_zone": "America/Denver"}), 400) \
        == "Missing required parameter: name"
    assert "time_zone" in error_of(api.post("companies.json", {"name": "X", "time_zone": "Mars/Base"}), 400)
    created = api.post("companies.json", {"name": "Widget Shop", "time_zone": "America/Denver"})
    assert created.status_code == 201
    company = created.json()
    assert re.fullmatch(r"COM[0-9a-f]{32}", company["id"]) and company["status"] == "active"
    assert company["time_zone"] == "America/Denver" and company["created_at"].endswith("Z")
    assert api.data.by_id["companies"][company["id"]]["name"] == "Widget Shop"

    updated = api.put(f"companies/{company['id']}.json", {"swap_ppc_override": "true", "callscribe_enabled": True,
                                                          "external_form_capture": True})
    assert updated.status_code == 200
    assert updated.json()["swap_ppc_override"] is True and updated.json()["form_capture"] is True
    assert updated.json()["name"] == "Widget Shop"

    assert api.delete(f"companies/{company['id']}.json").status_code == 204
    disabled = api.get(f"companies/{company['id']}.json").json()
    assert disabled["status"] == "disabled" and disabled["disabled_at"].endswith("Z")
    listed = [item["id"] for item in api.get("companies.json").json()["companies"]]
    active = [item["id"] for item in api.get("companies.json", status="active").json()["companies"]]
    assert company["id"] in listed and company["id"] not in active


def test_disabling_a_company_disables_its_trackers_and_the_last_active_one_stays():
    with own_emulator() as running:
        api = Api(running)
        active = [company for company in api.data.companies if company["status"] == "active"]
        for company in active[:-1]:
            assert api.delete(f"companies/{company['id']}.json").status_code == 204
        assert all(tracker["status"] == "disabled" for tracker in api.data.trackers
                   if tracker["_company_id"] != active[-1]["id"])
        message = error_of(api.delete(f"companies/{active[-1]['id']}.json"), 400)
        assert message == "You must have at least one active company."
        assert api.data.by_id["companies"][active[-1]["id"]]["status"] == "active"


# --- trackers ------------------------------------------------------------------------------------

def source_tracker(company: str, **changes: object) -> dict:
    body = {"name": "Spring Billboard", "type": "source", "company_id": company,
            "call_flow": {"type": "basic", "recording_enabled": True, "destination_number": "+14045556666"},
            "tracking_number": {"area_code": "404"}, "source": {"type": "offline"}}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_tracker_create_requires_the_documented_fields(api):
    company = an_active(api, "companies")["id"]
    for field in ("name", "type", "company_id", "call_flow", "tracking_number", "source"):
        assert field in error_of(api.post("trackers.json", source_tracker(company, **{field: None})), 400)
    assert error_of(api.post("trackers.json", source_tracker(company, source={"type": "tv"})), 400) \
        == "Unknown tracking source type"
    assert "area code 999" in error_of(api.post("trackers.json", source_tracker(
        company, tracking_number={"area_code": "999"})), 400)
    session = source_tracker(company, type="session", tracking_number=None, pool_size=3,
                             pool_numbers={"area_code": "404"}, source="all")
    assert "pool_size" in error_of(api.post("trackers.json", session), 400)

    created = api.post("trackers.json", source_tracker(company, campaign_name="Spring"))
    assert created.status_code == 201
    tracker = created.json()
    assert re.fullmatch(r"TRK[0-9a-f]{32}", tracker["id"]) and tracker["tracking_numbers"][0].startswith("+1404")
    assert tracker["company"]["id"] == company and tracker["destination_number"] == "+14045556666"
    assert "campaign_name" not in tracker
    assert api.get(f"trackers/{tracker['id']}.json", fields="campaign_name").json()["campaign_name"] == "Spring"

    pool = api.post("trackers.json", {**session, "pool_size": 5})
    assert pool.status_code == 201 and len(pool.json()["tracking_numbers"]) == 5
    assert pool.json()["source"] == {"type": "all"}


def test_tracker_update_and_soft_disable(api):
    company = an_active(api, "companies")["id"]
    tracker = api.post("trackers.json", source_tracker(company)).json()
    updated = api.put(f"trackers/{tracker['id']}.json", {"name": "Highway Billboard", "status": "disabled",
                                                         "call_flow": {"type": "basic",
                                                                       "destination_number": "7705551234"}})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Highway Billboard" and updated.json()["status"] == "active"
    assert updated.json()["call_flow"]["destination_number"] == "+17705551234"
    assert updated.json()["call_flow"]["recording_enabled"] is False

    assert api.delete(f"trackers/{tracker['id']}.json").status_code == 204
    disabled = api.get(f"trackers/{tracker['id']}.json").json()
    assert disabled["status"] == "disabled" and disabled["disabled_at"].endswith("Z")
    assert tracker["id"] in [item["id"] for item in api.get("trackers.json", per_page=250).json()["trackers"]]
    active = api.get("trackers.json", status="active", per_page=250).json()["trackers"]
    assert tracker["id"] not in [item["id"] for item in active]


# --- calls ---------------------------------------------------------------------------------------

def outbound(api: Api, **changes: object) -> dict:
    tracker = an_active(api, "trackers")
    body = {"caller_id": tracker["tracking_numbers"][0], "customer_phone_number": "+14044442233",
            "business_phone_number": "4045556666"}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_outbound_call_requires_three_us_or_canadian_numbers(api):
    for field in ("caller_id", "customer_phone_number", "business_phone_number"):
        assert error_of(api.post("calls.json", outbound(api, **{field: None})), 400) \
            == f"Missing required parameter: {field}"
    assert "10 digit" in error_of(api.post("calls.json", outbound(api, customer_phone_number="+442071234567")), 400)
    assert "caller_id" in error_of(api.post("calls.json", outbound(api, caller_id="+14049990000")), 400)

    created = api.post("calls.json", outbound(api))
    assert created.status_code == 201
    call = created.json()
    assert call["direction"] == "outbound" and call["answered"] is None and call["duration"] is None
    assert call["recording"] is None and call["customer_phone_number"] == "+14044442233"
    assert call["business_phone_number"] == "+14045556666" and call["customer_city"] == "Atlanta"
    assert api.data.calls[0]["id"] == call["id"]
    assert api.get("calls.json", per_page=1).json()["calls"][0]["id"] == call["id"]


def test_call_update_replaces_appends_and_clears(api):
    call = next(call for call in api.data.calls if call["lead_status"] is None and not call["_spam"])
    path = f"calls/{call['id']}.json"
    fields = {"fields": "tags,note,value,lead_status,formatted_value"}
    first = api.put(path, {"tags": ["Hot Lead", "Callback"], "note": "Call back Tuesday", "value": "$1,250.50",
                           "lead_status": "good_lead", "customer_name": "James Smith"})
    assert first.status_code == 200 and first.json()["customer_name"] == "James Smith"
    after = api.get(path, **fields).json()
    assert [tag["name"] for tag in after["tags"]] == ["Hot Lead", "Callback"]
    assert after["note"] == "Call back Tuesday" and after["value"] == 1250.5 and after["lead_status"] == "good_lead"
    assert after["formatted_value"] == "$1,250.50"
    assert any(tag["name"] == "Hot Lead" for tag in api.get("tags.json", per_page=250).json()["tags"])

    api.put(path, {"tags": ["Referral"], "append_tags": True})
    assert [tag["name"] for tag in api.get(path, **fields).json()["tags"]] == ["Hot Lead", "Callback", "Referral"]
    api.put(path, {"tags": ["Referral"]})
    assert [tag["name"] for tag in api.get(path, **fields).json()["tags"]] == ["Referral"]

    api.put(path, {"note": None, "value": "", "lead_status": None, "tags": []})
    cleared = api.get(path, **fields).json()
    assert cleared["note"] is None and cleared["value"] is None and cleared["lead_status"] is None
    assert cleared["tags"] == [] and cleared["formatted_value"] == "--"
    assert "lead_status" in error_of(api.put(path, {"lead_status": "maybe"}), 400)
    assert "value" in error_of(api.put(path, {"value": "a lot"}), 400)


def test_good_lead_on_a_previously_marked_call_is_a_400(api):
    call = next(call for call in api.data.calls if call["lead_status"] == "previously_marked_good_lead")
    path = f"calls/{call['id']}.json"
    assert "previously marked" in error_of(api.put(path, {"lead_status": "good_lead"}), 400)
    assert api.put(path, {"lead_status": "not_a_lead"}).status_code == 200


def test_a_call_marked_as_spam_leaves_the_log(api):
    call = next(call for call in api.data.calls if not call["_spam"])
    assert api.put(f"calls/{call['id']}.json", {"spam": True}).status_code == 200
    assert api.get(f"calls/{call['id']}.json").status_code == 404
    listed = api.get("calls.json", start_date=LONG_AGO, per_page=250, page=1).json()
    assert call["id"] not in [item["id"] for item in listed["calls"]]


def test_recordings_resolve_and_unrecorded_calls_have_none(api):
    recorded = next(call for call in api.data.calls if call["_recorded"] and not call["_spam"])
    view = api.get(f"calls/{recorded['id']}.json").json()
    assert view["recording"].startswith(api.running.base_url)
    assert api.http.get(view["recording"]).json()["url"].startswith("https://app.callrail.com/calls/")
    silent = next(call for call in api.data.calls if not call["_recorded"] and not call["_spam"])
    assert error_of(api.get(f"calls/{silent['id']}/recording.json"), 404) == "Recording not found"


# --- text messages -------------------------------------------------------------------------------

def test_sending_a_text_creates_a_conversation_and_appends_to_it(api):
    company, number = sms_number(api)
    body = {"company_id": company, "customer_phone_number": "(404) 444-2233", "tracking_number": number,
            "content": "Hi! Your appointment is confirmed."}
    created = api.post("text-messages.json", body)
    assert created.status_code == 201
    conversation = created.json()
    assert re.fullmatch(r"[A-Za-z0-9]{5}", conversation["id"])
    assert conversation["customer_phone_number"] == "+14044442233"
    assert conversation["recent_messages"][0]["content"].endswith("Reply STOP to opt out.")
    assert conversation["recent_messages"][0]["direction"] == "outgoing"

    again = api.post("text-messages.json", {"company_id": company, "customer_phone_number": "4044442233",
                                            "content": "See you at 10."})
    assert again.status_code == 201 and again.json()["id"] == conversation["id"]
    assert [message["content"] for message in again.json()["recent_messages"]][0] == "See you at 10."
    listed = api.get("text-messages.json").json()["conversations"]
    assert listed[0]["id"] == conversation["id"]
    single = api.get(f"text-messages/{conversation['id']}.json").json()
    assert single["total_records"] == 2 and single["messages"][0]["content"] == "See you at 10."


def test_text_rules_140_characters_required_fields_and_both_media_is_422(api):
    company, number = sms_number(api)
    body = {"company_id": company, "customer_phone_number": "+17705550199", "tracking_number": number}
    assert "content" in error_of(api.post("text-messages.json", {**body, "content": "x" * 141}), 400)
    assert api.post("text-messages.json", {**body, "content": "x" * 140}).status_code == 201
    for field in ("company_id", "customer_phone_number", "content"):
        reduced = {key: value for key, value in {**body, "content": "hi"}.items() if key != field}
        assert error_of(api.post("text-messages.json", reduced), 400) == f"Missing required parameter: {field}"
    new_customer = {**body, "customer_phone_number": "+17705550198", "content": "hi"}
    del new_customer["tracking_number"]
    assert "tracking_number" in error_of(api.post("text-messages.json", new_customer), 400)

    both = api.http.post(api.url("text-messages.json"),
                         data={**body, "content": "Look!", "media_url": "https://example.com/a.jpg"},
                         files={"media_file": ("a.png", b"\x89PNG fake", "image/png")})
    assert "not both" in error_of(both, 422)
    mms = api.http.post(api.url("text-messages.json"), data={**body, "content": "Look!"},
                        files={"media_file": ("a.png", b"\x89PNG fake", "image/png")})
    assert mms.status_code == 201
    media = mms.json()["recent_messages"][0]
    assert media["type"] == "mms" and api.http.get(media["media_urls"][0]).content == b"\x89PNG fake"


# --- form submissions ----------------------------------------------------------------------------

def form_body(company_id: str) -> dict:
    return {"company_id": company_id, "referrer": "wikipedia_link", "referring_url": "wikipedia.org/wiki/X",
            "landing_page_url": "example.com/info", "form_url": "example.com/report/new",
            "form_data": {"phone_number": "404-555-0142", "report": "Carmen stole the Liberty Bell."}}


@pytest.mark.parametrize("wrapped", [True, False])
def test_form_submissions_accept_wrapped_and_top_level_bodies(api, wrapped):
    body = form_body(an_active(api, "companies")["id"])
    created = api.post("form_submissions.json", {"form_submission": body} if wrapped else body)
    assert created.status_code == 201
    form = created.json()
    assert set(form) == {"id", "company_id", "person_id", "form_data", "form_url", "landing_page_url", "referrer",
                         "referring_url", "submitted_at", "first_form"}
    assert re.fullmatch(r"FOR[0-9a-f]{32}", form["id"]) and re.fullmatch(r"PER[0-9a-f]{32}", form["person_id"])
    assert form["submitted_at"].endswith("Z") and api.data.form_submissions[0]["id"] == form["id"]


def test_form_submission_required_fields_session_id_and_update(api):
    body = form_body(an_active(api, "companies")["id"])
    for field in ("company_id", "referrer", "referring_url", "landing_page_url", "form_url", "form_data"):
        reduced = {key: value for key, value in body.items() if key != field}
        assert error_of(api.post("form_submissions.json", reduced), 400) == f"Missing required parameter: {field}"
    by_session = {key: value for key, value in body.items()
                  if key not in ("referrer", "referring_url", "landing_page_url")}
    created = api.post("form_submissions.json", {**by_session, "session_id": "SES" + "a" * 32})
    assert created.status_code == 201
    path = f"form_submissions/{created.json()['id']}.json"
    updated = api.put(path, {"tags": ["Web Lead"], "note": "Emailed", "value": "25", "lead_status": "good_lead"})
    assert updated.status_code == 200
    view = api.get("form_submissions.json", per_page=1, fields="tags,note,value,lead_status").json()
    assert view["form_submissions"][0]["tags"][0]["name"] == "Web Lead" and view["form_submissions"][0]["value"] == 25
    assert api.put(path, {"note": ""}).status_code == 200 and api.data.form_submissions[0]["note"] is None


# --- tags and users ------------------------------------------------------------------------------

def test_tags_create_update_and_hard_delete(api):
    company = an_active(api, "companies")["id"]
    assert error_of(api.post("tags.json", {"company_id": company}), 400) == "Missing required parameter: name"
    assert "company_id" in error_of(api.post("tags.json", {"name": "Loose"}), 400)
    assert error_of(api.post("tags.json", {"name": "Odd", "company_id": company, "color": "teal9"}), 400) \
        == "Color is not included in the list"
    created = api.post("tags.json", {"name": "Existing Customer 2", "company_id": company, "color": "blue1"})
    assert created.status_code == 201 and isinstance(created.json()["id"], int)
    tag = created.json()
    account_tag = api.post("tags.json", {"name": "Everywhere", "tag_level": "account"}).json()
    assert account_tag["tag_level"] == "account" and account_tag["company_id"] is None

    updated = api.put(f"tags/{tag['id']}.json", {"name": "Returning", "disabled": "true"}).json()
    assert updated["name"] == "Returning" and updated["status"] == "disabled"
    api.put(f"tags/{tag['id']}.json", {"disabled": "false"})
    call = next(call for call in api.data.calls if call["company_id"] == company and not call["_spam"])
    api.put(f"calls/{call['id']}.json", {"tags": ["Returning"]})
    assert api.delete(f"tags/{tag['id']}.json").status_code == 204
    assert api.get(f"calls/{call['id']}.json", fields="tags").json()["tags"] == []
    assert tag["id"] not in api.data.by_id["tags"]


def test_users_create_update_and_delete(api):
    company = an_active(api, "companies")["id"]
    body = {"first_name": "Bob", "last_name": "Belcher", "email": "bob@belcher.example", "role": "reporting",
            "companies": [company]}
    for field in ("first_name", "last_name", "email", "role", "companies"):
        reduced = {key: value for key, value in body.items() if key != field}
        assert error_of(api.post("users.json", reduced), 400) == f"Missing required parameter: {field}"
    created = api.post("users.json", body)
    assert created.status_code == 200
    user = created.json()
    assert re.fullmatch(r"USR[0-9a-f]{32}", user["id"]) and user["companies"][0]["id"] == company
    assert "accepted" in error_of(api.put(f"users/{user['id']}.json", {"companies": [company]}), 400)

    other = next(item for item in api.data.users if item["accepted"] and item["role"] != "admin"
                 and item["id"] != api.data.key_user_id)
    assert error_of(api.put(f"users/{other['id']}.json", {"first_name": "Eve"}), 403)
    assert api.put(f"users/{other['id']}.json", {"companies": [company]}).json()["companies"] == [
        {"id": company, "name": api.data.by_id["companies"][company]["name"]}]
    me = api.data.key_user_id
    assert "current_password" in error_of(api.put(f"users/{me}.json", {"email": "me@x.example"}), 400)
    assert api.put(f"users/{me}.json", {"first_name": "Kevin"}).json()["name"].startswith("Kevin ")
    assert api.delete(f"users/{user['id']}.json").status_code == 204
    assert api.get(f"users/{user['id']}.json").status_code == 404
    assert error_of(api.delete(f"users/{me}.json"), 403)


# --- rate limits ---------------------------------------------------------------------------------

def test_general_rate_limit_blocks_every_endpoint_until_the_window_frees():
    clock = Clock()
    with own_emulator(rate_limits=RateLimits(general_per_hour=5), clock=clock) as running:
        api = Api(running)
        for _ in range(5):
            assert api.get("companies.json").status_code == 200
        for response in (api.get("users.json"), api.post("companies.json", {"name": "Late"}),
                         api.http.get("/v3/a.json")):
            assert "5 general API requests per hour" in error_of(response, 429)
            assert response.headers["retry-after"] == "3600"
        clock.now += 1_800
        assert api.get("users.json").headers["retry-after"] == "1800"
        clock.now += 1_801
        assert api.get("users.json").status_code == 200
        for _ in range(4):
            api.get("users.json")
        assert api.get("users.json").status_code == 429
        assert httpx.post(f"{running.base_url}/_emulator/rate-limits/reset").json() == {"reset": True}
        assert api.get("users.json").status_code == 200
        usage = httpx.get(f"{running.base_url}/_emulator/rate-limits").json()
        assert usage["usage"]["general"]["hour"] == 1 and usage["limits"]["general_per_hour"] == 5


def test_sms_and_outbound_call_limits_count_separately():
    clock = Clock()
    limits = RateLimits(sms_per_hour=2, outbound_calls_per_hour=1, outbound_calls_per_day=1)
    with own_emulator(rate_limits=limits, clock=clock) as running:
        api = Api(running)
        company, number = sms_number(api)
        text = {"company_id": company, "customer_phone_number": "+14045550100", "tracking_number": number,
                "content": "Hello"}
        assert [api.post("text-messages.json", text).status_code for _ in range(2)] == [201, 201]
        assert "2 SMS sends per hour" in error_of(api.post("text-messages.json", text), 429)
        assert api.get("calls.json").status_code == 200
        assert api.post("calls.json", outbound(api)).status_code == 201
        refused = api.post("calls.json", outbound(api))
        assert "1 outbound calls per day" in error_of(refused, 429) and refused.headers["retry-after"] == "86400"
        clock.now += 3_601
        assert api.post("text-messages.json", text).status_code == 201
        assert api.post("calls.json", outbound(api)).status_code == 429


# --- test controls -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def controlled() -> Iterator[RunningEmulator]:
    """An emulator for the fault and request-log tests, which leave no faults and clear the log."""
    with own_emulator() as running:
        yield running


def test_faults_are_injected_listed_and_dropped(controlled):
    api = Api(controlled)
    control = f"{controlled.base_url}/_emulator/faults"
    spec = {"status": 503, "count": 2, "retry_after": 1.5, "path_prefix": "/v3/a/"}
    assert httpx.post(control, json=spec).status_code == 201
    assert httpx.post(control, json={"status": 200}).status_code == 400
    assert api.http.get("/v3/a.json").status_code == 200
    faulted = api.get("users.json")
    assert error_of(faulted, 503) and faulted.headers["retry-after"] == "1.5"
    assert httpx.get(control).json()["faults"][0]["remaining"] == 1
    assert httpx.delete(control).json() == {"faults": []}
    assert api.get("users.json").status_code == 200
    httpx.post(control, json={"delay": 0.2})
    started = time.perf_counter()
    assert api.get("users.json").status_code == 200 and time.perf_counter() - started >= 0.2


def test_the_request_log_records_requests_but_never_the_key(controlled):
    api, log = Api(controlled), f"{controlled.base_url}/_emulator/requests"
    key = api.credentials.api_key
    httpx.delete(log)
    api.get("companies.json", per_page=2)
    api.http.get(f"/v3/a.json?token={key}")
    httpx.get(f"{controlled.base_url}{api.url('users.json')}")
    entries = httpx.get(log).json()["requests"]
    assert [(entry["method"], entry["status"]) for entry in entries] == [("GET", 200), ("GET", 200), ("GET", 401)]
    assert entries[0]["path"] == api.url("companies.json") and entries[0]["query"] == "per_page=2"
    assert all(isinstance(entry["time"], float) for entry in entries)
    assert key not in json.dumps(entries)
    assert httpx.delete(log).json() == {"requests": []}


# --- determinism, CLI ----------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_data():
    def snapshot(seed: int) -> str:
        data = build_dataset(seed, now=NOW)
        lists = {name: getattr(data, name) for name in ("companies", "trackers", "calls", "conversations",
                                                           "form_submissions", "tags", "users")}
        return json.dumps([data.credentials.api_key, data.account, lists], default=str, sort_keys=True)

    assert snapshot(5) == snapshot(5)
    assert make_credentials(5) == make_credentials(5) != make_credentials(6)


def test_cli_serves_on_the_printed_port_with_the_printed_key_and_account():
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "trunkline", "emulator", "callrail", "--port", "0",
                                "--seed", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment)
    try:
        banner = "".join(process.stdout.readline() for _ in range(4))
        base_url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner).group(1)
        key = re.search(r"API key ([0-9a-f]{32})", banner).group(1)
        account = re.search(r"account (ACC[0-9a-f]{32}) \(numeric (\d{9})\)", banner)
        url = f"{base_url}/v3/a/{account.group(2)}/companies.json"
        response = httpx.get(url, headers={"Authorization": f"Token token={key}"}, timeout=10)
        assert response.status_code == 200 and response.json()["total_records"] > 0
        assert httpx.get(url, timeout=10).status_code == 401
        assert build_dataset(5).credentials.account_id == account.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
