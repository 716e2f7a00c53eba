"""The REST source engine: a manual source configuration in, a stream of records out.

For each lookup value (or once, without a lookup) it renders the request (macros in URL, query,
headers and body), walks the pages with the configured paginator, extracts the records at the path to
data, merges the metadata into each and yields them. It knows no service: connectors hand it a
:class:`SourceConfig` already expanded from a template and an :class:`HttpClient` already holding
the credential.

Lookup rows: a row is used when it has a value in ``lookup.column``. A row without the column, or
with an empty value (``null`` or ``""``), is skipped; the skipped rows are counted
(``SourceStats.lookups_skipped``) and reported in one warning when the lookup rows are exhausted. When
the lookup rows are not empty and *none* of them has the column at all, the column is taken for a
typo and the run fails with a :class:`ConfigError` naming ``source.lookup.column``, the value, the
columns the first rows have and the closest of them.
"""

from __future__ import annotations

import difflib
import json
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from trunkline.core.config import SourceConfig
from trunkline.core.errors import ConfigError, ExtractionError, HttpError, ResponseFormatError
from trunkline.rest.extract import (
    ParsedBody,
    extract_metadata,
    extract_records,
    merge_metadata,
    parse_body,
    path_matches,
)
from trunkline.rest.http import HttpClient
from trunkline.rest.macros import MacroContext, render, render_value, value_text
from trunkline.rest.pagination import FetchedPage, Paginator, page_rows, rows_path
from trunkline.rest.suggest import suggest_paths

LookupValues = Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]]

log = logging.getLogger("trunkline.source")

_COLUMN_SAMPLE_ROWS = 5
"""How many of the first lookup rows name the columns an error about ``lookup.column`` lists."""
_COLUMNS_SHOWN = 20


@dataclass
class SourcePage:
    """One fetched page: where it came from, the raw parsed body and its records."""

    number: int
    url: str
    status: int
    body: ParsedBody
    records: list[dict[str, Any]]
    lookup: Mapping[str, Any] | None = None


@dataclass
class SourceStats:
    """What a source run did, for its summary."""

    pages: int = 0
    records: int = 0
    lookups: int = 0
    lookups_skipped: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started


class RestSource:
    """Fetch every record a manual source configuration describes."""

    def __init__(
        self,
        config: SourceConfig,
        client: HttpClient,
        *,
        now: datetime | None = None,
        lookup_values: LookupValues | None = None,
    ) -> None:
        self.config = config
        self.client = client
        self.now = now or datetime.now(UTC)
        self.lookup_values = lookup_values
        self.stats = SourceStats()

    async def records(self, *, limit: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every record, in order; at most ``limit`` when given."""
        async for page in self.pages(limit=limit):
            for record in page.records:
                yield record

    async def pages(self, *, limit: int | None = None) -> AsyncIterator[SourcePage]:
        """Every page with its records; stops early once ``limit`` records have been yielded."""
        remaining = limit
        async for lookup in self._lookup_rows():
            async for page in self._pages_for(lookup):
                if remaining is not None:
                    page.records = page.records[:remaining]
                    remaining -= len(page.records)
                self.stats.records += len(page.records)
                yield page
                if remaining is not None and remaining <= 0:
                    return

    async def _lookup_rows(self) -> AsyncIterator[Mapping[str, Any] | None]:
        if self.lookup_values is None:
            yield None
            return
        seen: set[str] = set()
        lookup = self.config.lookup
        tally = _LookupTally(lookup.column, lookup.source) if lookup else None
        distinct = lookup.distinct if lookup else False
        async for row in _iterate(self.lookup_values):
            if tally is not None and not tally.usable(row):
                continue
            if distinct and tally is not None:
                key = value_text(row.get(tally.column))  # as it goes into the request: 1 and "1" are one value
                if key in seen:
                    continue
                seen.add(key)
            self.stats.lookups += 1
            yield row
        if tally is not None:
            self.stats.lookups_skipped = tally.skipped
            tally.finish()

    def _context(self, lookup: Mapping[str, Any] | None, *, for_url: bool = False) -> MacroContext:
        """Macro values for one lookup row; in a URL, lookup values are percent-encoded."""
        values = {f"lookup.{name}": quote(value_text(value), safe="") if for_url and value is not None else value
                  for name, value in (lookup or {}).items()}
        return MacroContext(now=self.now, date_format=self.config.date_format, time_unit=self.config.time_unit,
                            values=values)

    async def _pages_for(self, lookup: Mapping[str, Any] | None) -> AsyncIterator[SourcePage]:
        config = self.config
        context = self._context(lookup)
        url = render(config.url, self._context(lookup, for_url=True), where="source.url")
        query = {key: _query_value(value)
                 for key, value in render_value(config.query, context, where="source.query").items()
                 if value not in (None, "")}
        headers = render_value(config.headers, context, where="source.headers")
        form_text = config.content_format == "form" and isinstance(config.body, str)
        if form_text and not _has_header(headers, "content-type"):  # a form written as text says it is one
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        body = render_value(config.body, context, where="source.body") if config.body is not None else None
        paginator = Paginator(config.pagination)
        step = paginator.first()
        number = 0
        while step is not None:
            number += 1
            request_url = step.url or url
            params = {**query, **step.params} if step.url is None else dict(step.params)
            response = await self.client.request(config.method, request_url, params=params, headers=headers,
                                                 **_body_arguments(config.content_format, body))
            _raise_for_client_error(response, config.method, self.client.redact)
            try:
                parsed = parse_body(response.content, response.headers.get("content-type"), config.response_format)
            except ResponseFormatError as error:
                where = self.client.redact(f"{config.method} {response.request.url}")
                raise ResponseFormatError(f"{where}: {error.message}", fix=error.fix) from None
            records, rows = self._records_of(parsed, number)
            self.stats.pages += 1
            source_page = SourcePage(number, str(response.request.url), response.status_code, parsed, records, lookup)
            # asked before the page is handed on: the loop guard reads its rows as they arrived, and a page that
            # repeats the previous one is refused, not delivered twice
            step = paginator.next(FetchedPage(
                url=str(response.request.url), body=parsed, rows=rows, content=response.content,
                link_next=response.links.get("next", {}).get("url"),
            ))
            yield source_page

    def _records_of(self, body: ParsedBody, page_number: int) -> tuple[list[dict[str, Any]], Sequence[Any]]:
        """The page's records (metadata merged) and its rows, what paging counts (see ``pagination.page_rows``)."""
        path = self.config.path_to_data
        extracted = extract_records(body, path)
        rows = page_rows(body, path, extracted)
        metadata = extract_metadata(body, self.config.path_to_metadata)
        if not metadata and page_number == 1 and self.config.path_to_metadata and body.data is not None:
            log.warning("path_to_metadata %s matches nothing in the first page; no metadata is added to the records "
                        "(`trunkline source test` suggests the paths there are)", self.config.path_to_metadata)
        records = [merge_metadata(record, metadata) for record in extracted] if metadata else extracted
        if not rows and page_number == 1 and path and not _names_data(body, path):
            suggestions = [s.path for s in suggest_paths(body) if s.kind == "data"]
            if suggestions:
                raise ExtractionError(
                    f"path_to_data {path!r} matches nothing in the response",
                    suggestions=suggestions[:5],
                )
        return records, rows


@dataclass
class _LookupTally:
    """The lookup rows read for one column: which could be used, which were skipped and why."""

    column: str
    source: str
    rows: int = 0
    missing: int = 0
    empty: int = 0
    columns: dict[str, None] = field(default_factory=dict)
    """The columns of the first rows, in order (a dict as an ordered set)."""

    @property
    def skipped(self) -> int:
        """Rows without a value in the column."""
        return self.missing + self.empty

    def usable(self, row: Mapping[str, Any]) -> bool:
        """Count ``row``; whether it has a value in the column."""
        self.rows += 1
        if self.rows <= _COLUMN_SAMPLE_ROWS:
            self.columns.update(dict.fromkeys(map(str, row)))
        if self.column not in row:
            self.missing += 1
            return False
        if row[self.column] in (None, ""):
            self.empty += 1
            return False
        return True

    def finish(self) -> None:
        """Once every row is read: fail when no row has the column, warn when rows were skipped."""
        if self.rows and self.missing == self.rows:
            raise self._no_such_column()
        if self.skipped:
            reasons = [f"{count} {reason}" for count, reason in
                       ((self.missing, "without the column"), (self.empty, "with an empty value")) if count]
            log.warning("source.lookup.column %r: skipped %d of %d lookup rows of %s (%s)", self.column,
                        self.skipped, self.rows, self.source, ", ".join(reasons))

    def _no_such_column(self) -> ConfigError:
        names = list(self.columns)
        shown = ", ".join(names[:_COLUMNS_SHOWN]) + (", …" if len(names) > _COLUMNS_SHOWN else "")
        close = _closest(self.column, names)
        hint = f" (did you mean {close!r}?)" if close else ""
        return ConfigError(
            "source.lookup.column",
            f"none of the {self.rows:,} rows of the lookup source {self.source} has this column; "
            f"the first rows have: {shown or 'no columns'}",
            value=self.column,
            fix=f"set lookup.column to one of the lookup rows' columns{hint}",
        )


def _closest(name: str, names: list[str]) -> str | None:
    """The name most like ``name``: a close spelling, else one contained in it or containing it (any case)."""
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return close[0]
    lowered = name.lower()
    return next((other for other in names if other.lower() in lowered or lowered in other.lower()), None)


def _names_data(body: ParsedBody, path: str) -> bool:
    """Whether ``path``, or the array its rows come from, is in ``body`` (even empty): a filter that keeps
    nothing of a page, or an empty page, is not a wrong path."""
    if path_matches(body, path):
        return True
    parent = rows_path(path)
    try:
        return parent is not None and path_matches(body, parent)
    except ConfigError:
        return False


def _has_header(headers: Mapping[str, Any], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _query_value(value: Any) -> str | list[str]:
    """A query parameter's value as text; a list stays a list (the parameter is repeated), its items as text."""
    if isinstance(value, list | tuple):
        return [value_text(item) for item in value]
    return value_text(value)


def _body_arguments(content_format: str, body: Any) -> dict[str, Any]:
    """How httpx is handed the body: a form's fields as text (nested values as JSON, null fields left out,
    as a form has no null), JSON as JSON, anything else as it is."""
    if body is None:
        return {}
    if content_format == "form" and isinstance(body, Mapping):
        return {"data": {key: value_text(value) for key, value in body.items() if value is not None}}
    if content_format == "json" and not isinstance(body, str):
        return {"json": body}
    return {"content": body if isinstance(body, (str, bytes)) else json.dumps(body)}


def _raise_for_client_error(response: httpx.Response, method: str, redact: Callable[[str], str]) -> None:
    status = response.status_code
    if status < 400:
        return
    fixes = {
        403: "the credential's user lacks the rights for this endpoint (Babelforce: a user with manager rights)",
        404: "check the URL and any id in it (list endpoints show valid ids)",
        400: "check the query parameters and body against the API's documentation",
    }
    raise HttpError("the request was refused", method=method, url=str(response.request.url), status=status,
                    body_excerpt=redact(response.text[:300].strip()), fix=fixes.get(status, "check the request"))


async def _iterate(values: LookupValues) -> AsyncIterator[Mapping[str, Any]]:
    if isinstance(values, AsyncIterable):
        async for value in values:
            yield value
    else:
        for value in values:
            yield value
