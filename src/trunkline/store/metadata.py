"""The metadata store: flows, runs, flow state and the delivery ledger, behind one interface.

Two backends implement :class:`MetadataStore`: SQLite in the home directory (the default, in the
same ``trunkline.db`` file as the credentials, in tables of its own) and PostgreSQL, chosen with
``TRUNKLINE_STORE=postgresql://…`` so that several processes and machines can share the state.
:func:`open_store` picks one. Timestamps are ISO-8601 UTC strings; counts, state values and ledger
records are stored as JSON.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self

from trunkline.core.errors import ConfigError

STORE_ENV = "TRUNKLINE_STORE"
POSTGRES_SCHEMES = ("postgresql", "postgres")

RUN_STATUSES = ("running", "succeeded", "partial", "failed", "interrupted")
LEDGER_STATUSES = ("pending", "sent", "acknowledged", "failed", "dead")


@dataclass
class FlowRecord:
    """A registered flow: its file, its schedule (a cron expression) and whether the scheduler runs it."""

    name: str
    path: str
    schedule: str | None
    active: bool
    created_at: str
    updated_at: str


@dataclass
class RunRecord:
    """One execution of a flow. ``status`` is one of :data:`RUN_STATUSES`."""

    id: str
    flow: str
    started_at: str
    ended_at: str | None
    status: str
    counts: dict[str, Any]
    error: str | None


@dataclass
class LedgerEntry:
    """Where one record stands with one destination of a flow. ``status`` is one of :data:`LEDGER_STATUSES`.

    ``record`` holds the record itself (for dead-letter replay) and must never hold a credential.
    ``updated_at`` left empty is stamped with the current time when the entry is written.
    """

    flow: str
    destination: str
    record_key: str
    content_hash: str
    status: str
    attempts: int = 0
    http_status: int | None = None
    response_excerpt: str | None = None
    reason: str | None = None
    record: dict[str, Any] | None = None
    run_id: str | None = None
    updated_at: str = ""


class MetadataStore(Protocol):
    """What the flow runner, the scheduler and the CLI need to keep between runs.

    Every write is committed when the method returns. Writes about a flow (runs, state, ledger) need
    the flow to be registered first; reads about an unknown flow return nothing.
    """

    def register_flow(self, name: str, path: str, schedule: str | None) -> FlowRecord:
        """Insert the flow, or update its path and schedule (keeping ``active``); new flows are inactive."""
        ...

    def get_flow(self, name: str) -> FlowRecord | None:
        """Return the flow named ``name``, or ``None``."""
        ...

    def list_flows(self) -> list[FlowRecord]:
        """Return every flow, sorted by name."""
        ...

    def set_active(self, name: str, active: bool) -> FlowRecord:
        """Activate or pause a flow; an unknown name is a :class:`ConfigError` listing the known ones."""
        ...

    def start_run(self, flow: str) -> RunRecord:
        """Record a new run of ``flow`` in status ``running`` and return it."""
        ...

    def update_run(self, run_id: str, counts: dict[str, Any]) -> None:
        """Checkpoint the counts of a run in progress."""
        ...

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any], error: str | None = None) -> RunRecord:
        """End a run with its final status, counts and error, and return it."""
        ...

    def list_runs(self, flow: str, limit: int = 20) -> list[RunRecord]:
        """Return the last ``limit`` runs of ``flow``, newest first."""
        ...

    def mark_interrupted(self, flow: str) -> int:
        """Mark the runs of ``flow`` still ``running`` as ``interrupted``; return how many.

        Call it only while holding the flow's :meth:`run_lock`: then no other live process runs the flow,
        and a run still ``running`` is one whose process died.
        """
        ...

    def run_lock(self, flow: str) -> AbstractContextManager[None]:
        """Hold the flow's run lock for the ``with`` block: at most one run of a flow at a time, across
        processes. Raises :class:`~trunkline.store.run_lock.FlowBusyError` at once (naming the live run)
        when another holder has it; a holder whose process died has let it go."""
        ...

    def get_state(self, flow: str, key: str) -> Any | None:
        """Return the JSON value stored under ``key`` for ``flow``, or ``None``."""
        ...

    def set_state(self, flow: str, key: str, value: Any) -> None:
        """Store a JSON value (a cursor, a high-water mark) under ``key`` for ``flow``."""
        ...

    def set_states(self, flow: str, values: Mapping[str, Any]) -> None:
        """Store several JSON values for ``flow`` at once: all of them are written, or none."""
        ...

    def ledger_get(self, flow: str, destination: str, record_key: str) -> LedgerEntry | None:
        """Return the ledger entry of one record at one destination, or ``None``."""
        ...

    def ledger_put(self, entry: LedgerEntry) -> None:
        """Insert or replace the entry for ``(flow, destination, record_key)``; durable on return."""
        ...

    def ledger_list(
        self, flow: str, destination: str | None = None, status: str | None = None, limit: int | None = None
    ) -> list[LedgerEntry]:
        """Return a flow's ledger entries, optionally of one destination and status, oldest update first."""
        ...

    def ledger_counts(self, flow: str) -> dict[str, dict[str, int]]:
        """Count a flow's ledger entries per destination and status (statuses with no entry are left out)."""
        ...

    def close(self) -> None:
        """Release the connection. The store cannot be used afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


def open_store(home: Path | None = None, url: str | None = None) -> MetadataStore:
    """Open the metadata store, creating or upgrading its tables on first use.

    ``url`` defaults to the ``TRUNKLINE_STORE`` environment variable. A ``postgresql://`` (or
    ``postgres://``) URL opens PostgreSQL (its ``schema`` query parameter names the schema, default
    ``trunkline``); no URL opens SQLite in ``<home>/trunkline.db``, the home being resolved as
    everywhere else (``home``, then ``TRUNKLINE_HOME``, then ``~/.trunkline``).
    """
    chosen = url if url is not None else os.environ.get(STORE_ENV, "")
    if not chosen:
        from trunkline.store.home import resolve_home
        from trunkline.store.sqlite_store import SqliteStore

        return SqliteStore.for_home(resolve_home(home))
    scheme = chosen.partition("://")[0].lower()
    if scheme not in POSTGRES_SCHEMES:
        raise ConfigError(
            STORE_ENV,
            f"must be a postgresql:// URL (got a URL of scheme {scheme!r})",
            fix=f"set {STORE_ENV} to postgresql://USER@HOST:PORT/DATABASE, or unset it to use SQLite in the home",
        )
    from trunkline.store.postgres_store import PostgresStore

    return PostgresStore.connect(chosen)


def utc_now() -> str:
    """Return the current time as an ISO-8601 UTC string with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
