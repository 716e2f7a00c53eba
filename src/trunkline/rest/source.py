"""The REST source engine: a manual source configuration in, a stream of records out.

For each lookup value (or once, without a lookup) it renders the request (macros in URL, query,
headers and body), walks the pages with the configured paginator, extracts the records at the path to
data, merges the metadata into each and yields them. It knows no service: connectors hand it a
:class:`SourceConfig` already expanded from a template and an :class:`HttpClient` already holding
the credential.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from trunkline.core.config import SourceConfig
from trunkline.core.errors import ExtractionError, HttpError, ResponseFormatError
from trunkline.rest.extract import ParsedBody, page_records, parse_body, path_matches
from trunkline.rest.http import HttpClient
from trunkline.rest.macros import MacroContext, render, render_value
from trunkline.rest.pagination import FetchedPage, Paginator
from trunkline.rest.suggest import suggest_paths

LookupValues = Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]]


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
        column = self.config.lookup.column if self.config.lookup else None
        distinct = self.config.lookup.distinct if self.config.lookup else False
        async for row in _iterate(self.lookup_values):
            if column is not None and row.get(column) in (None, ""):
                continue
            if distinct and column is not None:
                key = json.dumps(row.get(column), sort_keys=True, default=str)
                if key in seen:
                    continue
                seen.add(key)
            self.stats.lookups += 1
            yield row

    def _context(self, lookup: Mapping[str, Any] | None, *, for_url: bool = False) -> MacroContext:
        """Macro values for one lookup row; in a URL, lookup values are percent-encoded."""
        values = {f"lookup.{name}": quote(str(value), safe="") if for_url and value is not None else value
                  for name, value in (lookup or {}).items()}
        return MacroContext(now=self.now, date_format=self.config.date_format, time_unit=self.config.time_unit,
                            values=values)

    async def _pages_for(self, lookup: Mapping[str, Any] | None) -> AsyncIterator[SourcePage]:
        config = self.config
        context = self._context(lookup)
        url = render(config.url, self._context(lookup, for_url=True), where="source.url")
        query = {key: value for key, value in render_value(config.query, context, where="source.query").items()
                 if value not in (None, "")}
        headers = render_value(config.headers, context, where="source.headers")
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
            records = self._records_of(parsed, number)
            self.stats.pages += 1
            yield SourcePage(number, str(response.request.url), response.status_code, parsed, records, lookup)
            step = paginator.next(FetchedPage(
                url=str(response.request.url), body=parsed, record_count=len(records), content=response.content,
                link_next=response.links.get("next", {}).get("url"),
            ))

    def _records_of(self, body: ParsedBody, page_number: int) -> list[dict[str, Any]]:
        records = page_records(body, self.config.path_to_data, self.config.path_to_metadata)
        if not records and page_number == 1 and self.config.path_to_data \
                and not path_matches(body, self.config.path_to_data):
            suggestions = [s.path for s in suggest_paths(body) if s.kind == "data"]
            if suggestions:
                raise ExtractionError(
                    f"path_to_data {self.config.path_to_data!r} matches nothing in the response",
                    suggestions=suggestions[:5],
                )
        return records


def _body_arguments(content_format: str, body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if content_format == "form" and isinstance(body, Mapping):
        return {"data": body}
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
