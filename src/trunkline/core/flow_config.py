"""Typed configuration of a flow: source → transforms → nexset → destinations, with a schedule.

See docs/flows.md. Sources and API destinations are files of their own (or inline mappings); data
destinations (DuckDB, PostgreSQL, Parquet, CSV, JSONL) are written inline.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import BeforeValidator, Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from trunkline.core.config import StrictModel

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)\s*$"
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
MIN_WINDOW = timedelta(minutes=1)
"""The shortest incremental window: each window is at least one request, and window bounds are passed
to sources in whole seconds."""


def parse_duration(text: str | int | float) -> timedelta:
    """``"1 day"``, ``"15m"``, ``"6 hours"`` or a whole number of seconds, as a timedelta (ValueError if not).

    A fraction of a second (``0.5``) is refused: window bounds reach sources in whole seconds.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError("must be a duration such as 1 day, 6 hours, 15m or a whole number of seconds")
    if isinstance(text, float):
        if not text.is_integer():
            raise ValueError("must be a whole number of seconds (or a duration such as 15m, 6 hours, 1 day)")
        text = int(text)
    if isinstance(text, int):
        return timedelta(seconds=text)
    match = _DURATION.match(text)
    if not match:
        raise ValueError("must be a duration such as 1 day, 6 hours, 15m or a whole number of seconds")
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
    parameters ``start_param`` and ``end_param`` (so the source must be a template's). A first run starts
    at ``start``. ``cursor`` names the record field that carries the time: each run reports the newest
    value seen (``counts.cursor``) and warns when no record carries the field.
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
        return value if isinstance(value, timedelta) else parse_duration(value)

    @field_validator("window")
    @classmethod
    def _long_enough(cls, value: timedelta) -> timedelta:
        """At least :data:`MIN_WINDOW`, in whole seconds: each window costs a request (or a paged fetch)."""
        if value < MIN_WINDOW:
            raise ValueError("must be at least 1 minute (write 15m, 6 hours, 1 day, or 60 seconds or more): "
                             "each window is a fetch of its own")
        if value % timedelta(seconds=1):
            raise ValueError("must be a whole number of seconds")
        return value

    @field_validator("lag")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0) or value % timedelta(seconds=1):
            raise ValueError("must be zero or more whole seconds")
        return value

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Rename(StrictModel):
    """Rename fields: ``{rename: {old: new}}``.

    Two fields renamed to one name are refused here; a record that already has a field named like a
    rename's target (one not renamed away by the same transform) stops the run (docs/flows.md).
    """

    rename: dict[str, str]

    @field_validator("rename")
    @classmethod
    def _one_source_per_target(cls, value: dict[str, str]) -> dict[str, str]:
        sources: dict[str, str] = {}
        for old, new in value.items():
            if new in sources:
                raise ValueError(f"renames both {sources[new]!r} and {old!r} to {new!r}: one would overwrite "
                                 "the other")
            sources[new] = old
        return value


class Exclude(StrictModel):
    """Drop fields: ``{exclude: [a, b]}``."""

    exclude: list[str]


FilterOp = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "exists", "missing", "contains"]
ORDER_OPS = ("gt", "ge", "lt", "le")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_filter_value(op: str, value: Any) -> Any:
    """The value a filter's ``op`` takes: a list for in/not_in, a number, text or date for an ordering,
    text or a number for contains, none for exists/missing (ValueError naming what to write)."""
    if op in ("in", "not_in") and not isinstance(value, list):
        raise ValueError(f"{op} needs a list of values, such as [a, b] (or use eq/ne for one value)")
    if op in ORDER_OPS and not (_is_number(value) or isinstance(value, (str, date))):
        raise ValueError(f"{op} needs a number, a text or a date-time to compare with")
    if op == "contains" and not (_is_number(value) or isinstance(value, str)):
        raise ValueError("contains needs a text (or a number) to look for")
    if op in ("exists", "missing") and value is not None:
        raise ValueError(f"{op} takes no value: remove value")
    return value


class Filter(StrictModel):
    """Keep records where ``field op value`` holds: ``{filter: {field: state, op: eq, value: completed}}``.

    How values of different types compare is in docs/flows.md (Transforms); ``value`` is checked
    against ``op`` here.
    """

    class Condition(StrictModel):
        field: str
        op: FilterOp = "eq"
        value: Any = None

        @field_validator("value")
        @classmethod
        def _value_fits_op(cls, value: Any, info: ValidationInfo) -> Any:
            op = info.data.get("op")
            return value if op is None else _check_filter_value(op, value)

    filter: Condition


class Compute(StrictModel):
    """Add fields from templates over the record's fields: ``{compute: {full_name: "{first} {last}"}}``.

    A template that is exactly one ``{field}`` copies the value with its type.
    """

    compute: dict[str, Any]


_TRANSFORMS: dict[str, type[StrictModel]] = {"rename": Rename, "exclude": Exclude, "filter": Filter,
                                             "compute": Compute}


def _one_known_transform(value: Any) -> Any:
    """Validate a transform by its one key, so that an error is about that transform (an unknown key is
    named as such, with the transforms there are)."""
    if isinstance(value, (Rename, Exclude, Filter, Compute)):
        return value
    known = ", ".join(_TRANSFORMS)
    if not isinstance(value, dict) or len(value) != 1:
        keys = f" (it has the keys {', '.join(map(str, value)) or 'none'})" if isinstance(value, dict) else ""
        raise ValueError(f"a transform is a mapping with one key, one of {known}{keys}; "
                         "write each transform as its own list item")
    name = next(iter(value))
    if name not in _TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}: use one of {known}")
    return _TRANSFORMS[name].model_validate(value)


Transform = Annotated[Rename | Exclude | Filter | Compute, BeforeValidator(_one_known_transform)]
"""One transform: ``{rename: …}``, ``{exclude: …}``, ``{filter: …}`` or ``{compute: …}``."""


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
