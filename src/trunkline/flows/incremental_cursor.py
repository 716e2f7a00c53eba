"""The ``incremental.cursor`` of a flow: the newest value of that record field among a run's records, reported
in the run's counts (``counts.cursor``); a cursor no fetched record carries, most likely misspelt, is warned about."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from trunkline.core.moments import as_datetime

log = logging.getLogger("trunkline.flows")


class NewestValue:
    """The newest value of the ``incremental.cursor`` field among a run's records, for the run's counts; a
    cursor no fetched record carries (most likely misspelt) is warned about."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.newest: tuple[datetime, str] | None = None
        self.seen = 0

    def watch(self, records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``records`` unchanged, their cursor values noted on the way."""
        for record in records:
            value = record.get(self.field)
            if value is not None:
                self.seen += 1
                moment = as_datetime(value)
                if moment is not None and (self.newest is None or moment > self.newest[0]):
                    self.newest = (moment, str(value))
            yield record

    def report(self, fetched: int) -> dict[str, Any]:
        """What the run's counts say of the cursor."""
        if fetched and not self.seen:
            log.warning("incremental.cursor %r is in none of the %d records fetched: check its spelling",
                        self.field, fetched)
        return {"field": self.field, "newest": self.newest[1] if self.newest else None}
