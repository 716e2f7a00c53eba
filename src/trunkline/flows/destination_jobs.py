"""Destination jobs: preview the requests records turn into, send a test, or deliver a whole file.

Every input record ends in the summary under exactly one outcome (delivered, invalid, failed,
review, held, or stopped when an error stopped the run before it was delivered); every record that is
not delivered is written to the rejects file with its reason, in input order, so nothing is dropped
silently. With ``capture_responses``, every response lands as a record linked
to the input rows that caused it. ``destination test`` sends its few records one at a time; a run sends
up to ``concurrency`` requests at once (see ``send_window``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from trunkline.connectors.resolve_destination import ResolvedDestination, open_destination
from trunkline.core.errors import ConfigError, HttpError, RetryLaterError, TrunklineError
from trunkline.flows.send_window import SendWindow, Sent
from trunkline.rest.destination import Delivery, InputRecord, PlannedRequest, RecordOutcome
from trunkline.rest.http import HttpClient, RetryPolicy
from trunkline.store.credentials import mask_headers

OUTCOMES = ("delivered", "invalid", "failed", "review", "held")
#: What a record is counted as when an error stopped the run before it was delivered (not sent, or sent
#: in the request that met the error); a standalone run has no ledger to resume from.
STOPPED = "stopped"
ProgressCallback = Callable[["DeliverySummary"], None]


@dataclass
class DeliverySummary:
    """What a destination run did: every input record is counted once, under one outcome or as ``stopped``."""

    destination: str
    records: int = 0
    requests: int = 0
    retries: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    #: Records not delivered because an error stopped the run first (see ``stopped_by``).
    stopped: int = 0
    seconds: float = 0.0
    rejects: str | None = None
    responses: str | None = None
    #: The error that stopped the run before every record was sent, if one did.
    stopped_by: HttpError | None = None

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data (``--json``)."""
        return {"destination": self.destination, "records": self.records, "requests": self.requests,
                "retries": self.retries, **self.outcomes, STOPPED: self.stopped, "seconds": round(self.seconds, 3),
                "rejects": self.rejects, "responses": self.responses,
                "error": str(self.stopped_by) if self.stopped_by is not None else None}


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
    with _LazyJsonl(rejects) as rejected, _LazyJsonl(responses) as captured:
        async with open_destination(resolved, now=now, retry=retry) as (engine, client):
            book = _Book(summary, rejected, client.redact, lambda: _progress(summary, client, started, on_progress))
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


class _Book:
    """Counts each input record once and writes the rejects in input order, whatever order they settle in.

    Outcomes that settle ahead of an earlier record (a batch sent after an invalid record that came
    before its last record) wait here until the records before them have settled. Every record read from
    the input is remembered until it is written, so a stopped run can account for those in flight. A
    record is counted once: an outcome for a row already settled is ignored."""

    def __init__(self, summary: DeliverySummary, rejected: _LazyJsonl, redact: Callable[[str], str],
                 on_progress: Callable[[], None]) -> None:
        self._summary = summary
        self._rejected = rejected
        self._redact = redact
        self._on_progress = on_progress
        self._read: dict[int, dict[str, Any]] = {}
        self._waiting: dict[int, tuple[str, dict[str, Any] | None]] = {}
        self._next = 0

    def reading(self, rows: Iterator[InputRecord]) -> Iterator[InputRecord]:
        """The input records, each remembered until its outcome is written."""
        for row in rows:
            self._read[row.row] = row.data
            yield row

    def settle(self, outcomes: Iterable[RecordOutcome]) -> None:
        """Count ``outcomes`` and write those not delivered, in input order."""
        for outcome in outcomes:
            line = None if outcome.status == "delivered" else _reject(
                outcome.row, outcome.status, outcome.reason, outcome.http_status, outcome.record)
            self._put(outcome.row, outcome.status, line)

    def met_error(self, request: PlannedRequest, error: Exception) -> None:
        """The records of ``request`` its error left unsettled: the run stops before they are delivered."""
        reason = f"the run stopped before this record was delivered: its request met {self._message(error)}"
        status = error.status if isinstance(error, HttpError) else None
        for entry in request.entries:
            row = entry.source.row
            self._put(row, STOPPED, _reject(row, STOPPED, reason, status, entry.source.data))

    def stop(self, error: Exception, rest: Iterator[InputRecord]) -> None:
        """Write every record read and not settled, then every record left in the input, as ``stopped``."""
        reason = f"the run stopped before this record was sent: {self._message(error)}"
        for row in sorted(set(self._read) - set(self._waiting)):
            self._put(row, STOPPED, _reject(row, STOPPED, reason, None, self._read[row]))
        for row in rest:
            self._put(row.row, STOPPED, _reject(row.row, STOPPED, reason, None, row.data))
            if row.row % 1000 == 0:
                self.progress()

    def finish(self) -> None:
        """Write whatever still waits (only when a record never settled, which should not happen)."""
        for row in sorted(self._waiting):
            self._write(*self._waiting.pop(row))
        self._read.clear()
        self.progress()

    def progress(self) -> None:
        """Report the counts so far."""
        self._on_progress()

    def _message(self, error: Exception) -> str:
        """What went wrong, secrets masked, without the fix (that is for the run, not for one record)."""
        return self._redact(error.message if isinstance(error, TrunklineError) else str(error))

    def _put(self, row: int, status: str, line: dict[str, Any] | None) -> None:
        if row < self._next or row in self._waiting:
            return
        self._waiting[row] = (status, line)
        while self._next in self._waiting:
            self._write(*self._waiting.pop(self._next))
            self._read.pop(self._next, None)
            self._next += 1

    def _write(self, status: str, line: dict[str, Any] | None) -> None:
        self._summary.records += 1
        if status == STOPPED:
            self._summary.stopped += 1
        else:
            self._summary.outcomes[status] += 1
        if line is not None:
            self._rejected.write(line)


def _reject(row: int, status: str, reason: str | None, http_status: int | None, record: dict[str, Any]
            ) -> dict[str, Any]:
    """One line of the rejects file."""
    return {"row": row, "status": status, "reason": reason, "http_status": http_status, "record": record}


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
