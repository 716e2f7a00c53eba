"""The SQL both metadata backends share: the queries behind :class:`~trunkline.store.metadata.MetadataStore`.

A backend subclass supplies the connection (:meth:`SqlStore._execute`), an exclusive transaction for
schema changes (:meth:`SqlStore._exclusive`), its DDL (``MIGRATIONS``), how to recognise a
foreign-key violation, and the per-flow run lock (:meth:`SqlStore._try_run_lock`: one that the
holder's death releases, see :mod:`trunkline.store.run_lock`). Queries are written with ``?``
placeholders; every statement runs on its own and is committed before the method returns.
"""

from __future__ import annotations

import json
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, ClassVar, Self

from trunkline.core.errors import ConfigError, TrunklineError
from trunkline.store.metadata import LEDGER_STATUSES, RUN_STATUSES, FlowRecord, LedgerEntry, RunRecord, utc_now
from trunkline.store.run_lock import HOLDER_KEY, FlowBusyError, holder_info

COMPONENT = "metadata"

_FLOW_COLUMNS = "name, path, schedule, active, created_at, updated_at"
_RUN_COLUMNS = "id, flow, started_at, ended_at, status, counts, error"
_LEDGER_COLUMNS = (
    "flow, destination, record_key, content_hash, status, attempts, http_status, response_excerpt, reason,"
    " record, run_id, updated_at"
)


class SqlStore(ABC):
    """A :class:`~trunkline.store.metadata.MetadataStore` over one database connection.

    Calls from several threads are serialised on the connection.
    """

    MIGRATIONS: ClassVar[Sequence[Sequence[str]]]
    """``MIGRATIONS[n]`` holds the statements that bring the schema from version ``n`` to ``n + 1``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._held_runs: set[str] = set()

    # backend hooks -----------------------------------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one statement with ``?`` placeholders; return its rows (empty when it returns none)."""

    @abstractmethod
    def _exclusive(self) -> AbstractContextManager[None]:
        """A transaction that no other process can run alongside (used for schema changes)."""

    @abstractmethod
    def _is_foreign_key_violation(self, exc: Exception) -> bool:
        """Whether ``exc`` is the driver's error for a foreign-key violation (a write about an unknown flow)."""

    @abstractmethod
    def _try_run_lock(self, flow: str) -> bool:
        """Take the run lock of ``flow`` without waiting (one the holder's death releases); whether it was taken."""

    @abstractmethod
    def _release_run_lock(self, flow: str) -> None:
        """Let go of the run lock of ``flow`` taken by :meth:`_try_run_lock`."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection. The store cannot be used afterwards."""

    # schema ------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Create the tables on first use and apply the migrations this version of trunkline knows."""
        with self._lock, self._exclusive():
            self._execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
                (),
            )
            rows = self._execute("SELECT version FROM schema_versions WHERE component = ?", (COMPONENT,))
            current = rows[0][0] if rows else 0
            if current > len(self.MIGRATIONS):
                raise TrunklineError(
                    f"The metadata store is at schema version {current}; this trunkline knows versions up to "
                    f"{len(self.MIGRATIONS)}.",
                    fix="upgrade trunkline to the version that last wrote this store",
                )
            for statements in self.MIGRATIONS[current:]:
                for statement in statements:
                    self._execute(statement, ())
            if current < len(self.MIGRATIONS):
                self._execute(
                    "INSERT INTO schema_versions (component, version) VALUES (?, ?)"
                    " ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    (COMPONENT, len(self.MIGRATIONS)),
                )

    def schema_version(self) -> int:
        """Return the version of the metadata schema in the database."""
        return self._one("SELECT version FROM schema_versions WHERE component = ?", (COMPONENT,))[0]

    # flows -------------------------------------------------------------------------------------

    def register_flow(self, name: str, path: str, schedule: str | None) -> FlowRecord:
        """Insert the flow, or update its path and schedule (keeping ``active``); new flows are inactive."""
        now = utc_now()
        row = self._one(
            f"INSERT INTO flows ({_FLOW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET path = excluded.path, schedule = excluded.schedule,"
            f" updated_at = excluded.updated_at RETURNING {_FLOW_COLUMNS}",
            (name, path, schedule, False, now, now),
        )
        return _flow(row)

    def get_flow(self, name: str) -> FlowRecord | None:
        """Return the flow named ``name``, or ``None``."""
        rows = self._rows(f"SELECT {_FLOW_COLUMNS} FROM flows WHERE name = ?", (name,))
        return _flow(rows[0]) if rows else None

    def list_flows(self) -> list[FlowRecord]:
        """Return every flow, sorted by name."""
        return [_flow(row) for row in self._rows(f"SELECT {_FLOW_COLUMNS} FROM flows ORDER BY name", ())]

    def set_active(self, name: str, active: bool) -> FlowRecord:
        """Activate or pause a flow; an unknown name is a :class:`ConfigError` listing the known ones."""
        rows = self._rows(
            f"UPDATE flows SET active = ?, updated_at = ? WHERE name = ? RETURNING {_FLOW_COLUMNS}",
            (active, utc_now(), name),
        )
        if not rows:
            raise self._unknown_flow(name)
        return _flow(rows[0])

    # runs --------------------------------------------------------------------------------------

    def start_run(self, flow: str) -> RunRecord:
        """Record a new run of ``flow`` in status ``running`` and return it."""
        with self._about_flow(flow):
            row = self._one(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, NULL, 'running', '{{}}', NULL)"
                f" RETURNING {_RUN_COLUMNS}",
                (uuid.uuid4().hex, flow, utc_now()),
            )
        return _run(row)

    def update_run(self, run_id: str, counts: dict[str, Any]) -> None:
        """Checkpoint the counts of a run in progress."""
        if not self._rows("UPDATE runs SET counts = ? WHERE id = ? RETURNING id", (_dumps(counts), run_id)):
            raise _unknown_run(run_id)

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any], error: str | None = None) -> RunRecord:
        """End a run with its final status, counts and error, and return it."""
        _check_status("run.status", status, RUN_STATUSES)
        rows = self._rows(
            f"UPDATE runs SET ended_at = ?, status = ?, counts = ?, error = ? WHERE id = ? RETURNING {_RUN_COLUMNS}",
            (utc_now(), status, _dumps(counts), error, run_id),
        )
        if not rows:
            raise _unknown_run(run_id)
        return _run(rows[0])

    def list_runs(self, flow: str, limit: int = 20) -> list[RunRecord]:
        """Return the last ``limit`` runs of ``flow``, newest first."""
        rows = self._rows(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE flow = ? ORDER BY started_at DESC, seq DESC LIMIT ?",
            (flow, limit),
        )
        return [_run(row) for row in rows]

    def mark_interrupted(self, flow: str) -> int:
        """Mark the runs of ``flow`` still ``running`` as ``interrupted``; return how many.

        Call it only while holding the flow's :meth:`run_lock`: then no other live process runs the flow,
        and a run still ``running`` is one whose process died.
        """
        rows = self._rows(
            "UPDATE runs SET status = 'interrupted', ended_at = ? WHERE flow = ? AND status = 'running' RETURNING id",
            (utc_now(), flow),
        )
        return len(rows)

    @contextmanager
    def run_lock(self, flow: str) -> Iterator[None]:
        """Hold the flow's run lock for the ``with`` block: at most one run of a flow at a time, across
        processes. Raises :class:`~trunkline.store.run_lock.FlowBusyError` at once (naming the live run)
        when another holder has it; a holder whose process died has let it go."""
        with self._lock:
            taken = flow not in self._held_runs and self._try_run_lock(flow)
            if taken:
                self._held_runs.add(flow)
        if not taken:
            raise self._busy(flow)
        try:
            self.set_state(flow, HOLDER_KEY, holder_info())
            yield
        finally:
            try:
                with suppress(Exception):  # the lock goes anyway; a stale holder note is only informative
                    self.set_state(flow, HOLDER_KEY, None)
            finally:
                with self._lock:
                    self._held_runs.discard(flow)
                    self._release_run_lock(flow)

    def _busy(self, flow: str) -> FlowBusyError:
        """The error for a run refused because another holds the flow: the live run and its process, if known."""
        holder = self.get_state(flow, HOLDER_KEY)
        holder = holder if isinstance(holder, dict) else None
        since = str(holder.get("since") or "") if holder else ""
        running = [run for run in self.list_runs(flow, limit=5) if run.status == "running" and run.started_at >= since]
        return FlowBusyError(flow, running[0] if running else None, holder)

    # state -------------------------------------------------------------------------------------

    def get_state(self, flow: str, key: str) -> Any | None:
        """Return the JSON value stored under ``key`` for ``flow``, or ``None``."""
        rows = self._rows("SELECT value FROM flow_state WHERE flow = ? AND key = ?", (flow, key))
        return json.loads(rows[0][0]) if rows else None

    def set_state(self, flow: str, key: str, value: Any) -> None:
        """Store a JSON value (a cursor, a high-water mark) under ``key`` for ``flow``."""
        with self._about_flow(flow):
            self._rows(
                "INSERT INTO flow_state (flow, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (flow, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (flow, key, _dumps(value), utc_now()),
            )

    def set_states(self, flow: str, values: Mapping[str, Any]) -> None:
        """Store several JSON values for ``flow`` at once: one statement, so all of them are written, or none."""
        if not values:
            return
        now = utc_now()
        rows = ", ".join("(?, ?, ?, ?)" for _ in values)
        params = [item for key, value in values.items() for item in (flow, key, _dumps(value), now)]
        with self._about_flow(flow):
            self._rows(
                f"INSERT INTO flow_state (flow, key, value, updated_at) VALUES {rows}"
                " ON CONFLICT (flow, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params,
            )

    # ledger ------------------------------------------------------------------------------------

    def ledger_get(self, flow: str, destination: str, record_key: str) -> LedgerEntry | None:
        """Return the ledger entry of one record at one destination, or ``None``."""
        rows = self._rows(
            f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE flow = ? AND destination = ? AND record_key = ?",
            (flow, destination, record_key),
        )
        return _entry(rows[0]) if rows else None

    def ledger_put(self, entry: LedgerEntry) -> None:
        """Insert or replace the entry for ``(flow, destination, record_key)``; durable on return."""
        _check_status("ledger.status", entry.status, LEDGER_STATUSES)
        record = None if entry.record is None else _dumps(entry.record)
        with self._about_flow(entry.flow):
            self._rows(
                f"INSERT INTO ledger ({_LEDGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (flow, destination, record_key) DO UPDATE SET content_hash = excluded.content_hash,"
                " status = excluded.status, attempts = excluded.attempts, http_status = excluded.http_status,"
                " response_excerpt = excluded.response_excerpt, reason = excluded.reason, record = excluded.record,"
                " run_id = excluded.run_id, updated_at = excluded.updated_at",
                (
                    entry.flow,
                    entry.destination,
                    entry.record_key,
                    entry.content_hash,
                    entry.status,
                    entry.attempts,
                    entry.http_status,
                    entry.response_excerpt,
                    entry.reason,
                    record,
                    entry.run_id,
                    entry.updated_at or utc_now(),
                ),
            )

    def ledger_list(
        self, flow: str, destination: str | None = None, status: str | None = None, limit: int | None = None
    ) -> list[LedgerEntry]:
        """Return a flow's ledger entries, optionally of one destination and status, oldest update first."""
        where, params = ["flow = ?"], [flow]
        if destination is not None:
            where.append("destination = ?")
            params.append(destination)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = (
            f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE {' AND '.join(where)}"
            " ORDER BY updated_at, destination, record_key"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_entry(row) for row in self._rows(sql, params)]

    def ledger_counts(self, flow: str) -> dict[str, dict[str, int]]:
        """Count a flow's ledger entries per destination and status (statuses with no entry are left out)."""
        counts: dict[str, dict[str, int]] = {}
        rows = self._rows(
            "SELECT destination, status, COUNT(*) FROM ledger WHERE flow = ? GROUP BY destination, status"
            " ORDER BY destination, status",
            (flow,),
        )
        for destination, status, count in rows:
            counts.setdefault(destination, {})[status] = count
        return counts

    # plumbing ----------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._execute(sql, params)

    def _one(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...]:
        return self._rows(sql, params)[0]

    @contextmanager
    def _about_flow(self, flow: str) -> Iterator[None]:
        """Turn the foreign-key violation of a write about an unregistered flow into a :class:`ConfigError`."""
        try:
            yield
        except Exception as exc:
            if self._is_foreign_key_violation(exc):
                raise self._unknown_flow(flow) from None
            raise

    def _unknown_flow(self, name: str) -> ConfigError:
        known = [row[0] for row in self._rows("SELECT name FROM flows ORDER BY name", ())]
        listing = f"known flows: {', '.join(known)}" if known else "no flow is registered yet"
        return ConfigError(
            "flow",
            f"no flow named {name!r} ({listing})",
            fix="use one of the known names, or run the flow file once so that it is registered",
        )


def _check_status(path: str, status: str, allowed: Sequence[str]) -> None:
    if status not in allowed:
        raise ValueError(f"{path} must be one of {', '.join(allowed)}, not {status!r}")


def _unknown_run(run_id: str) -> ConfigError:
    return ConfigError("run", "no run with this id", value=run_id, fix="use an id printed by `trunkline flow runs`")


def _flow(row: Sequence[Any]) -> FlowRecord:
    name, path, schedule, active, created_at, updated_at = row
    return FlowRecord(name, path, schedule, bool(active), created_at, updated_at)


def _run(row: Sequence[Any]) -> RunRecord:
    run_id, flow, started_at, ended_at, status, counts, error = row
    return RunRecord(run_id, flow, started_at, ended_at, status, json.loads(counts), error)


def _entry(row: Sequence[Any]) -> LedgerEntry:
    *fields, record, run_id, updated_at = row
    return LedgerEntry(*fields, None if record is None else json.loads(record), run_id, updated_at)


def _dumps(value: Any) -> str:
    """Encode ``value`` as strict JSON (no NaN or infinities, which PostgreSQL refuses)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
