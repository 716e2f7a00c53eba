"""Typed configuration of a flow: source → transforms → nexset → destinations, with a schedule.

See docs/flows.md. Sources and API destinations are files of their own (or inline mappings); data
destinations (DuckDB, PostgreSQL, Parquet, CSV, JSONL) are written inline.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from trunkline.core.config import StrictModel

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)\s*$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str | int) -> timedelta:
    """``"1 day"``, ``"15m"``, ``"6 hours"`` or seconds as an int, as a timedelta (ValueError if not)."""
    if isinstance(text, int):
        return timedelta(seconds=text)
    match = _DURATION.match(text)
    if not match:
        raise ValueError("must be a duration such as 1 day, 6 hours, 15m or a number of seconds")
    amount, unit = int(match.group(1)), match.group(2)[0]
    return timedelta(seconds=amount * _UNIT_SECONDS[unit])


class FileSource(StrictModel):
    """Records from a file: CSV, JSONL, JSON or Parquet (a CRM export pushed into an API is a flow too).

    ``format`` (jsonl, ndjson, json, csv or parquet) defaults to the one the path's suffix names; a
    relative path starts at the flow file's folder.
    """

    type: Literal["file"]
    path: str
    format: str | None = None


class Incremental(StrictModel):
    """Fetch in windows that follow each other with no gap and no overlap, from run to run.

    The flow keeps the end of the last window it completed (the high-water mark). The next run fetches
    ``[mark, mark + window)``, … up to now, passing each window's bounds to the source as the template
    parameters ``start_param`` and ``end_param`` (or as ``{window.start}``/``{window.end}`` macros in a
    manual source). A first run starts at ``start``. ``cursor`` names the record field that carries the
    time (reported per run as the newest value seen).
    """

    cursor: str | None = None
    start: datetime
    window: timedelta = timedelta(days=1)
    start_param: str = "start_date"
    end_param: str = "end_date"
    lag: timedelta = timedelta(0)

    @field_validator("window", "lag", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, (str, int)) else value

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _positive_window(self) -> Incremental:
        if self.window <= timedelta(0):
            raise ValueError("window must be longer than zero")
        return self


class Rename(StrictModel):
    """Rename fields: ``{rename: {old: new}}``."""

    rename: dict[str, str]


class Exclude(StrictModel):
    """Drop fields: ``{exclude: [a, b]}``."""

    exclude: list[str]


class Filter(StrictModel):
    """Keep records where ``field op value`` holds: ``{filter: {field: state, op: eq, value: completed}}``."""

    class Condition(StrictModel):
        field: str
        op: Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "exists", "missing", "contains"] = "eq"
        value: Any = None

    filter: Condition


class Compute(StrictModel):
    """Add fields from templates over the record's fields: ``{compute: {full_name: "{first} {last}"}}``.

    A template that is exactly one ``{field}`` copies the value with its type.
    """

    compute: dict[str, Any]


Transform = Rename | Exclude | Filter | Compute


def _source_kind(value: Any) -> str:
    """Which form a flow's ``source`` takes: a source file's path, a file of records, or an inline source."""
    if isinstance(value, FileSource) or (isinstance(value, dict) and value.get("type") == "file"):
        return "file"
    return "inline" if isinstance(value, dict) else "path"


SourceRef = Annotated[
    Annotated[str, Tag("path")] | Annotated[FileSource, Tag("file")] | Annotated[dict[str, Any], Tag("inline")],
    Discriminator(_source_kind),
]
"""A flow's source: the path of a source file, an inline source mapping, or ``{type: file, path: …}``."""


class FileDestination(StrictModel):
    """Write the run's records to a file (one file per run, named with the run id)."""

    type: Literal["jsonl", "csv", "parquet"]
    path: str


class ApiDestination(StrictModel):
    """Send records through a destination file (or inline destination) with the delivery ledger.

    ``key`` names the field that identifies a record across runs (its ledger key); without it the
    record's content hash is its key. ``max_attempts`` failed sends make a record a dead letter.
    """

    type: Literal["api"] = "api"
    destination: str | dict[str, Any]
    key: str | list[str] | None = None
    max_attempts: int = Field(default=3, ge=1, le=100)
    name: str | None = None


class DataDestination(StrictModel):
    """A table destination (DuckDB or PostgreSQL); its keys are checked by the sink itself."""

    type: Literal["duckdb", "postgres"]
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_options(cls, value: Any) -> Any:
        """Everything but ``type`` is the sink's configuration."""
        if isinstance(value, dict) and "options" not in value:
            return {"type": value.get("type"), "options": {k: v for k, v in value.items() if k != "type"}}
        return value


Destination = Annotated[ApiDestination | FileDestination | DataDestination, Field(discriminator="type")]


class RetrySettings(StrictModel):
    """How hard the flow's HTTP requests try: attempts per request, the longest ``Retry-After`` worth
    waiting (a longer one ends the run as ``partial``; the next run resumes), the backoff between
    attempts (seconds, doubling from ``base_delay`` up to ``max_delay``, with jitter) and how long one
    attempt may wait for the service (``timeout`` seconds)."""

    attempts: int = Field(default=5, ge=1, le=20)
    max_retry_after: float = Field(default=120.0, ge=0)
    base_delay: float = Field(default=0.5, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    timeout: float = Field(default=30.0, gt=0)


class FlowConfig(StrictModel):
    """A flow file."""

    name: str
    source: SourceRef
    transforms: list[Transform] = Field(default_factory=list)
    nexset: str | None = None
    incremental: Incremental | None = None
    destinations: list[Destination] = Field(default_factory=list)
    schedule: str | None = None
    retry: RetrySettings = Field(default_factory=RetrySettings)

    @field_validator("name", "nexset")
    @classmethod
    def _safe_name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise ValueError("must be letters, digits, - and _ (at most 100), starting with a letter or digit")
        return value

    @field_validator("destinations", mode="before")
    @classmethod
    def _path_means_api(cls, value: Any) -> Any:
        """A bare string in ``destinations`` is an API destination file."""
        if isinstance(value, list):
            return [{"type": "api", "destination": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not croniter.is_valid(value):
            raise ValueError("is not a cron expression (five fields: minute hour day month weekday, "
                             "or six with seconds last)")
        return value

    @property
    def nexset_name(self) -> str:
        """The nexset this flow's source runs append to (the flow's name unless set)."""
        return self.nexset or self.name
