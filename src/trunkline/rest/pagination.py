"""Pagination strategies and their stop rules.

After each page the paginator decides whether there is a next one. The rules apply in this order,
the first that fires wins:

1. **Explicit maximum** — ``max_pages`` pages have been fetched: stop.
2. **Empty page** — a page with no rows: stop (there is nothing more to read).
3. **Loop guard** — the page's body is byte-for-byte the previous page's, or its rows are the previous
   page's rows (a service that ignores the paging parameters but stamps each answer with a fresh
   request id), or a next URL / token was already followed: stop with a :class:`PaginationError` (a
   server that never ends would otherwise keep the run going forever).
4. **Total known** — the response says how many pages (``total_pages_path``) or records
   (``total_records_path``) there are: stop once that many pages, or rows, have been read; go on
   otherwise (even after a short page, so a service that serves fewer rows a page than asked for is
   read to the end).
5. **Short page** (``page`` and ``offset`` only, total unknown) — fewer rows than the page size:
   stop.
6. **No next** (``next_url``, ``next_token``, ``link_header``) — the response names no next page: stop.

**Rows, not records.** Paging counts the rows a page *held*, which are not always the records kept:
a filter in the path to data (``$.items[?@.enabled == true]``) keeps fewer records than the service
returned, and an offset advanced by the records kept would read rows twice, a short page rule fed
with them would stop early, and a page whose rows all fail the filter would look empty. The rows of
a page are the elements of the array(s) the *last bracketed selector* of the path to data selects
from: ``$.items[?@.enabled == true]`` → the elements of ``$.items``, ``$.data[*].calls[?@.x]`` → the
elements of every ``$.data[*].calls``; for an XPath, the elements its last predicate filters
(``/response/item[@enabled='true']`` → ``/response/item``). Those counts are what the service paged
(its ``limit``, its offsets and its totals are counts of them). A path that selects without a filter
(``$.items[*]``, ``$.items``, no path) keeps every row, so there the rows are simply the records; and
when the rows cannot be told (a descendant ``$..[?…]``, an XPath whose predicate sits inside a
function) the records are counted, as they would be without a filter.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import orjson

from trunkline.core.config import (
    LinkHeaderPagination,
    NextTokenPagination,
    NextUrlPagination,
    NoPagination,
    OffsetPagination,
    PagePagination,
)
from trunkline.core.errors import ConfigError, PaginationError
from trunkline.rest.extract import ParsedBody, extract_records, value_at

log = logging.getLogger("trunkline.pagination")

_REPEAT_FIX = (
    "check the paging parameter names (page_param and size_param, offset_param and limit_param, token_param) "
    "against the API's documentation: the service seems to ignore them; or set max_pages"
)


@dataclass
class FetchedPage:
    """What the paginator needs to know about the page just fetched.

    ``rows`` are the rows the page held, before any filter of the path to data and without merged
    metadata (see :func:`page_rows`): paging counts them and the loop guard compares them.
    """

    url: str
    body: ParsedBody
    rows: Sequence[Any]
    content: bytes
    link_next: str | None = None

    @property
    def row_count(self) -> int:
        """How many rows the page held."""
        return len(self.rows)


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
    rows_seen: int = 0
    _previous_content: bytes | None = None
    _previous_probe: bytes | None = None
    _previous_digest: bytes | None = None
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
        """The next request, or None when paging is over.

        Call it before handing the page's rows to anyone who may change them: the loop guard reads them.
        """
        strategy = self.strategy
        self.pages_fetched += 1
        self.rows_seen += page.row_count
        if isinstance(strategy, NoPagination):
            return None
        if strategy.max_pages is not None and self.pages_fetched >= strategy.max_pages:
            return None
        if page.row_count == 0:
            return None
        self._guard_repeated_body(page)
        self._guard_repeated_rows(page)
        if isinstance(strategy, PagePagination):
            return self._next_page(strategy, page)
        if isinstance(strategy, OffsetPagination):
            return self._next_offset(strategy, page)
        return self._next_link(strategy, page)

    def _guard_repeated_body(self, page: FetchedPage) -> None:
        """Stop when the body is byte-for-byte the previous page's (a comparison far cheaper than hashing)."""
        if page.content == self._previous_content:
            raise PaginationError(
                f"page {self.pages_fetched} repeats page {self.pages_fetched - 1} ({page.url})", fix=_REPEAT_FIX,
            )
        self._previous_content = page.content

    def _guard_repeated_rows(self, page: FetchedPage) -> None:
        """Stop when the page's rows are the previous page's, whatever else in the body changed.

        Hashing every page costs about a millisecond per thousand rows, so it is done only where a repeat
        is possible: a cheap probe (the row count, the first and the last row) is taken of every page, and
        the digest of all the rows' canonical JSON of the first page and of any page whose probe is the
        previous page's. Two pages are repeats when their digests are equal. A service that ignores the
        paging parameters is thus stopped at its second page; one that starts repeating later, at the
        second repeat (the first repeat's predecessor had no digest).
        """
        probe = _probe(page.rows)
        needed = self.pages_fetched == 1 or probe == self._previous_probe
        digest = _digest(page.rows) if needed else None
        if digest is not None and digest == self._previous_digest:
            raise PaginationError(
                f"page {self.pages_fetched} holds the same records as page {self.pages_fetched - 1} ({page.url}), "
                "though the responses differ",
                fix=_REPEAT_FIX,
            )
        self._previous_probe, self._previous_digest = probe, digest

    def _next_page(self, strategy: PagePagination, page: FetchedPage) -> NextRequest | None:
        self._position += 1
        reached = self._page_total_reached(strategy, page)
        if reached is None:
            if page.row_count < strategy.size:
                return None
        elif reached:
            return None
        return NextRequest({strategy.page_param: self._position, strategy.size_param: strategy.size})

    def _page_total_reached(self, strategy: PagePagination, page: FetchedPage) -> bool | None:
        """Whether the pages or records the response states have been read; None when it states neither.

        A total of records is compared with the rows received, not turned into pages of the configured
        size: a service that serves fewer rows a page than asked for (Babelforce: at most 1,000) would
        otherwise be left half read.
        """
        pages = self._total(page, strategy.total_pages_path, "total_pages_path")
        if pages is not None:
            return self._position - strategy.start >= pages
        records = self._total(page, strategy.total_records_path, "total_records_path")
        return self.rows_seen >= records if records is not None else None

    def _total(self, page: FetchedPage, path: str | None, key: str) -> int | None:
        """The total at ``path``; a path the first page does not have is warned about once (paging then
        falls back to the short-page rule), as it is most likely misspelt."""
        total = _int_at(page.body, path, key)
        if total is None and path and self.pages_fetched == 1:
            log.warning("pagination.%s %s matches nothing in the first page; paging stops at a short page "
                        "instead (`trunkline source test` suggests the paths there are)", key, path)
        return total

    def _next_offset(self, strategy: OffsetPagination, page: FetchedPage) -> NextRequest | None:
        self._position += page.row_count
        total = self._total(page, strategy.total_records_path, "total_records_path")
        if total is not None:
            if self._position - strategy.start >= total:
                return None
        elif page.row_count < strategy.limit:
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


def page_rows(body: ParsedBody, path_to_data: str | None, records: Sequence[Any]) -> Sequence[Any]:
    """The rows ``body`` held: what paging counts (see the module docstring).

    ``records`` are the records extracted at ``path_to_data`` (without merged metadata); they are the
    rows when the path does not filter, when the rows cannot be told, and when they are more.
    """
    path = rows_path(path_to_data)
    if path is None:
        return records
    try:
        rows = extract_records(body, path)
    except ConfigError:
        return records
    return rows if len(rows) >= len(records) else records


@lru_cache(maxsize=256)
def rows_path(path_to_data: str | None) -> str | None:
    """The path of the rows a page held when ``path_to_data`` may keep fewer of them; None when the
    records are the rows (no bracketed selector, or a JSONPath ending in ``[*]``) or the rows cannot be told.

    JSONPath: the path before its last bracketed selector (``$.items[?@.on == true]`` → ``$.items``).
    XPath: the path before its last predicate (``/r/item[@on='1']/name`` → ``/r/item``).
    """
    path = (path_to_data or "").strip()
    bracket = _last_bracket(path)
    if bracket is None:
        return None
    start, end = bracket
    parent = path[:start].rstrip()
    if path.startswith("$"):
        if end == len(path) and path[start + 1:end - 1].strip() == "*":
            return None
        return parent if parent and not parent.endswith(".") else None
    return parent if parent and parent.count("(") == parent.count(")") else None


def _last_bracket(path: str) -> tuple[int, int] | None:
    """Where the last top-level ``[…]`` of ``path`` starts and ends (quoted text and nesting respected)."""
    depth, quote, start, last = 0, "", 0, None
    index = 0
    while index < len(path):
        char = path[index]
        if quote:
            if char == "\\":
                index += 1  # the escaped character cannot close the quote
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "[":
            if depth == 0:
                start = index
            depth += 1
        elif char == "]" and depth:
            depth -= 1
            if depth == 0:
                last = (start, index + 1)
        index += 1
    return last


def _canonical(value: Any) -> bytes:
    """``value`` as canonical JSON (sorted keys); values orjson cannot write (integers beyond 64 bits,
    other types) through the standard library, as text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":")).encode()


def _probe(rows: Sequence[Any]) -> bytes:
    """A cheap fingerprint of a page's rows: how many, the first and the last."""
    return _canonical([len(rows), rows[0], rows[-1]]) if rows else b"[0]"


def _digest(rows: Sequence[Any]) -> bytes:
    """The digest of all of a page's rows (their canonical JSON)."""
    return hashlib.blake2b(_canonical(list(rows)), digest_size=16).digest()
