"""API delivery with the delivery ledger: every record's delivery is recorded before and after its request.

Before a request its records are marked ``pending`` (committed); after it each becomes ``acknowledged``,
``failed`` (tried again next run, up to ``max_attempts``) or ``dead`` (kept with the reason until a
replay). On the next run:

- an ``acknowledged`` record with the same content is skipped (unchanged); changed content is sent again;
- a ``dead`` record with the same content stays dead (``trunkline deadletters replay`` resends it);
- a ``pending`` record means a run died between sending and recording the answer. For idempotent
  destinations (PUT, DELETE, or ``mode: upsert``) it is sent again; for others it becomes dead with
  that reason, because resending might duplicate it.

With a ``key``, a record without a value for a key field is not sent: it becomes dead under a row of its
own (keyed by its content hash), with a reason naming ``flow.destinations.N.key``. Records missing the
key *field* are held until a record shows that the field exists; when no record of the delivery (or
none of the first :data:`KEYLESS_LIMIT`) has it, the key is taken for a typo and delivery stops with a
:class:`~trunkline.core.errors.ConfigError` naming the key and the fields the records have.

A replay (``trunkline deadletters replay``) sends dead records with a fresh attempt count; one that is
not delivered stays dead, with the new reason.

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
from trunkline.core.errors import ConfigError, RetryLaterError
from trunkline.flows.send_window import SendWindow, Sent
from trunkline.rest.destination import InputRecord, PlannedRequest, RecordOutcome
from trunkline.rest.http import RetryPolicy
from trunkline.store.metadata import LedgerEntry, MetadataStore

_EXCERPT = 300
KEYLESS_LIMIT = 1_000
"""How many records missing the key field are held, waiting for one that has it, before the key is taken
for a typo (a ConfigError): bounds the memory a mistyped key costs."""
_FIELDS_SHOWN = 30


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


def key_names(key: str | list[str] | None) -> list[str]:
    """The key field(s) a destination's ``key`` names (none without a key)."""
    if key is None:
        return []
    return [key] if isinstance(key, str) else list(key)


def missing_key_fields(record: dict[str, Any], key: str | list[str] | None) -> list[str]:
    """The key fields ``record`` has no value for: absent, null or blank text."""
    return [name for name in key_names(key) if _blank(record.get(name))]


def record_key(record: dict[str, Any], key: str | list[str] | None, digest: str) -> str:
    """The ledger key: the key field(s) of the record, or its content hash when no key is configured.

    A record without a value for a key field (see :func:`missing_key_fields`) has a row of its own,
    ``no-key:`` and its content hash: it never shares a row with another record.
    """
    names = key_names(key)
    if not names:
        return digest
    if missing_key_fields(record, key):
        return f"no-key:{digest[:16]}"
    return "|".join(str(record[name]) for name in names)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_idempotent(resolved: ResolvedDestination) -> bool:
    """Whether sending a record twice leaves the service as sending it once."""
    return resolved.config.method in ("PUT", "DELETE") or resolved.config.mode == "upsert"


class _Books:
    """The ledger bookkeeping of one delivery: each row's key, content hash and attempts so far."""

    def __init__(self, store: MetadataStore, flow: str, destination: str, run_id: str, summary: LedgerSummary,
                 max_attempts: int, replay: bool = False) -> None:
        self.store, self.flow, self.destination, self.run_id = store, flow, destination, run_id
        self.summary, self.max_attempts, self.replay = summary, max_attempts, replay
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
        if self.replay:
            self.put(row, record, "dead", reason="the service asked to wait longer than allowed during a replay; "
                     "replay it again later")
        else:
            self.put(row, record, "failed", reason="the service asked to wait longer than allowed; sent next run")
        self._closed(row)

    def dead_without_key(self, row: int, record: dict[str, Any], ledger_key: str, digest: str, reason: str) -> None:
        """Record a record that has no value for a key field as dead, on its own row (not sent)."""
        summary = self.summary
        summary.records += 1
        entry = self.store.ledger_get(self.flow, self.destination, ledger_key)
        if entry is not None and entry.content_hash == digest and entry.status == "dead" and not self.replay:
            summary.skipped_dead += 1
            return
        self.rows[row] = (ledger_key, digest, 0)
        self.put(row, record, "dead", reason=reason)
        summary.dead += 1
        if len(summary.reasons) < 5:
            summary.reasons.append(f"row {row}: {reason}")

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
        if self.replay:  # a replayed record that is not delivered stays dead, with the new reason
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
    now: datetime | None = None, retry: RetryPolicy | None = None, key_path: str | None = None,
) -> LedgerSummary:
    """Deliver ``records`` through ``resolved``, recording each in the ledger (see the module docstring).

    With ``replay``, dead records are sent again with a fresh attempt count; those not delivered stay dead.
    ``key_path`` names the destination's key in errors (``flow.destinations.0.key``). Raises
    :class:`ConfigError` when no record has a key field.
    """
    summary = LedgerSummary(destination=destination)
    books = _Books(store, flow, destination, run_id, summary, max_attempts, replay)
    idempotent = is_idempotent(resolved)
    backlog = _Backlog(records)
    keyless = _Keyless(key, books, key_path or f"the key of destination {destination}")

    def candidates() -> Iterator[InputRecord]:
        """The records to send, until one whose key is still on its way (it is put back for later)."""
        for row, record in backlog:
            digest = content_hash(record)
            if keyless.held_back(row, record, digest):
                continue
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
            keyless.finish()
        summary.requests = client.stats.requests
    return summary


class _Keyless:
    """The records that have no value for a key field: each is recorded dead on a row of its own.

    While no record has shown that every key field exists, such records are held (up to
    :data:`KEYLESS_LIMIT`): if none ever does, the key is a typo and :meth:`finish` raises a ConfigError
    instead of filling the ledger with dead letters.
    """

    def __init__(self, key: str | list[str] | None, books: _Books, key_path: str) -> None:
        self.key, self.names, self.books, self.path = key, key_names(key), books, key_path
        self.seen: set[str] = set()
        self.fields: dict[str, None] = {}
        self.held: list[tuple[int, dict[str, Any], str]] = []
        self._of = " replayed" if books.replay else " of this run"

    @property
    def confirmed(self) -> bool:
        """Whether some record of the delivery has had each key field."""
        return self.seen.issuperset(self.names)

    def held_back(self, row: int, record: dict[str, Any], digest: str) -> bool:
        """Whether the record lacks a key value; if so it is recorded dead now, or held while unconfirmed."""
        if not self.names:
            return False
        self.seen.update(name for name in self.names if name in record)
        missing = missing_key_fields(record, self.key)
        if self.confirmed:
            self._release()
            if missing:
                self._dead(row, record, digest)
            return bool(missing)
        self.held.append((row, record, digest))
        self.fields.update(dict.fromkeys(record))
        if len(self.held) >= KEYLESS_LIMIT:
            raise self._typo(f"none of the first {KEYLESS_LIMIT} records{self._of}")
        return True

    def finish(self) -> None:
        """At the end of the records: release the held ones, or raise if no record had a key field."""
        if not self.held:
            return
        if not self.confirmed:
            raise self._typo(f"no record{self._of}")
        self._release()

    def _release(self) -> None:
        held, self.held = self.held, []
        for row, record, digest in held:
            self._dead(row, record, digest)

    def _dead(self, row: int, record: dict[str, Any], digest: str) -> None:
        missing = missing_key_fields(record, self.key)
        fields = ", ".join(list(record)[:_FIELDS_SHOWN]) or "none"
        reason = (f"{self.path}: the record has no value for {_quoted(missing)} (its fields: {fields}), so it "
                  f"was not sent. Fix: give it {_quoted(missing)}, or set {self.path} to the field(s) that identify "
                  "each record; then replay it")
        self.books.dead_without_key(row, record, record_key(record, self.key, digest), digest, reason)

    def _typo(self, which: str) -> ConfigError:
        absent = [name for name in self.names if name not in self.seen]
        fields = ", ".join(list(self.fields)[:_FIELDS_SHOWN]) or "none"
        return ConfigError(self.path, f"{which} has the field {_quoted(absent)} it names (the records have: "
                           f"{fields}); nothing was sent",
                           fix="set key to the field(s) that identify each record, as spelt in the records, or "
                               "leave key out to identify records by their content")


def _quoted(names: list[str]) -> str:
    return " and ".join(repr(name) for name in names)


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
