"""Destination jobs: preview the requests records turn into, send a test, or deliver a whole file.

Every input record ends in the summary under exactly one outcome (delivered, invalid, failed,
review, held); every record that is not delivered is written to the rejects file with its reason,
so nothing is dropped silently. With ``capture_responses``, every response lands as a record linked
to the input rows that caused it. ``destination test`` sends its few records one at a time; a run sends
up to ``concurrency`` requests at once (see ``send_window``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from trunkline.connectors.resolve_destination import ResolvedDestination, open_destination
from trunkline.flows.send_window import SendWindow, Sent
from trunkline.rest.destination import Delivery, InputRecord, PlannedRequest, RecordOutcome
from trunkline.rest.http import HttpClient, RetryPolicy

OUTCOMES = ("delivered", "invalid", "failed", "review", "held")
ProgressCallback = Callable[["DeliverySummary"], None]


@dataclass
class DeliverySummary:
    """What a destination run did: every input record is counted under one outcome."""

    destination: str
    records: int = 0
    requests: int = 0
    retries: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    seconds: float = 0.0
    rejects: str | None = None
    responses: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data (``--json``)."""
        return {"destination": self.destination, "records": self.records, "requests": self.requests,
                "retries": self.retries, **self.outcomes, "seconds": round(self.seconds, 3),
                "rejects": self.rejects, "responses": self.responses}


@dataclass
class Exchange:
    """One request sent by ``destination test`` and what came back."""

    request: dict[str, Any]
    status: int | None
    response_headers: dict[str, str]
    response_body: Any
    outcomes: list[RecordOutcome]
    error: str | None = None


def numbered(records: Iterable[dict[str, Any]], limit: int | None = None) -> Iterator[InputRecord]:
    """Input records with their 0-based row numbers, at most ``limit``."""
    for row, record in enumerate(records):
        if limit is not None and row >= limit:
            return
        yield InputRecord(row, record)


def preview_request(resolved: ResolvedDestination, request: PlannedRequest) -> dict[str, Any]:
    """A request as a user should see it: auth headers masked, body as data (or text)."""
    body: Any = request.body
    if resolved.config.content_format != "json" and not isinstance(body, str):
        body = request.content.decode("utf-8", errors="replace")
    return {"method": request.method, "url": request.url, "headers": resolved.preview_headers(request.headers),
            "body": body, "rows": request.rows}


async def preview_destination(
    resolved: ResolvedDestination, records: Iterable[dict[str, Any]], *, limit: int = 5, now: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[RecordOutcome]]:
    """The requests the first ``limit`` records turn into, and the records that would not be sent."""
    requests: list[dict[str, Any]] = []
    invalid: list[RecordOutcome] = []
    async with open_destination(resolved, now=now) as (engine, _client):
        for item in engine.plan(numbered(records, limit)):
            if isinstance(item, RecordOutcome):
                invalid.append(item)
            else:
                requests.append(preview_request(resolved, item))
    return requests, invalid


async def send_test_records(
    resolved: ResolvedDestination, records: Iterable[dict[str, Any]], *, limit: int = 1,
    now: datetime | None = None, retry: RetryPolicy | None = None,
) -> list[Exchange]:
    """Send the first ``limit`` records (the seed's Send Test Data) and return each exchange."""
    exchanges: list[Exchange] = []
    async with open_destination(resolved, now=now, retry=retry) as (engine, client):
        for item in engine.plan(numbered(records, limit)):
            if isinstance(item, RecordOutcome):
                exchanges.append(Exchange({}, None, {}, None, [item], error=item.reason))
                continue
            for delivery in await engine.send(item, client):
                exchanges.append(Exchange(preview_request(resolved, delivery.request), delivery.status,
                                              delivery.response_headers, delivery.response_body,
                                              delivery.outcomes, delivery.error))
    return exchanges


async def run_destination(
    resolved: ResolvedDestination, records: Iterable[dict[str, Any]], *, rejects: Path, responses: Path | None = None,
    now: datetime | None = None, retry: RetryPolicy | None = None, on_progress: ProgressCallback | None = None,
) -> DeliverySummary:
    """Deliver every record; write rejects (and captured responses) as JSON lines; return the summary.

    Up to the destination's ``concurrency`` requests are in flight at once; everything is recorded in
    input order all the same."""
    summary = DeliverySummary(destination=resolved.name)
    started = time.monotonic()
    with _LazyJsonl(rejects) as rejected, _LazyJsonl(responses) as captured:
        async with open_destination(resolved, now=now, retry=retry) as (engine, client):

            def record(sent: Sent) -> None:
                for delivery in sent.deliveries:
                    _count(summary, delivery, rejected)
                    if responses is not None and delivery.request.entries:
                        captured.write(_capture(resolved, client, delivery))
                _fill(summary, client, started)
                if on_progress is not None:
                    on_progress(summary)

            async with SendWindow(engine, client, limit=resolved.config.concurrency, on_result=record) as window:
                for item in engine.plan(numbered(records)):
                    await window.put(item)
            _fill(summary, client, started)
        summary.rejects = str(rejects) if rejected.opened else None
        summary.responses = str(responses) if captured.opened else None
    return summary


def _count(summary: DeliverySummary, delivery: Delivery, rejected: _LazyJsonl) -> None:
    for outcome in delivery.outcomes:
        summary.records += 1
        summary.outcomes[outcome.status] += 1
        if outcome.status != "delivered":
            rejected.write({"row": outcome.row, "status": outcome.status, "reason": outcome.reason,
                            "http_status": outcome.http_status, "record": outcome.record})


def _capture(resolved: ResolvedDestination, client: HttpClient, delivery: Delivery) -> dict[str, Any]:
    """A captured response, linked to the input rows (and their ids) that caused it."""
    request = delivery.request
    keys = [entry.source.data.get("id", entry.source.data.get("uid")) for entry in request.entries]
    return {
        "destination": resolved.name, "sent_at": delivery.sent_at, "method": request.method,
        "url": client.redact(request.url), "status": delivery.status, "headers": delivery.response_headers,
        "body": delivery.response_body, "error": client.redact(delivery.error) if delivery.error else None,
        "input_rows": request.rows, "input_ids": keys,
        "outcomes": sorted({outcome.status for outcome in delivery.outcomes}),
    }


def _fill(summary: DeliverySummary, client: HttpClient, started: float) -> None:
    summary.requests = client.stats.requests
    summary.retries = client.stats.retries
    summary.seconds = time.monotonic() - started


class _LazyJsonl:
    """A JSON-lines file created on the first record only (no empty rejects files)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._handle: TextIO | None = None

    @property
    def opened(self) -> bool:
        return self._handle is not None

    def write(self, record: dict[str, Any]) -> None:
        if self.path is None:
            return
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8")
        self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def __enter__(self) -> _LazyJsonl:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
