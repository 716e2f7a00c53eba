"""Path suggestions from a raw response (the seed's "Autogenerate Path Suggestions")."""

from __future__ import annotations

import json

from trunkline.rest.extract import ParsedBody, extract_records, parse_body
from trunkline.rest.suggest import PathSuggestion, suggest_paths


def json_body(data: object) -> ParsedBody:
    return parse_body(json.dumps(data).encode(), "application/json")


def paths(suggestions: list[PathSuggestion], kind: str) -> list[str]:
    return [s.path for s in suggestions if s.kind == kind]


BABELFORCE_PAGE = {
    "items": [{"id": f"c{i}", "from": "+4930", "duration": i} for i in range(100)],
    "pagination": {"pages": 3, "current": 1, "total": 250, "max": 100},
}


def test_babelforce_envelope() -> None:
    suggestions = suggest_paths(json_body(BABELFORCE_PAGE))
    best = suggestions[0]
    assert best == PathSuggestion("$.items[*]", "data", 1.0, "array of 100 objects with keys id, from, duration")
    assert paths(suggestions, "metadata") == ["$.pagination"]
    pagination = {s.path: s.detail for s in suggestions if s.kind == "pagination"}
    assert pagination["$.pagination.pages"] == "page: total pages here (pagination.total_pages_path)"
    assert pagination["$.pagination.total"].startswith("page or offset: total records here")
    assert pagination["$.pagination.current"] == "page: the current page number (page pagination)"
    assert pagination["$.pagination.max"].endswith("the page size (pagination.size)")


def test_suggested_data_path_extracts_the_records() -> None:
    body = json_body(BABELFORCE_PAGE)
    assert len(extract_records(body, suggest_paths(body)[0].path)) == 100


def test_nested_data_and_flat_metadata() -> None:
    body = json_body(
        {
            "data": {"calls": [{"id": 1, "legs": [{"n": 1}, {"n": 2}]}, {"id": 2, "legs": []}]},
            "page": 1,
            "per_page": 100,
            "total_pages": 4,
            "total_records": 310,
            "next_page": "https://api.example.com/v3/calls?page=2",
        }
    )
    suggestions = suggest_paths(body)
    assert paths(suggestions, "data")[:2] == ["$.data.calls[*]", "$.data.calls[*].legs[*]"]
    assert set(paths(suggestions, "metadata")) == {
        "$.page",
        "$.per_page",
        "$.total_pages",
        "$.total_records",
        "$.next_page",
    }
    top_pagination = next(s for s in suggestions if s.kind == "pagination")
    assert top_pagination.path == "$.next_page"
    assert top_pagination.detail.startswith("next_url:")


def test_top_level_list() -> None:
    suggestions = suggest_paths(json_body([{"a": 1}, {"a": 2, "b": 3}]))
    assert suggestions == [PathSuggestion("$[*]", "data", suggestions[0].score, "array of 2 objects with keys a, b")]


def test_keys_that_need_brackets_and_consistency_ranking() -> None:
    body = json_body(
        {
            "odd key": [{"id": i} for i in range(20)],
            "mixed": [{"id": 1}, {"other": 2}, {"third": 3}, 4],
        }
    )
    data = [s for s in suggest_paths(body) if s.kind == "data"]
    assert data[0].path == "$['odd key'][*]"
    assert data[1].path == "$.mixed[*]"
    assert data[1].detail == "array of 4 items (3 objects) with keys id, other, third"


def test_cursor_and_hal_links() -> None:
    body = json_body(
        {
            "results": [{"id": 1}],
            "meta": {"next_cursor": "eyJpZCI6MX0", "has_more": True},
            "_links": {"self": {"href": "/calls"}, "next": {"href": "/calls?cursor=eyJpZCI6MX0"}},
        }
    )
    pagination = {s.path: s.detail for s in suggest_paths(body) if s.kind == "pagination"}
    assert pagination == {
        "$.meta.next_cursor": "next_token: a cursor for the next page (pagination.token_path)",
        "$._links.next.href": "next_url: the next page's URL (pagination.next_path)",
    }


def test_single_object_responses() -> None:
    suggestions = suggest_paths(json_body({"item": {"id": "a1", "name": "Ada"}, "success": True}))
    assert paths(suggestions, "data") == ["$.item", "$"]
    assert paths(suggestions, "metadata") == ["$.success"]


def test_an_empty_page_still_suggests_its_array() -> None:
    suggestions = suggest_paths(json_body({"calls": [], "next": None}))
    assert suggestions[0].path == "$.calls[*]"
    assert "empty array" in suggestions[0].detail
    assert paths(suggestions, "pagination") == ["$.next"]


def test_xml_repeated_elements() -> None:
    xml = b"""<response><meta total="2"><pages>1</pages><next>/calls?page=2</next></meta>
      <data><item id="1"><from>+49</from></item><item id="2"><from>+44</from></item></data></response>"""
    suggestions = suggest_paths(parse_body(xml, "text/xml"))
    assert suggestions[0].path == "/response/data/item"
    assert suggestions[0].detail == "2 repeated <item> elements with @id, from"
    assert paths(suggestions, "metadata") == ["/response/meta"]
    assert paths(suggestions, "pagination") == [
        "/response/meta/next",
        "/response/meta/pages",
        "/response/meta/@total",
    ]
    assert len(extract_records(parse_body(xml, None), suggestions[0].path)) == 2


def test_limit_applies_per_kind_and_order_is_deterministic() -> None:
    body = json_body({f"list{i}": [{"id": n} for n in range(i + 1)] for i in range(15)})
    first = suggest_paths(body, limit=3)
    assert first == suggest_paths(body, limit=3)
    assert [s.kind for s in first] == ["data"] * 3
    assert paths(first, "data") == ["$.list14[*]", "$.list13[*]", "$.list12[*]"]


def test_nothing_to_suggest() -> None:
    assert suggest_paths(parse_body(b"", None)) == []
    assert suggest_paths(json_body(42)) == []
