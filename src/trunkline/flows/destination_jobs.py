"""Destination jobs: preview the requests records turn into, send a test, or deliver a whole file.

Every input record ends in the summary exactly once, and every record that is not delivered is written
to the rejects file with its reason, in input order (:mod:`trunkline.flows.delivery_book`), so nothing
is dropped silently. With ``capture_responses``, every response lands as a record linked to the input
rows that caused it. ``destination test`` sends its few records one at a time; a run sends up to
``concurrency`` requests at once (see ``send_window``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trunkline.connectors.resolve_destination import ResolvedDestination, open_destination
from trunkline.core.errors import ConfigError, HttpError, RetryLaterError
from trunkline.flows.delivery_book import DeliverySummary, LazyJsonl, RejectsBook
from trunkline.flows.send_window import SendWindow, Sent
from trunkline.rest.destination import Delivery, InputRecord, PlannedRequest, RecordOutcome
from trunkline.rest.http import HttpClient, RetryPolicy
from trunkline.store.credentials import mask_headers

ProgressCallback = Callable[["DeliverySummary"], None]


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
    return {"method": request.method, "url": request.url,
            "headers": resolved.preview_headers(request.headers, request.url), "body": body, "rows": request.rows}


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
                                              mask_headers(delivery.response_headers), delivery.response_body,
                                              delivery.outcomes, delivery.error))
    return exchanges


async def run_destination(
    resolved: ResolvedDestination, records: Iterable[dict[str, Any]], *, rejects: Path, responses: Path | None = None,
    now: datetime | None = None, retry: RetryPolicy | None = None, on_progress: ProgressCallback | None = None,
) -> DeliverySummary:
    """Deliver every record; write rejects (and captured responses) as JSON lines; return the summary.

    Up to the destination's ``concurrency`` requests are in flight at once; everything is recorded in
    input order all the same. An error that stops the run is raised once every record is accounted for
    (see :func:`deliver_records`)."""
    summary = await deliver_records(resolved, records, rejects=rejects, responses=responses, now=now, retry=retry,
                                    on_progress=on_progress)
    if summary.stopped_by is not None:
        raise summary.stopped_by
    return summary


async def deliver_records(
    resolved: ResolvedDestination, records: Iterable[dict[str, Any]], *, rejects: Path, responses: Path | None = None,
    now: datetime | None = None, retry: RetryPolicy | None = None, on_progress: ProgressCallback | None = None,
) -> DeliverySummary:
    """Like :func:`run_destination`, but an error that stops the run is returned in the summary, not raised.

    Both output paths are checked before anything is sent. When an HTTP error stops the run (the
    credential refused, the service asks to wait longer than allowed), the requests in flight are
    finished and recorded, and every input record not delivered by then goes to the rejects file as
    ``stopped``, in input order; ``summary.stopped_by`` is that error, its fix saying what to do without
    a ledger."""
    check_output_file(rejects, "rejects")
    if responses is not None:
        check_output_file(responses, "responses")
    summary = DeliverySummary(destination=resolved.name)
    started = time.monotonic()
    with LazyJsonl(rejects) as rejected, LazyJsonl(responses) as captured:
        async with open_destination(resolved, now=now, retry=retry) as (engine, client):
            book = RejectsBook(summary, rejected, client.redact,
                               lambda: _progress(summary, client, started, on_progress))
            rows = numbered(records)

            def record(sent: Sent) -> None:
                for delivery in sent.deliveries:
                    book.settle(delivery.outcomes)
                    if responses is not None and delivery.request.entries:
                        captured.write(_capture(resolved, client, delivery))
                if sent.error is not None and isinstance(sent.item, PlannedRequest):
                    book.met_error(sent.item, sent.error)
                book.progress()

            try:
                async with SendWindow(engine, client, limit=resolved.config.concurrency,
                                      on_result=record) as window:
                    for item in engine.plan(book.reading(rows)):
                        await window.put(item)
            except HttpError as error:  # the credential refused, a Retry-After too long, a hook's request
                summary.stopped_by = _standalone(error, rejects)
                book.stop(summary.stopped_by, rows)
            book.finish()
            _fill(summary, client, started)
        summary.rejects = str(rejects) if rejected.opened else None
        summary.responses = str(responses) if captured.opened else None
    return summary


def check_output_file(path: Path, option: str) -> None:
    """Raise a :class:`ConfigError` naming ``option`` when a file cannot be written at ``path``."""
    problem = _output_problem(path)
    if problem is not None:
        raise ConfigError(option, problem, value=str(path),
                          fix="give the path of a file that can be written (missing folders are created)")


def _output_problem(path: Path) -> str | None:
    """Why a file cannot be written at ``path``, or None."""
    if path.is_dir():
        return "is a directory, not a file"
    if path.exists():
        return None if os.access(path, os.W_OK) else "is a file that cannot be written"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot be created: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot be created: the folder {folder} cannot be written"
    return None


def _standalone(error: HttpError, rejects: Path) -> HttpError:
    """``error`` with a fix that holds for a run without a ledger: nothing resumes, there is no retry-after
    setting, the rejects file tells which records were not delivered, and sending the whole input again
    would send the delivered ones twice."""
    again = (f'send again only the records with status "stopped" in {rejects} (the "record" of each line), '
             f"e.g. jq -c 'select(.status == \"stopped\") | .record' {rejects} > again.jsonl, then "
             "--input again.jsonl; the whole input would send the delivered records twice")
    if isinstance(error, RetryLaterError):
        error.fix = f"wait as long as the service asks, then {again}"
    else:
        error.fix = f"{error.fix.rstrip('.')}; then {again}" if error.fix else again
    error.args = (str(error),)
    return error


def _progress(summary: DeliverySummary, client: HttpClient, started: float,
              on_progress: ProgressCallback | None) -> None:
    _fill(summary, client, started)
    if on_progress is not None:
        on_progress(summary)


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
