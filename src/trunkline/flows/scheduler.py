"""The scheduler behind ``trunkline serve``: runs active flows when their cron schedule says so.

A flow is due when the next time its schedule names after its last run started (or after it was
activated, for a flow that never ran) has come. Due flows run one after the other in this process;
several ``serve`` processes may share a PostgreSQL store. Five-field cron (minute resolution) and
six-field cron with seconds last (``* * * * * */10``) are accepted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

from trunkline.flows.runner import load_flow, run_flow
from trunkline.store.metadata import FlowRecord, MetadataStore, RunRecord
from trunkline.store.nexsets import NexsetStore
from trunkline.store.run_lock import FlowBusyError

log = logging.getLogger("trunkline.scheduler")


def next_due(flow: FlowRecord, store: MetadataStore) -> datetime | None:
    """When ``flow`` should run next, or None when it is paused or has no schedule."""
    if not flow.active or not flow.schedule:
        return None
    runs = store.list_runs(flow.name, limit=1)
    since = datetime.fromisoformat(runs[0].started_at if runs else flow.updated_at)
    return croniter(flow.schedule, since).get_next(datetime)


def due_flows(store: MetadataStore, now: datetime) -> list[FlowRecord]:
    """The active scheduled flows whose time has come."""
    return [flow for flow in store.list_flows() if (due := next_due(flow, store)) is not None and due <= now]


def serve(store: MetadataStore, nexsets: NexsetStore, *, home: Path | None = None, tick: float = 1.0,
          max_runs: int | None = None, on_run: Callable[[RunRecord], None] | None = None) -> int:
    """Run due flows until interrupted (or ``max_runs`` runs have finished); returns the runs made.

    One failing flow never stops the others. A flow that cannot even start (its file is gone or no longer
    valid, another run of it is live) leaves no run behind, so it is logged and skipped until the next
    time its schedule names, instead of being tried again at every tick.
    """
    if tick < 0:
        raise ValueError("tick must be zero or more seconds")
    made = 0
    not_before: dict[str, datetime] = {}
    while max_runs is None or made < max_runs:
        now = datetime.now(UTC)
        for flow in due_flows(store, now):
            if not_before.get(flow.name, now) > now:
                continue
            run = _run_once(flow, store, nexsets, home)
            if run is None:
                assert flow.schedule is not None
                not_before[flow.name] = croniter(flow.schedule, now).get_next(datetime)
                continue
            made += 1
            if on_run is not None:
                on_run(run)
            if max_runs is not None and made >= max_runs:
                break
        time.sleep(tick)
    return made


def _run_once(flow: FlowRecord, store: MetadataStore, nexsets: NexsetStore, home: Path | None) -> RunRecord | None:
    """Run ``flow`` once; its run record, or None when it could not start (logged with the reason)."""
    before = store.list_runs(flow.name, limit=1)
    try:
        loaded = load_flow(Path(flow.path))
        return asyncio.run(run_flow(loaded, store=store, nexsets=nexsets, home=home))
    except FlowBusyError as busy:  # another process runs it now: skip this time, nothing was started
        log.warning("flow %s skipped: %s", flow.name, busy)
        return None
    except Exception as error:  # the run, if it started, records why it failed
        latest = store.list_runs(flow.name, limit=1)
        started = bool(latest) and (not before or latest[0].id != before[0].id)
        log.error("flow %s %s: %s", flow.name, "failed" if started else "could not start", error)
        return latest[0] if started else None
