"""Manual sources end to end over real HTTP: extraction, metadata, XML, macros on the wire, lookups,
wrong paths, malformed config and the credential's host binding."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import pytest

from tests.engine.paging_server import BIG_NUMBERS, ITEMS, TOTAL
from trunkline.api import read_source, run_source, sample
from trunkline.core.errors import ConfigError, ExtractionError, MacroError

NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)


def test_metadata_is_merged_into_every_record(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/page", "path_to_data": "$.data[*]", "path_to_metadata": "$.meta",
        "pagination": {"type": "page", "size_param": "size", "size": 100, "total_pages_path": "$.meta.pages"},
    })
    assert len(records) == TOTAL
    assert records[0] == {"id": 1, "name": "item-1", "pages": 3, "total": TOTAL, "page": 1}
    assert records[-1]["page"] == 3


def test_xml_response_with_xpath_and_paging(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/xml", "path_to_data": "/response/data/item",
        "pagination": {"type": "page", "size_param": "size", "size": 100,
                       "total_pages_path": "/response/meta/pages"},
    })
    assert len(records) == TOTAL
    assert records[0]["@id"] == "1" and records[0]["name"] == "item-1"


def test_date_macros_render_in_url_query_headers_and_body(paging_api):
    records = read_source({
        "method": "POST",
        "url": paging_api.base_url + "/echo?from={now-2}",
        "query": {"to": "{now}", "since": "(now-4)", "epoch": "{now-1|epoch}"},
        "headers": "X-Window:{now-1},X-Static:plain",
        "body": {"window": {"start": "{now-1}"}, "literal": "{ not a macro }"},
        "date_format": "yyyy-MM-dd HH:mm", "time_unit": "hour",
        "path_to_data": "$.items[*]",
    }, now=NOW)
    echoed = records[0]
    assert echoed["query"] == {"from": "2026-03-15 10:30", "to": "2026-03-15 12:30", "since": "2026-03-15 08:30",
                               "epoch": str(int(datetime(2026, 3, 15, 11, 30, tzinfo=UTC).timestamp()))}
    assert echoed["headers"]["x-window"] == "2026-03-15 11:30"
    assert echoed["headers"]["x-static"] == "plain"
    assert json.loads(echoed["body"]) == {"window": {"start": "2026-03-15 11:30"}, "literal": "{ not a macro }"}


def test_lookup_fans_out_over_a_file(paging_api, tmp_path):
    lookup = tmp_path / "ids.csv"
    lookup.write_text("id,label\n7,seven\n9,nine\n7,again\n\n", encoding="utf-8")
    records = read_source({
        "url": paging_api.base_url + "/echo?item={lookup.id}&label={lookup.label}",
        "path_to_data": "$.items[*]",
        "lookup": {"source": str(lookup), "column": "id"},
    })
    assert [record["query"] for record in records] == [{"item": "7", "label": "seven"},
                                                         {"item": "9", "label": "nine"}]


def test_lookup_fans_out_over_another_source(paging_api, tmp_path):
    (tmp_path / "items.yaml").write_text(
        f"url: {paging_api.base_url}/offset\npath_to_data: $.results[*]\n"
        "pagination: {type: offset, limit: 100, total_records_path: $.count}\n", encoding="utf-8")
    (tmp_path / "details.yaml").write_text(
        f"url: {paging_api.base_url}/echo?id={{lookup.id}}\npath_to_data: $.items[*]\n"
        "lookup: {source: items.yaml, column: id}\n", encoding="utf-8")
    records = read_source(tmp_path / "details.yaml")
    assert [record["query"]["id"] for record in records] == [str(item["id"]) for item in ITEMS]


def test_wrong_path_to_data_names_the_path_and_suggests_the_right_one(paging_api):
    with pytest.raises(ExtractionError) as caught:
        read_source({"url": f"{paging_api.base_url}/page", "path_to_data": "$.rows[*]"})
    message = str(caught.value)
    assert "$.rows[*]" in message and "matches nothing" in message
    assert "$.data[*]" in caught.value.suggestions


def test_source_test_suggests_paths_for_data_metadata_and_paging(paging_api):
    result = sample({"url": f"{paging_api.base_url}/page"}, limit=5)
    by_kind = {}
    for suggestion in result.suggestions:
        by_kind.setdefault(suggestion.kind, []).append(suggestion.path)
    assert by_kind["data"][0] == "$.data[*]"
    assert "$.meta" in by_kind.get("metadata", [])


@pytest.mark.parametrize(("config", "path", "fix_words"), [
    ({"url": "http://127.0.0.1:1/x", "pagination": {"type": "pages"}}, "source.pagination", "use one of"),
    ({"url": "http://127.0.0.1:1/x", "pagination": {"type": "page", "size": 0}}, "source.pagination.size",
     "range"),
    ({"url": "http://127.0.0.1:1/x", "methd": "GET"}, "source.methd", "spelling"),
    ({"method": "GET"}, "source.url", "add url"),
    ({"url": "http://127.0.0.1:1/x", "time_unit": "days"}, "source.time_unit", "minute"),
    ({"url": "http://127.0.0.1:1/x", "headers": "X-A value"}, "source.headers", "name:value"),
])
def test_malformed_config_names_the_key_and_the_fix(config, path, fix_words):
    with pytest.raises(ConfigError) as caught:
        read_source(config)
    assert caught.value.path == path
    assert fix_words in str(caught.value)


def test_unknown_macro_is_a_clear_error():
    with pytest.raises(MacroError, match=r"\{yesterday\}"):
        read_source({"url": "http://127.0.0.1:1/calls?since={yesterday}"})


def test_missing_environment_variable_names_it(tmp_path, monkeypatch):
    monkeypatch.delenv("TL_TEST_UNSET", raising=False)
    (tmp_path / "s.yaml").write_text("url: http://127.0.0.1:1/x\nheaders: {X-Key: '${TL_TEST_UNSET}'}\n")
    with pytest.raises(ConfigError, match="TL_TEST_UNSET") as caught:
        read_source(tmp_path / "s.yaml")
    assert caught.value.path == "source.headers.X-Key"


def test_credential_is_not_sent_to_another_host(paging_api, caplog):
    secret = "tok-secret-9f8e7d6c5b4a"
    with caplog.at_level(logging.WARNING, logger="trunkline.http"):
        records = read_source({
            "credential": {"base_url": "http://127.0.0.2:9", "token": secret},
            "url": f"{paging_api.base_url}/echo", "path_to_data": "$.items[*]",
        })
    assert "authorization" not in records[0]["headers"]
    assert "not sending the credential" in caplog.text
    assert secret not in caplog.text


def test_credential_is_sent_to_its_own_host(paging_api):
    records = read_source({
        "credential": {"base_url": paging_api.base_url, "api_key": "k-123456", "api_key_header": "X-Api-Key"},
        "url": "/echo", "path_to_data": "$.items[*]",
    })
    assert records[0]["headers"]["x-api-key"] == "k-123456"


def test_integers_beyond_64_bits_keep_every_digit_into_records_and_tables(paging_api, tmp_path):
    source = {"url": f"{paging_api.base_url}/big-numbers", "path_to_data": "$.items[*]"}
    assert read_source(source) == BIG_NUMBERS
    run_source(source, tmp_path / "big.duckdb", table="numbers", home=tmp_path / "home")
    with duckdb.connect(str(tmp_path / "big.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT id, low, n FROM numbers ORDER BY n").fetchall()
    # beyond 64 bits a column is text (docs/data-destinations.md): the digits, every one of them
    assert rows == [(str(record["id"]), str(record["low"]), record["n"]) for record in BIG_NUMBERS]


def test_a_plain_path_to_data_never_loads_the_jsonpath_library(paging_api):
    """``$.data[*]`` is walked directly; the JSONPath library (about 90 ms to import, paid by every command
    before) is loaded only for paths that need it."""
    script = ("import sys; from trunkline.api import read_source; "
              f"records = read_source({{'url': '{paging_api.base_url}/page', 'path_to_data': '$.data[*]'}}); "
              "print(len(records), 'jsonpath' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["50", "False"]


def test_nested_values_go_out_as_json_text_in_the_url_the_query_and_a_form(paging_api, tmp_path):
    lookup = tmp_path / "filters.jsonl"
    lookup.write_text(json.dumps({"id": 1, "filter": {"state": "open"}}) + "\n", encoding="utf-8")
    [echoed] = read_source({
        "method": "POST", "url": paging_api.base_url + "/echo?f={lookup.filter}", "path_to_data": "$.items[*]",
        "query": {"nested": {"a": 1}, "ids": [1, 2], "flag": True},
        "content_format": "form", "body": {"b": {"c": 2}, "gone": None, "n": 3},
        "lookup": {"source": str(lookup), "column": "id"},
    })
    assert echoed["query"] == {"f": '{"state":"open"}', "nested": '{"a":1}', "ids": "2", "flag": "true"}
    assert echoed["body"] == "b=%7B%22c%22%3A2%7D&n=3"


def test_a_form_written_as_text_says_so_and_a_lookup_value_is_fetched_once_however_it_is_typed(paging_api, tmp_path):
    lookup = tmp_path / "ids.jsonl"
    lookup.write_text("".join(json.dumps({"id": value}) + "\n" for value in (1, "1", 2)), encoding="utf-8")
    echoed = read_source({
        "method": "POST", "url": paging_api.base_url + "/echo?item={lookup.id}", "path_to_data": "$.items[*]",
        "content_format": "form", "body": "a=1&b=two", "lookup": {"source": str(lookup), "column": "id"},
    })
    assert [record["query"]["item"] for record in echoed] == ["1", "2"]
    assert echoed[0]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert echoed[0]["body"] == "a=1&b=two"
