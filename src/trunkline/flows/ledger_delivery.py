"""API delivery with the delivery ledger: every record's delivery is recorded before and after its request.

Before a request its records are marked ``pending`` (committed); after it each becomes ``acknowledged``,
``failed`` (tried again next run, up to ``max_attempts``) or ``dead`` (kept with the reason until a
replay). On the next run:

- an ``acknowledged`` record with the same content is skipped (unchanged); changed content is sent again;
- a ``dead`` record with the same content stays dead (``trunkline deadletters replay`` resends it);
- a ``pending`` record means a run died between sending and recording the answer. For idempotent
  destinations (PUT, DELETE, or ``mode: upsert``) it is sent again; for others it becomes dead with
  that reason, because resending might duplicate it.

With ``concurrency: N`` up to N requests are in flight at once (``send_window``); each is marked
``pending`` before it leaves and its answer is recorded in input order. Delivery is serialised per
ledger key: a record whose key an unanswered request of this run carries waits for that answer before
the ledger is consulted for it, so it sees what a one-at-a-time run would have seen.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trunkline.connectors.resolve_destination import ResolvedDestination, open_destination
from trunkline.core.errors import RetryLaterError
from trunkline.flows.send_window import SendWindow, Sent
from trunkline.rest.destination import InputRecord, PlannedRequest, RecordOutcome
from trunkline.rest.http import RetryPolicy
from trunkline.store.metadata import LedgerEntry, MetadataStore

_EXCERPT = 300


@dataclass
class LedgerSummary:
    """What one API destination did in one run."""

    destination: str
    records: int = 0
    acknowledged: int = 0
    unchanged: int = 0
    failed: int = 0
    dead: int = 0
    skipped_dead: int = 0
    requests: int = 0
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for run counts and ``--json``."""
        return {"records": self.records, "acknowledged": self.acknowledged, "unchanged": self.unchanged,
                "failed": self.failed, "dead": self.dead, "skipped_dead": self.skipped_dead,
                "requests": self.requests}


def content_hash(record: dict[str, Any]) -> str:
    """A stable hash of a record's content (keys sorted), to tell unchanged records from changed ones."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_key(record: dict[str, Any], key: str | list[str] | None, digest: str) -> str:
    """The ledger key: the key field(s) of the record, or its content hash when no key is configured."""
    if key is None:
        return digest
    names = [key] if isinstance(key, str) else key
    return "|".join(str(record.get(name)) for name in names)


def is_idempotent(resolved: ResolvedDestination) -> bool:
    """Whether sending a record twice leaves the service as sending it once."""
    return resolved.config.method in ("PUT", "DELETE") or resolved.config.mode == "upsert"


class _Books:
    """The ledger bookkeeping of one delivery: each row's key, content hash and attempts so far."""

    def __init__(self, store: MetadataStore, flow: str, destination: str, run_id: str, summary: LedgerSummary,
                 max_attempts: int) -> None:
        self.store, self.flow, self.destination, self.run_id = store, flow, destination, run_id
        self.summary, self.max_attempts = summary, max_attempts
        self.rows: dict[int, tuple[str, str, int]] = {}
        self._open_rows: set[int] = set()
        self._open_keys: Counter[str] = Counter()

    def in_flight(self, ledger_key: str) -> bool:
        """Whether a request of this run carries a record with this key and its answer is not recorded yet."""
        return self._open_keys[ledger_key] > 0

    def _opened(self, row: int) -> None:
        self._open_rows.add(row)
        self._open_keys[self.rows[row][0]] += 1

    def _closed(self, row: int) -> None:
        if row in self._open_rows:
            self._open_rows.remove(row)
            self._open_keys[self.rows[row][0]] -= 1

    def put(self, row: int, record: dict[str, Any], status: str, *, http_status: int | None = None,
            reason: str | None = None, excerpt: str | None = None) -> None:
        """Record one row's state, committed when this returns."""
        ledger_key, digest, attempts = self.rows[row]
        self.store.ledger_put(LedgerEntry(
            flow=self.flow, destination=self.destination, record_key=ledger_key, content_hash=digest, status=status,
            attempts=attempts, http_status=http_status, response_excerpt=excerpt, reason=reason,
            record=None if status == "acknowledged" else record, run_id=self.run_id, updated_at=_now()))

    def sending(self, row: int, record: dict[str, Any]) -> None:
        """Count an attempt and mark the row pending before its request goes out."""
        ledger_key, digest, attempts = self.rows[row]
        self.rows[row] = (ledger_key, digest, attempts + 1)
        self.put(row, record, "pending")
        self._opened(row)

    def not_sent(self, row: int, record: dict[str, Any]) -> None:
        """Undo :meth:`sending` for a request the service refused without acting (asked to wait)."""
        ledger_key, digest, attempts = self.rows[row]
        self.rows[row] = (ledger_key, digest, max(0, attempts - 1))
        self.put(row, record, "failed", reason="the service asked to wait longer than allowed; sent next run")
        self._closed(row)

    def settle(self, outcome: RecordOutcome, excerpt: str | None = None) -> None:
        """Record one outcome in the ledger and the summary."""
        self._closed(outcome.row)
        summary = self.summary
        if outcome.status == "delivered":
            self.put(outcome.row, outcome.record, "acknowledged", http_status=outcome.http_status, excerpt=excerpt)
            summary.acknowledged += 1
            return
        if outcome.status == "held":  # kept back by the connector: try again next run, no attempt used
            ledger_key, digest, attempts = self.rows[outcome.row]
            self.rows[outcome.row] = (ledger_key, digest, max(0, attempts - 1))
            status = "failed"
        elif outcome.status == "failed":
            status = "failed" if self.rows[outcome.row][2] < self.max_attempts else "dead"
        else:  # invalid or review: sending it again unchanged cannot help, or might duplicate it
            status = "dead"
        self.put(outcome.row, outcome.record, status, http_status=outcome.http_status, reason=outcome.reason,
                 excerpt=excerpt)
        if status == "dead":
            summary.dead += 1
        else:
            summary.failed += 1
        if outcome.reason and len(summary.reasons) < 5:
            summary.reasons.append(f"row {outcome.row}: {outcome.reason}")


async def deliver_with_ledger(
    resolved: ResolvedDestination, records: Iterable[dict[str, Any]], *, store: MetadataStore, flow: str,
    destination: str, key: str | list[str] | None, max_attempts: int, run_id: str, replay: bool = False,
    now: datetime | None = None, retry: RetryPolicy | None = None,
) -> LedgerSummary:
    """Deliver ``records`` through ``resolved``, recording each in the ledger (see the module docstring).

    With ``replay``, dead records are sent again with a fresh attempt count.
    """
    summary = LedgerSummary(destination=destination)
    books = _Books(store, flow, destination, run_id, summary, max_attempts)
    idempotent = is_idempotent(resolved)
    backlog = _Backlog(records)

    def candidates() -> Iterator[InputRecord]:
        """The records to send, until one whose key is still on its way (it is put back for later)."""
        for row, record in backlog:
            digest = content_hash(record)
            ledger_key = record_key(record, key, digest)
            if books.in_flight(ledger_key):
                backlog.put_back(row, record)
                return
            summary.records += 1
            entry = store.ledger_get(flow, destination, ledger_key)
            same = entry is not None and entry.content_hash == digest
            books.rows[row] = (ledger_key, digest, entry.attempts if same and not replay else 0)
            if same and entry.status == "acknowledged":
                summary.unchanged += 1
                continue
            if same and entry.status == "dead" and not replay:
                summary.skipped_dead += 1
                continue
            if same and entry.status == "pending" and not idempotent:
                books.put(row, record, "dead", reason="a run stopped after sending this record and before its "
                          "answer was recorded; it may have been delivered: check, then replay it")
                summary.dead += 1
                continue
            yield InputRecord(row, record)

    def record(sent: Sent) -> None:
        settled: set[int] = set()
        for delivery in sent.deliveries:
            excerpt = None if delivery.response_body is None else \
                json.dumps(delivery.response_body, default=str)[:_EXCERPT]
            for outcome in delivery.outcomes:
                books.settle(outcome, excerpt)
                settled.add(outcome.row)
        if isinstance(sent.error, RetryLaterError) and isinstance(sent.item, PlannedRequest):
            for entry in sent.item.entries:  # refused before acting: not an attempt, nothing delivered
                if entry.source.row not in settled:
                    books.not_sent(entry.source.row, entry.source.data)

    async with open_destination(resolved, now=now, retry=retry) as (engine, client):
        async with SendWindow(engine, client, limit=resolved.config.concurrency, on_result=record) as window:
            while not backlog.done:
                for item in engine.plan(candidates()):
                    if window.stopped:
                        await window.drain()  # raises: nothing more is marked as sent, nor sent
                    if isinstance(item, PlannedRequest):
                        for entry in item.entries:
                            books.sending(entry.source.row, entry.source.data)
                    await window.put(item)
                await window.drain()  # a record waits for its key: let every answer in, then go on
        summary.requests = client.stats.requests
    return summary


class _Backlog:
    """The input rows still to deliver, numbered; a row put back comes out next."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self._rows = enumerate(records)
        self._back: tuple[int, dict[str, Any]] | None = None
        self.done = False

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return self

    def __next__(self) -> tuple[int, dict[str, Any]]:
        if self._back is not None:
            numbered, self._back = self._back, None
            return numbered
        try:
            return next(self._rows)
        except StopIteration:
            self.done = True
            raise

    def put_back(self, row: int, record: dict[str, Any]) -> None:
        """Make ``(row, record)`` the next row out."""
        self._back = (row, record)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
