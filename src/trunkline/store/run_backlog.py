"""A flow's undelivered runs: which runs' records still have to reach which destinations, and how many.

Kept in the flow's state under :data:`BACKLOG_KEY`, written by the flow runner while it holds the flow's
run lock (docs/flows.md, "What a run does"). Each entry is one run:

- ``records``: how many of the run's records (in nexset write order) are *committed*, i.e. may be
  delivered. A run that reads a whole source commits them all once the source is read to the end; an
  incremental run commits each window once the window is in the nexset (with the high-water mark, in
  one write). Records past that count (a snapshot or a window left half-read by an error, a stop or a
  kill) stay in the nexset with their lineage but are never delivered: the next run reads them again.
- ``complete``: whether the run read its source to the end.
- ``delivered``: the destinations that have taken every committed record.

Entries written by earlier versions are bare run ids: all their records are delivered, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trunkline.store.metadata import MetadataStore

BACKLOG_KEY = "undelivered_runs"


@dataclass
class PendingRun:
    """One run whose committed records some destination has not taken yet."""

    run: str
    records: int | None = 0
    complete: bool = False
    delivered: list[str] = field(default_factory=list)

    @property
    def deliverable(self) -> bool:
        """Whether the run has records to deliver: it read its source to the end, or committed some."""
        return self.complete or self.records is None or self.records > 0

    def as_state(self) -> dict[str, Any]:
        """The entry as stored."""
        return {"run": self.run, "records": self.records, "complete": self.complete, "delivered": self.delivered}

    @classmethod
    def from_state(cls, value: Any) -> PendingRun:
        """An entry as stored (a bare run id from an earlier version means: every record, not yet delivered)."""
        if isinstance(value, str):
            return cls(run=value, records=None, complete=True)
        return cls(run=str(value["run"]), records=value.get("records"), complete=bool(value.get("complete")),
                   delivered=list(value.get("delivered") or []))


class RunBacklog:
    """The undelivered runs of one flow, loaded from and saved to its state."""

    def __init__(self, store: MetadataStore, flow: str) -> None:
        """Load the backlog of ``flow`` from ``store``."""
        self.store = store
        self.flow = flow
        self.runs = [PendingRun.from_state(item) for item in store.get_state(flow, BACKLOG_KEY) or []]

    def add(self, run_id: str) -> PendingRun:
        """Add a run that has committed nothing yet (it is saved with the next :meth:`save`)."""
        pending = PendingRun(run=run_id)
        self.runs.append(pending)
        return pending

    def drop_undeliverable(self) -> list[PendingRun]:
        """Forget the runs that stopped before committing anything (their re-read is a later run's); return them."""
        dropped = [pending for pending in self.runs if not pending.deliverable]
        self.runs = [pending for pending in self.runs if pending.deliverable]
        return dropped

    def remove(self, pending: PendingRun) -> None:
        """Forget a run every destination has taken."""
        self.runs.remove(pending)

    def save(self, also: Mapping[str, Any] | None = None) -> None:
        """Write the backlog, and the state values in ``also`` (a high-water mark), in one write."""
        self.store.set_states(self.flow, {BACKLOG_KEY: [pending.as_state() for pending in self.runs], **(also or {})})
