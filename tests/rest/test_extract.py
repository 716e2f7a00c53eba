"""Parsing responses and extracting records and metadata, as `source test` shows them."""

from __future__ import annotations

import json
import operator

import jsonpath
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trunkline.core.errors import ConfigError, ResponseFormatError
from trunkline.rest.extract import (
    ParsedBody,
    _find,
    _plain_path,
    element_to_dict,
    extract_metadata,
    extract_records,
    merge_metadata,
    parse_body,
    path_matches,
    value_at,
)

CALLS = {
    "items": [
        {"id": "c1", "duration": 30, "agent": {"id": "a1"}},
        {"id": "c2", "duration": 95, "agent": {"id": "a2"}},
        {"id": "c3", "duration": 12, "agent": {"id": "a1"}},
    ],
    "pagination": {"pages": 2, "current": 1, "total": 5, "max": 3},
}

XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<response xmlns="urn:example:calls" version="2">
  <meta total="5"><page>1</page><pages>2</pages></meta>
  <data>
    <item id="c1"><duration>30</duration><tag>vip</tag><tag>callback</tag></item>
    <item id="c2"><duration>95</duration><note/>transferred<!-- comment --></item>
  </data>
</response>"""


def json_body(data: object) -> ParsedBody:
    return parse_body(json.dumps(data).encode(), "application/json")


@pytest.mark.parametrize("path", ["$.items[*]", "$.items", " $.items[*] "])
def test_jsonpath_to_an_array_gives_its_items(path: str) -> None:
    assert [r["id"] for r in extract_records(json_body(CALLS), path)] == ["c1", "c2", "c3"]


def test_nested_paths_and_filters() -> None:
    body = json_body({"data": {"calls": CALLS["items"]}})
    assert len(extract_records(body, "$.data.calls[*]")) == 3
    long_calls = extract_records(json_body(CALLS), "$.items[?@.duration > 20]")
    assert [r["id"] for r in long_calls] == ["c1", "c2"]
    by_agent = extract_records(json_body(CALLS), "$.items[?@.agent.id == 'a1']")
    assert [r["id"] for r in by_agent] == ["c1", "c3"]
    assert extract_records(json_body(CALLS), "$.items[*].agent") == [{"id": "a1"}, {"id": "a2"}, {"id": "a1"}]


def test_scalar_matches_become_value_records() -> None:
    assert extract_records(json_body(CALLS), "$.items[*].duration") == [
        {"value": 30},
        {"value": 95},
        {"value": 12},
    ]


def test_without_a_path() -> None:
    assert extract_records(json_body([{"a": 1}, 2]), None) == [{"a": 1}, {"value": 2}]
    assert extract_records(json_body({"item": {"id": "x"}}), None) == [{"item": {"id": "x"}}]
    assert extract_records(parse_body(b"42", "text/plain"), "") == [{"value": 42}]


def test_a_path_matching_nothing_gives_no_records() -> None:
    body = json_body(CALLS)
    assert extract_records(body, "$.calls[*]") == []
    assert not path_matches(body, "$.calls[*]")
    empty = json_body({"items": [], "pagination": {}})
    assert extract_records(empty, "$.items[*]") == []
    assert path_matches(empty, "$.items")


def test_empty_body_has_no_records() -> None:
    body = parse_body(b"  \n", "application/json")
    assert body.data is None
    assert extract_records(body, "$.items[*]") == []
    assert extract_metadata(body, "$.pagination") == {}


def test_xml_records_with_attributes_repeated_tags_and_text() -> None:
    body = parse_body(XML, "application/xml; charset=utf-8")
    assert body.kind == "xml"
    assert extract_records(body, "/response/data/item") == [
        {"@id": "c1", "duration": "30", "tag": ["vip", "callback"]},
        {"@id": "c2", "duration": "95", "note": None, "#text": "transferred"},
    ]
    assert extract_records(body, "//item[@id='c2']/duration") == [{"#text": "95"}]
    assert extract_records(body, "/response/data/item/@id") == [{"value": "c1"}, {"value": "c2"}]


def test_xml_without_a_path_gives_the_roots_children() -> None:
    records = extract_records(parse_body(XML, None), None)
    assert records[0] == {"@total": "5", "page": "1", "pages": "2"}
    assert len(records[1]["item"]) == 2


def test_element_to_dict() -> None:
    root = parse_body(b'<a x="1"><b>2</b><c><d>3</d></c>tail</a>', "text/xml").data
    assert element_to_dict(root) == {"@x": "1", "b": "2", "c": {"d": "3"}, "#text": "tail"}


def test_json_metadata_merged_into_every_record() -> None:
    body = json_body(CALLS)
    metadata = extract_metadata(body, "$.pagination")
    assert metadata == {"pages": 2, "current": 1, "total": 5, "max": 3}
    records = [merge_metadata(r, metadata) for r in extract_records(body, "$.items[*]")]
    assert records[0] == {
        "id": "c1",
        "duration": 30,
        "agent": {"id": "a1"},
        "pages": 2,
        "current": 1,
        "total": 5,
        "max": 3,
    }


def test_scalar_metadata_is_named_after_the_last_path_name() -> None:
    body = json_body(CALLS)
    assert extract_metadata(body, "$.pagination.total") == {"total": 5}
    assert extract_metadata(body, "$['pagination']['pages']") == {"pages": 2}
    assert extract_metadata(body, "$.items[*].id") == {"id": ["c1", "c2", "c3"]}
    assert extract_metadata(body, "$.missing") == {}
    assert extract_metadata(body, None) == {}


def test_xml_metadata() -> None:
    body = parse_body(XML, None)
    assert extract_metadata(body, "/response/meta") == {"@total": "5", "page": "1", "pages": "2"}
    assert extract_metadata(body, "/response/meta/pages") == {"pages": "2"}
    assert extract_metadata(body, "/response/meta/@total") == {"total": "5"}
    assert extract_metadata(body, "/response/meta/page/text()") == {"page": "1"}


def test_merge_rule_record_fields_win_and_non_dicts_are_wrapped() -> None:
    assert merge_metadata({"id": 1, "total": "mine"}, {"total": 99, "pages": 2}) == {
        "id": 1,
        "total": "mine",
        "pages": 2,
    }
    assert merge_metadata(7, {"pages": 2}) == {"value": 7, "pages": 2}
    record = {"id": 1}
    merge_metadata(record, {"pages": 2})
    assert record == {"id": 1}


def test_value_at_reads_single_values() -> None:
    assert value_at(json_body(CALLS), "$.pagination.pages") == 2
    assert value_at(json_body(CALLS), "$.pagination.next") is None
    xml = parse_body(XML, None)
    assert value_at(xml, "/response/meta/pages") == "2"
    assert value_at(xml, "/response/@version") == "2"


def test_bad_jsonpath_names_path_to_data_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        extract_records(json_body(CALLS), "$.items[")
    assert str(caught.value) == (
        "path_to_data: invalid JSONPath: unexpected end of query (got '$.items['). "
        "Fix: write an RFC 9535 JSONPath such as $.items[*] or $.data.calls[*]"
    )
    with pytest.raises(
        ConfigError, match=r"a JSONPath starts with \$ \(got 'items\[\*\]'\)\. Fix: write \$\.items\[\*\]"
    ):
        extract_records(json_body(CALLS), "items[*]")
    with pytest.raises(ConfigError, match="^path_to_metadata: invalid JSONPath"):
        extract_metadata(json_body(CALLS), "$..")


def test_path_of_the_wrong_kind_says_so() -> None:
    with pytest.raises(ConfigError, match="the path is an XPath, but the response is JSON"):
        extract_records(json_body(CALLS), "/response/data/item")
    with pytest.raises(ConfigError, match="the path is a JSONPath, but the response is XML"):
        extract_records(parse_body(XML, None), "$.items[*]")
    with pytest.raises(ConfigError, match="invalid XPath"):
        extract_records(parse_body(XML, None), "/response/[")
    with pytest.raises(ConfigError, match="namespaces are dropped when XML is read"):
        extract_records(parse_body(XML, None), "/c:response/c:data")


@pytest.mark.parametrize(
    ("content", "content_type", "problem"),
    [
        (b"<html><body>Please log in", "text/html", "response is a web page (text/html)"),
        (b"<html><body>Please log in</body></html>", "text/html; charset=utf-8", "response is a web page (text/html)"),
        (b"<response><data>1</data", "text/xml", "response is not valid XML"),
        (b"{'single': 'quotes'}", "application/json", "response is not valid JSON"),
        (b"Service Unavailable", None, "response is neither JSON nor XML"),
    ],
)
def test_unparseable_body_shows_an_excerpt_and_the_content_type(
    content: bytes, content_type: str | None, problem: str
) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_body(content, content_type)
    message = str(caught.value)
    assert message.startswith(problem)
    assert f"content type {content_type or 'not given'}" in message
    assert repr(content.decode()) in message
    assert "Fix: check that the URL and credential return data" in message


def test_excerpt_is_short() -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_body(b"x" * 5000, "text/plain")
    assert "x" * 199 + "…" in str(caught.value)
    assert "x" * 201 not in str(caught.value)


def test_format_detection() -> None:
    assert parse_body(b'  [{"a": 1}]', None).kind == "json"
    assert parse_body(b"<a/>", "text/plain").kind == "xml"
    assert parse_body(b'{"a": 1}', "application/vnd.api+json").kind == "json"
    assert parse_body(b"<a/>", "application/atom+xml").kind == "xml"
    assert parse_body(b'\xef\xbb\xbf{"a": 1}', None).data == {"a": 1}
    assert parse_body(b"<a>1</a>", "application/json", "xml").kind == "xml"


def test_xml_entities_are_never_resolved() -> None:
    xxe = (
        b'<?xml version="1.0"?>'
        b'<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY inner "INJECTED">]>'
        b"<r><item><a>&secret;</a><b>&inner;</b></item></r>"
    )
    records = extract_records(parse_body(xxe, "application/xml"), "/r/item")
    assert records == [{"a": None, "b": None}]
    assert "root:" not in json.dumps(records)
    assert "INJECTED" not in json.dumps(records)


def test_an_empty_array_under_a_star_path_still_matches():
    body = parse_body(b'{"items": [], "pagination": {"pages": 0}}', "application/json")
    assert extract_records(body, "$.items[*]") == []
    assert path_matches(body, "$.items[*]")
    assert not path_matches(body, "$.calls[*]")


# --- plain JSONPaths are walked directly, with the library's answers ---------------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abc_"), children, max_size=3),
    max_leaves=12,
)
_PLAIN_PATHS = st.builds(
    lambda names, every: "$" + "".join(f".{name}" for name in names) + ("[*]" if every else ""),
    st.lists(st.sampled_from(["a", "b", "c", "_"]), max_size=3), st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(data=_JSON_VALUES, path=_PLAIN_PATHS)
def test_plain_paths_select_what_the_jsonpath_library_selects(data, path):
    assume(not isinstance(data, str))  # the library would read a top-level string as JSON text
    body = ParsedBody("json", data)
    library = [match.value for match in jsonpath.JSONPathEnvironment(strict=True).compile(path).finditer(data)]
    assert _find(body, path, "path_to_data") == library


@pytest.mark.parametrize("path", ["$.items[0]", "$['items'][*]", "$..id", "$.items[?@.duration > 20]", "$.é"])
def test_other_paths_still_go_to_the_jsonpath_library(path):
    assert _plain_path(path) is None


@pytest.mark.parametrize(("content", "expected"), [
    ('{"items": [{"name": "Zoë"}]}'.encode("utf-16"), {"items": [{"name": "Zoë"}]}),  # orjson reads UTF-8 only
    (b'{"ratio": NaN}', None),  # not JSON, yet read as before (the standard library accepts it)
    (b'{"id": 123456789012345678901234567890}', {"id": 123456789012345678901234567890}),  # beyond 64 bits
    (b'[18446744073709551616, -9223372036854775809]', [18446744073709551616, -9223372036854775809]),  # just beyond
    (b'{"a":"x", "n":\n-9999999999999999999}', {"a": "x", "n": -9999999999999999999}),
    (b'99999999999999999999', 99999999999999999999),  # a body that is one number
])
def test_bodies_the_fast_parser_refuses_are_read_as_before(content, expected):
    data = parse_body(content, "application/json").data
    if expected is None:
        assert data["ratio"] != data["ratio"]  # NaN
    else:
        assert data == expected


_EDGE_INTEGERS = st.integers(min_value=2**63 - 10, max_value=2**66)  # where 64 bits end, both signs
_DIGIT_STRINGS = st.from_regex(r"[a-f\- ]?[0-9]{15,25}[a-f]?", fullmatch=True)
_NUMBERS_AND_DIGIT_STRINGS = st.recursive(
    st.integers() | _EDGE_INTEGERS | st.builds(operator.neg, _EDGE_INTEGERS) | _DIGIT_STRINGS
    | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_DIGIT_STRINGS | st.text(max_size=3), children,
                                                                       max_size=4),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(value=_NUMBERS_AND_DIGIT_STRINGS, indent=st.sampled_from([None, 1]))
def test_every_integer_is_read_exactly_wherever_digits_run(value, indent):
    content = json.dumps(value, indent=indent).encode()
    assert parse_body(content, "application/json").data == json.loads(content)


def test_a_body_that_is_not_json_names_the_problem_after_both_parsers_refuse():
    with pytest.raises(ResponseFormatError, match="not valid JSON"):
        parse_body(b'{"items": [1, 2', "application/json")
