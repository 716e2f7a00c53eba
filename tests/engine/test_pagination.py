"""Every pagination strategy and stop rule, over real HTTP, through the Python API."""

from __future__ import annotations

import pytest

from tests.engine.paging_server import ITEMS, TOTAL
from trunkline.api import read_source
from trunkline.core.errors import PaginationError


def ids(records: list[dict]) -> list:
    return [record["id"] for record in records]


def test_page_strategy_stops_on_total_pages(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/page", "path_to_data": "$.data[*]",
        "pagination": {"type": "page", "page_param": "page", "size_param": "size", "size": 50,
                       "total_pages_path": "$.meta.pages"},
    })
    assert ids(records) == ids(ITEMS)


def test_page_strategy_without_total_stops_on_short_page(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/page-no-total",
        "pagination": {"type": "page", "size_param": "size", "size": 50},
    })
    assert len(records) == TOTAL


def test_page_strategy_with_exact_multiple_stops_on_empty_page(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/page-no-total",
        "pagination": {"type": "page", "size_param": "size", "size": 79},  # 237 = 3 * 79: a 4th, empty page ends it
    })
    assert len(records) == TOTAL


def test_offset_strategy_with_total_records(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/offset", "path_to_data": "$.results[*]",
        "pagination": {"type": "offset", "limit": 100, "total_records_path": "$.count"},
    })
    assert ids(records) == ids(ITEMS)


def test_next_url_strategy_follows_relative_links(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/next-url", "path_to_data": "$.items[*]",
        "pagination": {"type": "next_url", "next_path": "$.links.next"},
    })
    assert ids(records) == ids(ITEMS)


def test_next_token_strategy(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/next-token", "path_to_data": "$.records[*]",
        "pagination": {"type": "next_token", "token_path": "$.paging.next", "token_param": "after"},
    })
    assert ids(records) == ids(ITEMS)


def test_link_header_strategy(paging_api):
    records = read_source({"url": f"{paging_api.base_url}/link", "pagination": {"type": "link_header"}})
    assert ids(records) == ids(ITEMS)


def test_explicit_maximum_wins_over_everything(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/page", "path_to_data": "$.data[*]",
        "pagination": {"type": "page", "size_param": "size", "size": 50, "total_pages_path": "$.meta.pages",
                       "max_pages": 2},
    })
    assert ids(records) == ids(ITEMS[:100])


def test_total_pages_win_over_a_short_page(paging_api):
    # the server ignores our size and serves 50 a page: every page is "short" of 60, yet the total says go on
    records = read_source({
        "url": f"{paging_api.base_url}/page", "path_to_data": "$.data[*]",
        "pagination": {"type": "page", "size_param": "ignored", "size": 60, "total_pages_path": "$.meta.pages"},
    })
    assert ids(records) == ids(ITEMS)


def test_repeating_page_is_caught(paging_api):
    with pytest.raises(PaginationError, match="repeats page 1"):
        read_source({
            "url": f"{paging_api.base_url}/repeating", "path_to_data": "$.data[*]",
            "pagination": {"type": "page", "size_param": "size", "size": 50, "total_pages_path": "$.meta.pages"},
        })


def test_cycling_token_is_caught(paging_api):
    with pytest.raises(PaginationError, match="already followed"):
        read_source({
            "url": f"{paging_api.base_url}/cycling", "path_to_data": "$.records[*]",
            "pagination": {"type": "next_token", "token_path": "$.paging.next", "token_param": "after"},
        })


def test_limit_stops_early_without_fetching_every_page(paging_api):
    records = read_source({
        "url": f"{paging_api.base_url}/page", "path_to_data": "$.data[*]",
        "pagination": {"type": "page", "size_param": "size", "size": 50, "total_pages_path": "$.meta.pages"},
    }, limit=70)
    assert ids(records) == ids(ITEMS[:70])
