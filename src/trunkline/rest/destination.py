"""The REST destination engine: records in, HTTP requests out, and one outcome per record.

For each input record: apply the record rules (required fields, integers, E.164 phones), render URL
and headers with the record's fields as macros, remove the excluded attributes and render the body.
Consecutive records with the same URL and headers are grouped into batches (``batch.size``, by the
grouping algorithm). Each request is sent through the credential's HTTP client within the rate limits.
``send`` may run in several tasks at once (``concurrency``): they share the client and the limiter.

Every record ends with exactly one outcome (docs/destinations.md):

- ``delivered``: the service answered 2xx;
- ``invalid``: the record failed a rule or could not be rendered; it was not sent;
- ``failed``: the service refused it (4xx), or the request failed for good after retries;
- ``review``: a non-idempotent request (POST, PATCH, not ``mode: upsert``) met a 5xx, a lost connection
  or an answer cut short: the service may have acted on it, so it is not resent blindly (duplicate
  calls and texts cost money);
- ``held``: a connector hook kept it back (for example a lead the dialer would ignore).

A batch refused with a 4xx that is not about auth or rate is split in halves and resent until the
records the service refuses are isolated; the rest are delivered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from trunkline.core.destination_config import CodeGrouping, DestinationConfig, PropertyGrouping
from trunkline.core.errors import AuthError, HttpError, MacroError, RetryLaterError
from trunkline.rest.code_grouping import CodeGrouper, CodeGroupingError
from trunkline.rest.http import IDEMPOTENT_METHODS, HttpClient
from trunkline.rest.macros import has_macros, render, render_value
from trunkline.rest.payload import CONTENT_TYPES, encode, record_context, render_item, url_context
from trunkline.rest.ratelimit import RateLimiter
from trunkline.rest.record_rules import apply_rules, check_region

RecordStatus = Literal["delivered", "invalid", "failed", "review", "held"]
NOT_SPLIT_STATUSES = frozenset({401, 403, 407, 408, 429})
_MESSAGE_KEYS = ("message", "error", "detail", "error_description", "error_message", "errors")
_EXCERPT = 300
#: At most this many invalid records wait behind a batch being filled (in input order) before it is sent.
MAX_HELD = 1_000


@dataclass
class InputRecord:
    """One record to deliver and its position in the input (0-based), used to link outcomes back."""

    row: int
    data: dict[str, Any]


@dataclass
class Entry:
    """One record prepared for sending: what it renders to."""

    source: InputRecord
    payload: dict[str, Any]
    item: Any
    url: str
    headers: dict[str, str]


@dataclass
class PlannedRequest:
    """One HTTP request and the records it carries."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    content: bytes
    entries: list[Entry]

    @property
    def rows(self) -> list[int]:
        """Input positions of the records in this request."""
        return [entry.source.row for entry in self.entries]


@dataclass
class RecordOutcome:
    """What became of one input record."""

    row: int
    record: dict[str, Any]
    status: RecordStatus
    reason: str | None = None
    http_status: int | None = None


@dataclass
class Delivery:
    """One request sent (or attempted) and what the service answered."""

    request: PlannedRequest
    outcomes: list[RecordOutcome]
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None
    error: str | None = None
    sent_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


class RequestHook(Protocol):
    """A connector's say over a request before it is sent (e.g. turn a create into an update)."""

    async def route(self, request: PlannedRequest, client: HttpClient) -> PlannedRequest | list[RecordOutcome]:
        """The request to send instead, or outcomes that settle its records without sending."""
        ...

    def delivered(self, request: PlannedRequest, body: Any) -> None:
        """Called with the parsed response body of every 2xx request."""
        ...


class RestDestination:
    """Plans and sends the requests of one destination configuration. Close it when done."""

    def __init__(self, config: DestinationConfig, *, now: datetime | None = None, base_dir: Path | None = None,
                 hook: RequestHook | None = None) -> None:
        check_region(config.default_region)
        self.config = config
        self.now = now or datetime.now(UTC)
        self.hook = hook
        self.limiter = RateLimiter(config.rate_limits)
        self._grouper: CodeGrouper | None = None
        group = config.batch.group if config.batch else None
        if isinstance(group, CodeGrouping):
            path = Path(group.file)
            self._grouper = CodeGrouper(path if path.is_absolute() else (base_dir or Path.cwd()) / path,
                                        group.function, group.timeout_seconds)

    def close(self) -> None:
        """Stop the code-grouping worker, if any."""
        if self._grouper is not None:
            self._grouper.close()

    def __enter__(self) -> RestDestination:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- planning -------------------------------------------------------------------------------

    def plan(self, records: Iterable[InputRecord]) -> Iterator[PlannedRequest | RecordOutcome]:
        """The requests the records turn into, and invalid records as outcomes, in input order.

        A request is yielded as soon as its batch is full (or the next record needs another URL or
        headers). A record found invalid while a batch is being filled comes out right after that
        batch's request, so nothing is handed over ahead of an earlier record; past ``MAX_HELD`` such
        records, the batch is sent as it is.
        """
        size = self.config.batch.size if self.config.batch else 1
        pending: list[Entry] = []
        held: list[RecordOutcome] = []
        for record in records:
            entry = self.prepare(record)
            if isinstance(entry, RecordOutcome):
                held.append(entry)
                if not pending or len(held) >= MAX_HELD:
                    yield from self._flush(pending, held)
                continue
            if pending and _key(pending[0]) != _key(entry):
                yield from self._flush(pending, held)
            pending.append(entry)
            if len(pending) >= size:
                yield from self._flush(pending, held)
        yield from self._flush(pending, held)

    def _flush(self, pending: list[Entry], held: list[RecordOutcome]) -> Iterator[PlannedRequest | RecordOutcome]:
        """The request of the ``pending`` batch, then the ``held`` outcomes; empties both lists."""
        batch, outcomes = list(pending), list(held)
        pending.clear()
        held.clear()
        if batch:
            yield from self.build(batch)
        yield from outcomes

    def prepare(self, record: InputRecord) -> Entry | RecordOutcome:
        """Check and render one record. URL and headers see every field; excluded ones leave the body only."""
        config = self.config
        checked, problems = apply_rules(record.data, config.validate_records, config.default_region)
        if problems:
            return RecordOutcome(record.row, record.data, "invalid", "; ".join(problems))
        excluded = set(config.exclude)
        payload = {key: value for key, value in checked.items() if key not in excluded}
        full = record_context(checked, self.now, config.date_format, config.time_unit)
        try:
            url = render(config.url, url_context(full), where="destination.url") if has_macros(config.url) \
                else config.url
            headers = render_value(config.headers, full, where="destination.headers")
            item = render_item(config.body, record_context(payload, self.now, config.date_format, config.time_unit))
        except MacroError as error:
            return RecordOutcome(record.row, record.data, "invalid", str(error))
        return Entry(record, payload, item, url, headers)

    def build(self, entries: list[Entry]) -> list[PlannedRequest | RecordOutcome]:
        """One request carrying ``entries`` (already grouped), or invalid outcomes if grouping fails."""
        config = self.config
        items = [entry.item for entry in entries]
        group = config.batch.group if config.batch else None
        try:
            if group is None:
                body = items[0]
            elif isinstance(group, PropertyGrouping):
                body = {group.property_name: items, **group.other_props}
            elif isinstance(group, CodeGrouping):
                assert self._grouper is not None
                body = self._grouper.group(items)
            else:
                body = items
        except CodeGroupingError as error:
            return [RecordOutcome(entry.source.row, entry.source.data, "invalid", str(error)) for entry in entries]
        content = encode(body, config.content_format, batch=group is not None)
        headers = {"Content-Type": CONTENT_TYPES[config.content_format], **entries[0].headers}
        return [PlannedRequest(config.method, entries[0].url, headers, body, content, entries)]

    # ---- sending --------------------------------------------------------------------------------

    async def send(self, request: PlannedRequest, client: HttpClient) -> list[Delivery]:
        """Send one planned request; a refused batch is split until the refused records are isolated."""
        if self.hook is not None:
            routed = await self.hook.route(request, client)
            if isinstance(routed, list):
                return [Delivery(request, routed)]
            request = routed
        try:
            async with self.limiter.slot(request.method, request.url):
                response = await client.request(request.method, request.url, headers=request.headers,
                                                content=request.content)
        except (AuthError, RetryLaterError):  # not about these records: the run stops (and may resume)
            raise
        except HttpError as error:
            status = "review" if self._may_have_acted(request.method, error) else "failed"
            reason = str(error) if status == "failed" else (
                f"{error} — the service may have acted on it; check before sending it again")
            return [Delivery(request, _all(request, status, reason, error.status), status=error.status,
                             error=str(error))]
        body = _parse(response)
        delivery = Delivery(request, [], status=response.status_code, response_body=body,
                            response_headers=_selected_headers(response, self.config.capture_headers))
        if response.is_success:
            delivery.outcomes = _all(request, "delivered", None, response.status_code)
            if self.hook is not None:
                self.hook.delivered(request, body)
            return [delivery]
        reason = f"{request.method} {request.url} answered {response.status_code}: {_message(body)}"
        if len(request.entries) == 1 or response.status_code in NOT_SPLIT_STATUSES:
            delivery.outcomes = _all(request, "failed", reason, response.status_code)
            return [delivery]
        delivery.error = f"{reason} (batch of {len(request.entries)} split to isolate the refused records)"
        middle = len(request.entries) // 2
        deliveries = [delivery]
        for half in (request.entries[:middle], request.entries[middle:]):
            for part in self.build(half):
                if isinstance(part, RecordOutcome):
                    deliveries.append(Delivery(request, [part]))
                else:
                    try:
                        deliveries.extend(await self.send(part, client))
                    except (AuthError, RetryLaterError) as error:  # the halves sent so far are settled
                        error.settled = [*deliveries, *error.settled]
                        raise
        return deliveries

    def _may_have_acted(self, method: str, error: HttpError) -> bool:
        """Whether a failed request that must not be repeated blindly may still have been carried out.

        Only a 4xx answer proves the service did not act: a 5xx, a lost connection, a timeout or an answer
        cut off after its status line (even a 2xx) may all follow the action. Repeating is safe anyway for
        idempotent methods, with ``retry_non_idempotent``, and in ``mode: upsert``, whose next attempt looks
        the key up first and so updates what this one may have created.
        """
        if method.upper() in IDEMPOTENT_METHODS or self.config.retry_non_idempotent or self.config.mode == "upsert":
            return False
        return error.status is None or not 400 <= error.status < 500


def _key(entry: Entry) -> tuple[str, tuple[tuple[str, str], ...]]:
    return entry.url, tuple(sorted(entry.headers.items()))


def _all(request: PlannedRequest, status: RecordStatus, reason: str | None, http_status: int | None
         ) -> list[RecordOutcome]:
    return [RecordOutcome(entry.source.row, entry.source.data, status, reason, http_status)
            for entry in request.entries]


def _parse(response: httpx.Response) -> Any:
    """The response body as JSON when it is JSON, else its text (cut short), else None."""
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:_EXCERPT]


def _message(body: Any) -> str:
    """The service's own message in an error body (first of message, error, detail, …)."""
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if value:
                return value if isinstance(value, str) else json.dumps(value, default=str)[:_EXCERPT]
        return json.dumps(body, default=str)[:_EXCERPT]
    return str(body or "(empty body)")[:_EXCERPT]


def _selected_headers(response: httpx.Response, names: list[str]) -> dict[str, str]:
    return {name: response.headers[name] for name in names if name in response.headers}
