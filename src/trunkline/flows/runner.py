"""Run a flow once: fetch (in incremental windows), transform, append to the nexset, deliver.

Order of work, chosen so that a run killed at any moment loses nothing and delivers nothing twice
(docs/flows.md):

0. Before anything runs, what can be checked without fetching is checked: an incremental flow's source
   takes a window, and every destination's configuration parses (its files are found). Then the flow's
   run lock is taken (:meth:`~trunkline.store.metadata.MetadataStore.run_lock`): a second run while one
   is live is refused at once.
1. The run is registered and added to the flow's *undelivered runs* (:mod:`trunkline.store.run_backlog`)
   before anything is fetched.
2. Each window's records are appended to the nexset (parts appear atomically); the window's records are
   *committed* (counted in the run's backlog entry) and the high-water mark moves to the window's end in
   one write, only after they are in the nexset. A run reading a whole source commits its records when
   it has read the source to the end. Records past the committed count (a half-read snapshot or window)
   are never delivered: the next run reads them again.
3. Every undelivered run's committed records (this one's and any left by a run that failed, stopped or
   was killed) are read back from the nexset and delivered to each destination that has not taken them
   yet; API destinations go through the delivery ledger, so a record acknowledged before a crash is not
   sent again. A run leaves the undelivered list only when every destination has taken its records.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trunkline.connectors.resolve import open_source, resolve_source
from trunkline.connectors.resolve_destination import load_destination, resolve_destination
from trunkline.core.config import config_error_from
from trunkline.core.errors import ConfigError, RetryLaterError
from trunkline.core.flow_config import (
    ApiDestination,
    DataDestination,
    FileDestination,
    FileSource,
    FlowConfig,
    Incremental,
)
from trunkline.core.sink_config import parse_sink_config
from trunkline.core.yamlfile import load_yaml_file
from trunkline.flows.data_delivery import deliver_to_table, write_file
from trunkline.flows.incremental_cursor import NewestValue
from trunkline.flows.ledger_delivery import deliver_with_ledger
from trunkline.flows.transforms import apply_transforms
from trunkline.readers.files import read_records
from trunkline.rest.http import RetryPolicy
from trunkline.store.metadata import MetadataStore, RunRecord
from trunkline.store.nexsets import NexsetStore
from trunkline.store.run_backlog import PendingRun, RunBacklog

ProgressCallback = Callable[[str, dict[str, Any]], None]
HIGH_WATER_MARK = "high_water_mark"


@dataclass
class LoadedFlow:
    """A validated flow and the folder its relative paths are read from."""

    config: FlowConfig
    path: Path | None
    base_dir: Path

    @property
    def name(self) -> str:
        """The flow's name."""
        return self.config.name


@dataclass(frozen=True)
class Window:
    """One incremental window ``[start, end)``."""

    start: datetime
    end: datetime


def load_flow(flow: Path | str | Mapping[str, Any]) -> LoadedFlow:
    """Read and validate a flow file (or mapping). Errors name the key (``flow.destinations.0.type``)."""
    if isinstance(flow, Mapping):
        raw, path, base_dir = dict(flow), None, Path.cwd()
    else:
        path = Path(flow).resolve()
        raw, base_dir = load_yaml_file(path, root="flow"), path.parent
    try:
        config = FlowConfig.model_validate(raw)
    except ValidationError as error:
        raise config_error_from(error, "flow") from None
    loaded = LoadedFlow(config=config, path=path, base_dir=base_dir)
    check_incremental_source(loaded, read_source_file=False)
    return loaded


def check_incremental_source(flow: LoadedFlow, *, read_source_file: bool = True) -> None:
    """Refuse an incremental flow whose source cannot take a window: a file of records (each window would
    read the whole file again) or a manual source (only a template's date parameters carry the window).

    A source given as a file path is read only with ``read_source_file``.
    """
    config = flow.config
    if config.incremental is None:
        return
    if isinstance(config.source, FileSource):
        raise ConfigError("flow.incremental", "needs a template source (its date parameters carry the window), "
                          "not a file source: every window would read the whole file again",
                          fix="remove incremental (each run then reads the whole file once), or use a template "
                              "source such as list_call_records")
    if isinstance(config.source, str) and not read_source_file:
        return
    raw, _, _ = _source_mapping(flow, config.source)
    if "template" not in raw:
        raise ConfigError("flow.incremental", "needs a template source (its date parameters carry the window)",
                          fix="use a template source such as list_call_records, or remove incremental")


def check_destinations(flow: LoadedFlow, home: Path | None) -> None:
    """Check every destination of ``flow`` without sending anything: table destinations' configuration,
    API destinations' files (found, valid, credential resolved). Errors name ``flow.destinations.N``."""
    for index, destination in enumerate(flow.config.destinations):
        where = f"flow.destinations.{index}"
        if isinstance(destination, DataDestination):
            parse_sink_config({"type": destination.type, **destination.options}, root=where)
        elif isinstance(destination, ApiDestination):
            if isinstance(destination.destination, str):
                path = _beside_flow(flow, destination.destination)
                if not path.is_file():
                    raise ConfigError(f"{where}.destination", f"names no file ({path} does not exist)",
                                      fix="check the path: a relative one starts at the flow file's folder")
            api_destination(flow, destination, home)


def windows(incremental: Incremental, mark: datetime | None, now: datetime) -> list[Window]:
    """The windows still to fetch: from the mark (or the configured start) up to ``now - lag``."""
    end_of_data = now - incremental.lag
    start = mark or incremental.start
    found: list[Window] = []
    while start < end_of_data:
        end = min(start + incremental.window, end_of_data)
        found.append(Window(start, end))
        start = end
    return found


async def run_flow(
    flow: LoadedFlow, *, store: MetadataStore, nexsets: NexsetStore, home: Path | None = None,
    now: datetime | None = None, on_progress: ProgressCallback | None = None,
) -> RunRecord:
    """Run ``flow`` once and return its finished run record.

    The status is ``succeeded``; ``partial`` when the service asked to wait longer than the retry
    policy allows (what was fetched and delivered is kept, and the next run continues from there); or
    ``failed`` (recorded, then the error is raised). A flow whose source or destinations are
    misconfigured raises :class:`ConfigError` before any run is recorded; one with another live run
    raises :class:`~trunkline.store.run_lock.FlowBusyError` at once, also without recording a run.
    """
    config = flow.config
    check_incremental_source(flow)
    check_destinations(flow, home)
    store.register_flow(config.name, str(flow.path or ""), config.schedule)
    with store.run_lock(config.name):
        store.mark_interrupted(config.name)  # no other process runs the flow: a running run is a dead one
        run = store.start_run(config.name)
        return await _run_locked(flow, run, store=store, nexsets=nexsets, home=home, now=now or datetime.now(UTC),
                                 on_progress=on_progress)


async def _run_locked(flow: LoadedFlow, run: RunRecord, *, store: MetadataStore, nexsets: NexsetStore,
                      home: Path | None, now: datetime, on_progress: ProgressCallback | None) -> RunRecord:
    """Fetch and deliver as the run ``run``, the flow's run lock held; finish the run record."""
    counts: dict[str, Any] = {"fetched": 0, "windows": 0, "destinations": {}}
    backlog = RunBacklog(store, flow.name)
    try:
        backlog.drop_undeliverable()  # runs that died before committing a record: this run reads them again
        pending = backlog.add(run.id)
        backlog.save()
        await _fetch(flow, pending, backlog, store=store, nexsets=nexsets, home=home, now=now, counts=counts,
                     on_progress=on_progress)
        store.update_run(run.id, counts)
        for waiting in list(backlog.runs):
            await _deliver_run(flow, waiting, backlog, run.id, nexsets=nexsets, home=home, now=now, counts=counts,
                               on_progress=on_progress)
            backlog.remove(waiting)
            backlog.save()
    except RetryLaterError as error:  # the service asks for a pause: keep what is done, resume next run
        _forget_if_nothing_committed(backlog)
        return store.finish_run(run.id, "partial", counts, error=f"{error} — the next run resumes from here")
    except Exception as error:  # the run is recorded as failed with its reason, then the error goes on up
        _forget_if_nothing_committed(backlog)
        store.finish_run(run.id, "failed", counts, error=str(error))
        raise
    problems = sum(step.get("dead", 0) + step.get("failed", 0) for step in counts["destinations"].values())
    return store.finish_run(run.id, "succeeded", counts,
                            error=f"{problems} record(s) not delivered: see trunkline deadletters list" if problems
                            else None)


def _forget_if_nothing_committed(backlog: RunBacklog) -> None:
    """After an error, drop a run that committed no record from the backlog (the next run would do it too)."""
    if backlog.drop_undeliverable():
        with suppress(Exception):  # the run's own error matters more; the next run drops it anyway
            backlog.save()


async def _fetch(flow: LoadedFlow, pending: PendingRun, backlog: RunBacklog, *, store: MetadataStore,
                 nexsets: NexsetStore, home: Path | None, now: datetime, counts: dict[str, Any],
                 on_progress: ProgressCallback | None) -> None:
    """Append the source's records to the nexset, committing them to the run's backlog entry: all at the end
    of a whole read, or window by window (with the high-water mark, in one write) for an incremental flow."""
    config = flow.config
    if config.incremental is None:
        appended = nexsets.append(config.nexset_name, _transformed(flow, _source_records(flow, home, now, None)),
                                  run_id=pending.run, source=config.name)
        counts["fetched"] += appended.records
        _note_drift(counts, appended)
        pending.records, pending.complete = appended.records, True
        backlog.save()
        return
    mark_text = store.get_state(config.name, HIGH_WATER_MARK)
    mark = datetime.fromisoformat(mark_text) if mark_text else None
    cursor = NewestValue(config.incremental.cursor) if config.incremental.cursor else None
    for window in windows(config.incremental, mark, now):
        records = _transformed(flow, _source_records(flow, home, now, window))
        appended = nexsets.append(config.nexset_name, cursor.watch(records) if cursor else records,
                                  run_id=pending.run, source=config.name)
        counts["fetched"] += appended.records
        counts["windows"] += 1
        _note_drift(counts, appended)
        pending.records = (pending.records or 0) + appended.records
        backlog.save(also={HIGH_WATER_MARK: window.end.isoformat()})
        if on_progress is not None:
            on_progress("fetch", {"window": f"{window.start:%Y-%m-%d %H:%M} → {window.end:%Y-%m-%d %H:%M}",
                                  "records": counts["fetched"]})
    pending.complete = True
    backlog.save()
    if cursor is not None:
        counts["cursor"] = cursor.report(counts["fetched"])


def _note_drift(counts: dict[str, Any], appended: Any) -> None:
    report = getattr(appended, "schema_changes", None)
    if report:
        counts.setdefault("schema_changes", []).append(str(report))


def _transformed(flow: LoadedFlow, records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return apply_transforms(records, flow.config.transforms)


def _source_records(flow: LoadedFlow, home: Path | None, now: datetime, window: Window | None
                    ) -> Iterator[dict[str, Any]]:
    """The source's records for one window (or all), as a synchronous stream."""
    source = flow.config.source
    if isinstance(source, FileSource):
        yield from read_records(_beside_flow(flow, source.path), source.format)
        return
    raw, name, base_dir = _source_mapping(flow, source)
    if window is not None:  # check_incremental_source made sure the source is a template's
        incremental = flow.config.incremental
        assert incremental is not None
        params = dict(raw.get("params") or {})
        params[incremental.start_param] = window.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        params[incremental.end_param] = window.end.strftime("%Y-%m-%dT%H:%M:%SZ")
        raw = {**raw, "params": params}
    resolved = resolve_source(raw, name=name, home=home, base_dir=base_dir)
    yield from _drain(resolved, home, now, retry_policy(flow))


def _source_mapping(flow: LoadedFlow, source: str | dict[str, Any]) -> tuple[dict[str, Any], str, Path]:
    if isinstance(source, dict):
        return dict(source), f"{flow.name}-source", flow.base_dir
    path = _beside_flow(flow, source)
    return dict(load_yaml_file(path, root="source")), path.stem, path.parent


def _beside_flow(flow: LoadedFlow, name: str) -> Path:
    """A path from the flow file: absolute as it is, relative from the flow file's folder."""
    path = Path(name)
    return path if path.is_absolute() else flow.base_dir / path


def retry_policy(flow: LoadedFlow) -> RetryPolicy:
    """The HTTP retry policy of a flow's requests, from its ``retry`` settings."""
    settings = flow.config.retry
    return RetryPolicy(attempts=settings.attempts, max_retry_after=settings.max_retry_after,
                       base_delay=settings.base_delay, max_delay=settings.max_delay, timeout=settings.timeout)


def _drain(resolved: Any, home: Path | None, now: datetime, retry: RetryPolicy) -> Iterator[dict[str, Any]]:
    """The async source's records as a synchronous stream (the nexset writer pulls them).

    The source runs on its own event loop in a helper thread and hands over whole pages through a
    small queue, so memory stays bounded by a few pages and errors reach the reader.
    """
    pages: queue.Queue[list[dict[str, Any]] | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    async def produce() -> None:
        async with open_source(resolved, home=home, now=now, retry=retry) as source:
            async for page in source.pages():
                while not stop.is_set():
                    try:
                        pages.put(page.records, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return

    def worker() -> None:
        try:
            asyncio.run(produce())
            pages.put(None)
        except BaseException as error:  # handed to the reader, which raises it
            pages.put(error)

    thread = threading.Thread(target=worker, name=f"source-{resolved.name}", daemon=True)
    thread.start()
    try:
        while True:
            item = pages.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        thread.join(timeout=10)


async def _deliver_run(flow: LoadedFlow, pending: PendingRun, backlog: RunBacklog, current_run: str, *,
                       nexsets: NexsetStore, home: Path | None, now: datetime, counts: dict[str, Any],
                       on_progress: ProgressCallback | None) -> None:
    """Deliver one undelivered run's committed records to each destination that has not taken them yet."""
    config = flow.config
    for index, destination in enumerate(config.destinations):
        label = destination_label(destination, index)
        step = counts["destinations"].setdefault(label, {})
        if label in pending.delivered:
            continue
        records = nexsets.read(config.nexset_name, run_id=pending.run, limit=pending.records)
        if isinstance(destination, ApiDestination):
            resolved = api_destination(flow, destination, home)
            summary = await deliver_with_ledger(
                resolved, records, store=backlog.store, flow=config.name, destination=label, key=destination.key,
                max_attempts=destination.max_attempts, run_id=current_run, now=now, retry=retry_policy(flow),
                key_path=f"flow.destinations.{index}.key")
            _add(step, summary.as_dict())
        elif isinstance(destination, FileDestination):
            _add(step, write_file(destination, records, run_id=pending.run, base_dir=flow.base_dir))
        else:
            _add(step, deliver_to_table(destination, records, base_dir=flow.base_dir))
        pending.delivered.append(label)
        backlog.save()
        if on_progress is not None:
            on_progress("deliver", {"destination": label, **step})


def destination_label(destination: ApiDestination | FileDestination | DataDestination, index: int) -> str:
    """The name a destination goes by in run counts and the ledger."""
    if isinstance(destination, ApiDestination):
        if destination.name:
            return destination.name
        if isinstance(destination.destination, str):
            return Path(destination.destination).stem
        return f"api-{index + 1}"
    if isinstance(destination, FileDestination):
        return f"{destination.type}:{Path(destination.path).name}"
    return f"{destination.type}:{destination.options.get('table', index + 1)}"


def api_destination(flow: LoadedFlow, destination: ApiDestination, home: Path | None) -> Any:
    """The resolved destination of an API step (a file beside the flow, or inline)."""
    if isinstance(destination.destination, dict):
        return resolve_destination(destination.destination, name=f"{flow.name}-destination", home=home,
                                   base_dir=flow.base_dir)
    return load_destination(_beside_flow(flow, destination.destination), home=home)


def _add(step: dict[str, Any], numbers: Mapping[str, Any]) -> None:
    for name, value in numbers.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            step[name] = step.get(name, 0) + value

