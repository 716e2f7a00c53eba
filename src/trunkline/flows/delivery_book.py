"""How a destination run accounts for its records: the summary that counts each input record once, the
rejects written in input order whatever order they settle in, and the JSON-lines files they go to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from trunkline.core.errors import HttpError, TrunklineError
from trunkline.rest.destination import InputRecord, PlannedRequest, RecordOutcome

OUTCOMES = ("delivered", "invalid", "failed", "review", "held")
#: What a record is counted as when an error stopped the run before it was delivered (not sent, or sent
#: in the request that met the error); a standalone run has no ledger to resume from.
STOPPED = "stopped"


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


class RejectsBook:
    """Counts each input record once and writes the rejects in input order, whatever order they settle in.

    Outcomes that settle ahead of an earlier record (a batch sent after an invalid record that came
    before its last record) wait here until the records before them have settled. Every record read from
    the input is remembered until it is written, so a stopped run can account for those in flight. A
    record is counted once: an outcome for a row already settled is ignored."""

    def __init__(self, summary: DeliverySummary, rejected: LazyJsonl, redact: Callable[[str], str],
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


class LazyJsonl:
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

    def __enter__(self) -> LazyJsonl:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
