"""The REST destination engine through the Python API, against a real write API on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from trunkline.api import deliver, preview, send_test
from trunkline.core.errors import ConfigError

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
SECRET = "sink-token-Qw9!x"


def destination(sink, path: str = "/items", **config) -> dict:
    return {"credential": {"base_url": sink.base_url, "token": SECRET}, "url": f"{sink.base_url}{path}", **config}


def rows(count: int, **extra) -> list[dict]:
    return [{"id": f"r{n}", "name": f"name {n}", "internal": n, **extra} for n in range(count)]


def received_bodies(sink) -> list:
    return [json.loads(entry["body"]) for entry in sink.app.state.received]


def rejects_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_each_record_is_its_own_request_with_excluded_attributes_removed(sink, tmp_path):
    summary = deliver(destination(sink, exclude=["internal"]), rows(3), rejects=tmp_path / "rejects.jsonl")
    assert summary.outcomes["delivered"] == 3 and summary.requests == 3
    assert received_bodies(sink) == [{"id": f"r{n}", "name": f"name {n}"} for n in range(3)]
    assert sink.app.state.received[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    assert not (tmp_path / "rejects.jsonl").exists()


def test_record_field_macros_in_the_url_both_spellings(sink, tmp_path):
    config = destination(sink, "/items/{id}", method="PUT", body={"label": "{record.name}", "n": "{internal}"})
    deliver(config, rows(2), rejects=tmp_path / "r.jsonl")
    assert sink.app.state.updated == [{"id": "r0", "label": "name 0", "n": 0}, {"id": "r1", "label": "name 1", "n": 1}]
    deliver(destination(sink, "/items/{record.id}", method="PUT"), [{"id": "a b?c"}], rejects=tmp_path / "r.jsonl")
    assert sink.app.state.received[-1]["path"] == "/items/a%20b%3Fc"


def test_body_template_with_date_macros_keeps_field_types(sink, tmp_path):
    body = {"who": "{name}", "count": "{internal}", "when": "{now|yyyy-MM-dd}", "text": "hi {name}!"}
    deliver(destination(sink, body=body), rows(1), rejects=tmp_path / "r.jsonl", now=NOW)
    assert received_bodies(sink) == [{"who": "name 0", "count": 0, "when": "2026-03-04", "text": "hi name 0!"}]


def test_json_array_batches_of_the_configured_size(sink, tmp_path):
    summary = deliver(destination(sink, batch={"size": 3}), rows(7), rejects=tmp_path / "r.jsonl")
    assert [len(body) for body in received_bodies(sink)] == [3, 3, 1]
    assert summary.outcomes["delivered"] == 7 and summary.requests == 3
    assert [item["id"] for item in sink.app.state.items] == [f"r{n}" for n in range(7)]


def test_property_grouping_with_other_props(sink, tmp_path):
    group = {"type": "property", "property_name": "items", "other_props": {"source": "crm", "dry": False}}
    deliver(destination(sink, batch={"size": 2, "group": group}, exclude=["internal"]), rows(3),
            rejects=tmp_path / "r.jsonl")
    first, second = received_bodies(sink)
    assert first == {"items": [{"id": "r0", "name": "name 0"}, {"id": "r1", "name": "name 1"}], "source": "crm",
                     "dry": False}
    assert second["items"] == [{"id": "r2", "name": "name 2"}]


def test_code_grouping_runs_the_users_function_without_the_environment(sink, tmp_path, monkeypatch):
    monkeypatch.setenv("SINK_SECRET", SECRET)
    (tmp_path / "group.py").write_text(
        "import os\n"
        "def wrap(records):\n"
        "    print('printing does not break the protocol')\n"
        "    return {'items': [{'key': r['id']} for r in records], 'env': sorted(os.environ)}\n")
    config = destination(sink, batch={"size": 5, "group": {"type": "code", "file": str(tmp_path / "group.py"),
                                                           "function": "wrap"}})
    deliver(config, rows(4), rejects=tmp_path / "r.jsonl")
    [body] = received_bodies(sink)
    assert body["items"] == [{"key": f"r{n}"} for n in range(4)]
    assert "SINK_SECRET" not in body["env"] and SECRET not in json.dumps(body)


def test_a_missing_grouping_function_is_a_config_error(sink, tmp_path):
    (tmp_path / "group.py").write_text("def other(records):\n    return records\n")
    config = destination(sink, batch={"group": {"type": "code", "file": str(tmp_path / "group.py")}})
    with pytest.raises(ConfigError, match="defines no function group"):
        deliver(config, rows(1), rejects=tmp_path / "r.jsonl")


def test_a_poison_record_never_sinks_its_batch(sink, tmp_path):
    records = rows(10)
    records[3]["bad"] = True
    records[8]["bad"] = True
    summary = deliver(destination(sink, batch={"size": 10}), records, rejects=tmp_path / "rejects.jsonl")
    assert summary.records == 10
    assert summary.outcomes["delivered"] == 8 and summary.outcomes["failed"] == 2
    assert sorted(item["name"] for item in sink.app.state.items) == sorted(
        r["name"] for i, r in enumerate(records) if i not in (3, 8))
    rejected = rejects_of(tmp_path / "rejects.jsonl")
    assert [r["row"] for r in rejected] == [3, 8]
    assert all(r["status"] == "failed" and r["http_status"] == 400 for r in rejected)
    assert "item 0 is not acceptable" in rejected[0]["reason"]
    assert rejected[0]["record"] == records[3]


def test_responses_are_captured_and_linked_to_their_input_rows(sink, tmp_path):
    records = rows(5)
    records[4]["bad"] = True
    summary = deliver(destination(sink, batch={"size": 2}, capture_responses="created"), records,
                      rejects=tmp_path / "r.jsonl", responses=tmp_path / "created.jsonl")
    captured = [json.loads(line) for line in (tmp_path / "created.jsonl").read_text().splitlines()]
    assert summary.responses == str(tmp_path / "created.jsonl")
    assert [c["input_rows"] for c in captured] == [[0, 1], [2, 3], [4]]
    assert captured[0]["status"] == 201 and captured[0]["input_ids"] == ["r0", "r1"]
    assert captured[0]["body"]["created"][0]["name"] == "name 0"
    assert captured[0]["headers"]["Location"] == "/items/1"
    assert captured[2]["status"] == 400 and captured[2]["outcomes"] == ["failed"]


def test_a_5xx_on_a_post_is_reported_for_review_and_never_resent(sink, tmp_path):
    summary = deliver(destination(sink, "/flaky"), rows(2), rejects=tmp_path / "r.jsonl")
    assert summary.outcomes["review"] == 2 and summary.retries == 0
    assert len(sink.app.state.received) == 2  # one attempt each: the service acted on both
    reason = rejects_of(tmp_path / "r.jsonl")[0]["reason"]
    assert "500" in reason and "check before sending it again" in reason


def test_client_side_rate_limit_slows_down_instead_of_being_refused(sink, tmp_path):
    # the sink allows 3 a second; the client is told 3 per 1.3 s, a margin for a loaded machine
    limits = [{"name": "sink", "requests": 3, "per_seconds": 1.3}]
    summary = deliver(destination(sink, "/limited", rate_limits=limits), rows(7), rejects=tmp_path / "r.jsonl")
    assert summary.outcomes["delivered"] == 7
    assert sink.app.state.refused == 0
    assert summary.seconds >= 2.6  # 7 requests at 3 per window need two full windows


def test_a_rate_limit_holds_for_requests_in_flight_together(sink, tmp_path):
    # the client is told exactly the sink's 3 a second: a request holds its place until answered, so the
    # sink, which counts it on arrival, never sees a fourth within a second however they overlap, even
    # when the first three arrive late (counted 0.4 s after they were sent: a window counted from the
    # sending would let the fourth in 0.4 s too early)
    sink.app.state.limited_delays.extend([0.4, 0.4, 0.4])
    limits = [{"name": "sink", "requests": 3, "per_seconds": 1.0}]
    summary = deliver(destination(sink, "/limited", rate_limits=limits, concurrency=4), rows(5),
                      rejects=tmp_path / "r.jsonl")
    assert summary.outcomes["delivered"] == 5 and summary.retries == 0
    assert sink.app.state.refused == 0
    assert summary.seconds >= 1.0  # the fourth waited for the first's window


@pytest.mark.parametrize(("value", "words"), [
    (0, "greater than or equal to 1 (got 0). Fix: use a value in the allowed range: 1 or more"),
    (33, "less than or equal to 32 (got 33). Fix: use a value in the allowed range: 32 or less"),
    ("many", "must be a whole number of requests in flight, from 1 to 32 (got 'many'). Fix: write a value as"),
    (True, "must be a whole number of requests in flight, from 1 to 32 (got True). Fix:"),
    (1.5, "must be a whole number of requests in flight, from 1 to 32 (got 1.5). Fix:"),
    ("4", "must be a whole number of requests in flight, from 1 to 32 (got '4'). Fix:"),
])
def test_a_bad_concurrency_names_the_key_the_value_and_the_fix(sink, tmp_path, value, words):
    with pytest.raises(ConfigError) as raised:
        deliver(destination(sink, concurrency=value), rows(1), rejects=tmp_path / "r.jsonl")
    assert str(raised.value).startswith("destination.concurrency: ") and words in str(raised.value)
    assert sink.app.state.received == []


def test_form_and_ndjson_content_formats(sink, tmp_path):
    deliver(destination(sink, "/form", content_format="form", exclude=["internal"]), rows(1),
            rejects=tmp_path / "r.jsonl")
    assert sink.app.state.received[0]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert sink.app.state.items[0] == {"id": "r0", "name": "name 0"}
    deliver(destination(sink, "/lines", content_format="ndjson", batch={"size": 3}), rows(3),
            rejects=tmp_path / "r.jsonl")
    assert sink.app.state.received[1]["body"].count("\n") == 3
    assert sink.app.state.items[1:] == rows(3)


def test_record_rules_keep_bad_records_with_the_field_and_normalise_phones(sink, tmp_path):
    records = [{"uid": "a", "number": "030 1234567", "rank": "5"}, {"uid": "b", "number": "12", "rank": 1},
               {"number": "+4930123456", "rank": "x"}]
    rules = {"required": ["uid", "number", "rank"], "integer": ["rank"], "phone": ["number"]}
    summary = deliver(destination(sink, validate=rules, default_region="de"), records, rejects=tmp_path / "r.jsonl")
    assert summary.outcomes == {"delivered": 1, "invalid": 2, "failed": 0, "review": 0, "held": 0}
    assert received_bodies(sink) == [{"uid": "a", "number": "+49301234567", "rank": 5}]
    reasons = {r["row"]: r["reason"] for r in rejects_of(tmp_path / "r.jsonl")}
    assert "number: '12' is not a valid phone number" in reasons[1]
    assert "uid: is required" in reasons[2] and "rank: 'x' is not a whole number" in reasons[2]


def test_preview_shows_the_exact_requests_with_secrets_masked_and_sends_nothing(sink):
    requests, not_sent = preview(destination(sink, batch={"size": 2, "group": "json_array"}, exclude=["internal"],
                                             headers="X-Team:ops,X-Run:{now|yyyyMMdd}"),
                                 rows(3), limit=3, now=NOW)
    assert not_sent == []
    assert [r["rows"] for r in requests] == [[0, 1], [2]]
    first = requests[0]
    assert first["method"] == "POST" and first["url"] == f"{sink.base_url}/items"
    assert first["headers"]["Authorization"] == "Bearer ****" and first["headers"]["X-Run"] == "20260304"
    assert first["body"] == [{"id": "r0", "name": "name 0"}, {"id": "r1", "name": "name 1"}]
    assert SECRET not in json.dumps(requests)
    assert sink.app.state.received == []


def test_send_test_returns_each_response_beside_its_request(sink):
    [exchange] = send_test(destination(sink), rows(3), limit=1)
    assert exchange.status == 201 and exchange.request["rows"] == [0]
    assert exchange.response_body["created"][0]["seq"] == 1
    assert len(sink.app.state.received) == 1


def test_bad_destination_config_names_the_key_and_the_fix(sink, tmp_path):
    with pytest.raises(ConfigError) as raised:
        deliver(destination(sink, batch={"group": {"type": "zip"}}), rows(1), rejects=tmp_path / "r.jsonl")
    assert "destination.batch.group" in str(raised.value) and "json_array" in str(raised.value)
    with pytest.raises(ConfigError, match="destination.method"):
        deliver(destination(sink, method="GET"), rows(1), rejects=tmp_path / "r.jsonl")
    with pytest.raises(ConfigError, match="destination.default_region"):
        deliver(destination(sink, default_region="XX"), rows(1), rejects=tmp_path / "r.jsonl")


def test_an_excluded_field_still_fills_the_url(sink, tmp_path):
    deliver(destination(sink, "/items/{id}", method="PUT", exclude=["id", "internal"]), rows(1),
            rejects=tmp_path / "r.jsonl")
    assert sink.app.state.received[0]["path"] == "/items/r0"
    assert received_bodies(sink) == [{"name": "name 0"}]


def test_a_slow_grouping_function_is_stopped_and_its_batch_kept_with_the_reason(sink, tmp_path):
    (tmp_path / "group.py").write_text(
        "import time\n"
        "def group(records):\n"
        "    if records[0]['id'] == 'r0':\n"
        "        time.sleep(30)\n"
        "    return records\n")
    group = {"type": "code", "file": str(tmp_path / "group.py"), "timeout_seconds": 0.5}
    summary = deliver(destination(sink, batch={"size": 2, "group": group}), rows(4), rejects=tmp_path / "r.jsonl")
    assert summary.outcomes["invalid"] == 2 and summary.outcomes["delivered"] == 2
    assert "took longer than 0.5s" in rejects_of(tmp_path / "r.jsonl")[0]["reason"]
