"""Pagination strategies and their stop rules.

After each page the paginator decides whether there is a next one. The rules apply in this order,
the first that fires wins:

1. **Explicit maximum** — ``max_pages`` pages have been fetched: stop.
2. **Empty page** — a page with no records: stop (there is nothing more to read).
3. **Loop guard** — the page's body is byte-for-byte the previous page's, or a next URL / token was
   already followed: stop with a :class:`PaginationError` (a server that never ends would otherwise
   keep the run going forever).
4. **Total known** — the response says how many pages (``total_pages_path``) or records
   (``total_records_path``) there are: stop once they have been read, go on otherwise (even after a
   short page).
5. **Short page** (``page`` and ``offset`` only, total unknown) — fewer records than the page size:
   stop.
6. **No next** (``next_url``, ``next_token``, ``link_header``) — the response names no next page: stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from trunkline.core.config import (
    LinkHeaderPagination,
    NextTokenPagination,
    NextUrlPagination,
    NoPagination,
    OffsetPagination,
    PagePagination,
)
from trunkline.core.errors import PaginationError
from trunkline.rest.extract import ParsedBody, value_at


@dataclass
class FetchedPage:
    """What the paginator needs to know about the page just fetched."""

    url: str
    body: ParsedBody
    record_count: int
    content: bytes
    link_next: str | None = None


@dataclass
class NextRequest:
    """How the next request differs from the configured one."""

    params: dict[str, Any] = field(default_factory=dict)
    url: str | None = None


@dataclass
class Paginator:
    """Walks the pages of one request sequence under one strategy (see the module docstring)."""

    strategy: (NoPagination | PagePagination | OffsetPagination | NextUrlPagination | NextTokenPagination
               | LinkHeaderPagination)
    pages_fetched: int = 0
    records_seen: int = 0
    _previous_content: bytes | None = None
    _followed: set[str] = field(default_factory=set)
    _position: int = 0

    def first(self) -> NextRequest:
        """The first request's paging parameters."""
        strategy = self.strategy
        if isinstance(strategy, PagePagination):
            self._position = strategy.start
            return NextRequest({strategy.page_param: strategy.start, strategy.size_param: strategy.size})
        if isinstance(strategy, OffsetPagination):
            self._position = strategy.start
            return NextRequest({strategy.offset_param: strategy.start, strategy.limit_param: strategy.limit})
        return NextRequest()

    def next(self, page: FetchedPage) -> NextRequest | None:
        """The next request, or None when paging is over."""
        strategy = self.strategy
        self.pages_fetched += 1
        self.records_seen += page.record_count
        if isinstance(strategy, NoPagination):
            return None
        if strategy.max_pages is not None and self.pages_fetched >= strategy.max_pages:
            return None
        if page.record_count == 0:
            return None
        if page.content == self._previous_content:  # a byte comparison: far cheaper than hashing each page
            raise PaginationError(
                f"page {self.pages_fetched} repeats page {self.pages_fetched - 1} ({page.url})",
                fix="check the pagination parameter names (the service may ignore them), or set max_pages",
            )
        self._previous_content = page.content
        if isinstance(strategy, PagePagination):
            return self._next_page(strategy, page)
        if isinstance(strategy, OffsetPagination):
            return self._next_offset(strategy, page)
        return self._next_link(strategy, page)

    def _next_page(self, strategy: PagePagination, page: FetchedPage) -> NextRequest | None:
        total_pages = self._total_pages(page, strategy.total_pages_path, strategy.total_records_path, strategy.size)
        self._position += 1
        if total_pages is not None:
            if self._position - strategy.start >= total_pages:
                return None
        elif page.record_count < strategy.size:
            return None
        return NextRequest({strategy.page_param: self._position, strategy.size_param: strategy.size})

    def _next_offset(self, strategy: OffsetPagination, page: FetchedPage) -> NextRequest | None:
        self._position += page.record_count
        total = _int_at(page.body, strategy.total_records_path, "total_records_path")
        if total is not None:
            if self._position - strategy.start >= total:
                return None
        elif page.record_count < strategy.limit:
            return None
        return NextRequest({strategy.offset_param: self._position, strategy.limit_param: strategy.limit})

    def _next_link(
        self, strategy: NextUrlPagination | NextTokenPagination | LinkHeaderPagination, page: FetchedPage,
    ) -> NextRequest | None:
        if isinstance(strategy, NextTokenPagination):
            token = value_at(page.body, strategy.token_path, where="source.pagination.token_path")
            if token in (None, "", []):
                return None
            self._guard_cycle(str(token), "token")
            return NextRequest(params={strategy.token_param: token})
        if isinstance(strategy, NextUrlPagination):
            link = value_at(page.body, strategy.next_path, where="source.pagination.next_path")
        else:
            link = page.link_next
        if not link:
            return None
        absolute = urljoin(page.url, str(link))
        self._guard_cycle(absolute, "next URL")
        return NextRequest(url=absolute)

    def _guard_cycle(self, key: str, what: str) -> None:
        if key in self._followed:
            raise PaginationError(
                f"the {what} {key!r} was already followed: the service's pages form a loop",
                fix="check next_path / token_path point at the next page, or set max_pages",
            )
        self._followed.add(key)

    @staticmethod
    def _total_pages(page: FetchedPage, pages_path: str | None, records_path: str | None, size: int) -> int | None:
        pages = _int_at(page.body, pages_path, "total_pages_path")
        if pages is not None:
            return pages
        records = _int_at(page.body, records_path, "total_records_path")
        return math.ceil(records / size) if records is not None else None


def _int_at(body: ParsedBody, path: str | None, key: str) -> int | None:
    if not path:
        return None
    value = value_at(body, path, where=f"source.pagination.{key}")
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PaginationError(
            f"pagination.{key} {path!r} points at {value!r}, not a number",
            fix=f"point pagination.{key} at the response's total (see `trunkline source test` suggestions)",
        ) from None
