"""Python's cyclic garbage collector, set for moving records while a run moves them.

A page of 1,000 records is some 3,000 new dicts and lists. With Python's defaults (a young
collection every 700 allocations, a full one when the survivors have grown by a quarter) a run
spends much of its time in collections that find nothing: the records are acyclic and freed as soon
as they are written, and each full collection walks every object of the process, the imported
modules first (measured: a run of 98,000 records streamed by the source engine took 2.30 s with the
defaults, 1.75 s set as here; see BENCHMARKS.md). While at least one run is open,
:func:`collector_set_for_runs`:

- leaves the objects that exist when the first run starts out of collections (:func:`gc.freeze`):
  modules, classes and the caller's own data are not garbage of the run;
- collects the young generation every :data:`YOUNG_THRESHOLD` allocations instead of 700.

When the last run ends, both are restored as they were. A caller that had frozen objects itself
before the first run keeps them frozen: freezing is then left alone. (Objects a caller freezes while a
run is open are unfrozen with the run's when the last run ends.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000
"""Allocations between young collections while records move (Python's default is 700)."""

_lock = threading.Lock()
_open_runs = 0
_saved_thresholds: tuple[int, int, int] = gc.get_threshold()
_froze = False


@contextmanager
def collector_set_for_runs() -> Iterator[None]:
    """Set the collector for moving records until the last of the runs open at once has ended."""
    _begin()
    try:
        yield
    finally:
        _end()


def _begin() -> None:
    global _open_runs, _saved_thresholds, _froze
    with _lock:
        _open_runs += 1
        if _open_runs > 1:
            return
        _saved_thresholds = gc.get_threshold()
        _froze = gc.get_freeze_count() == 0
        if _froze:
            gc.freeze()
        gc.set_threshold(YOUNG_THRESHOLD, *_saved_thresholds[1:])


def _end() -> None:
    global _open_runs
    with _lock:
        _open_runs -= 1
        if _open_runs:
            return
        gc.set_threshold(*_saved_thresholds)
        if _froze:
            gc.unfreeze()
