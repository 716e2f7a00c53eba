"""Typed configuration of a REST destination (the manual form every destination template expands to).

A destination turns records into HTTP requests: exclude attributes, validate, group into batches,
render URL and body from the record(s), send, capture the response. See docs/destinations.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from trunkline.core.config import (
    DEFAULT_DATE_FORMAT,
    Credential,
    HttpMethod,
    StrictModel,
    TimeUnit,
    parse_header_string,
)

WriteMethod = Literal["POST", "PUT", "PATCH", "DELETE"]
ContentFormat = Literal["json", "form", "ndjson"]
MESSAGE_JSON = "{message.json}"
#: The most requests one destination run may have in flight at once (``concurrency``).
MAX_CONCURRENCY = 32
#: The HTTP methods trunkline sends, so the ones a rate limit's ``methods`` may name.
RATE_LIMIT_METHODS: tuple[str, ...] = get_args(HttpMethod)


class JsonArrayGrouping(StrictModel):
    """A batch is sent as a JSON array of the rendered records."""

    type: Literal["json_array"] = "json_array"


class PropertyGrouping(StrictModel):
    """A batch is sent as ``{property_name: [records…], **other_props}``."""

    type: Literal["property"]
    property_name: str = Field(min_length=1)
    other_props: dict[str, Any] = Field(default_factory=dict)


class CodeGrouping(StrictModel):
    """A batch is turned into a request body by ``function(records)`` in a Python file the user names.

    The function runs in a separate Python process with an empty environment: it sees the records,
    never the credential.
    """

    type: Literal["code"]
    file: str
    function: str = "group"
    timeout_seconds: float = Field(default=10.0, gt=0, le=600)


Grouping = Annotated[JsonArrayGrouping | PropertyGrouping | CodeGrouping, Field(discriminator="type")]


class BatchConfig(StrictModel):
    """Send up to ``size`` records per request, grouped into one body by ``group``."""

    size: int = Field(default=100, ge=1, le=10_000)
    group: Grouping = Field(default_factory=JsonArrayGrouping)

    @field_validator("group", mode="before")
    @classmethod
    def _group_by_name(cls, value: Any) -> Any:
        """Accept ``group: json_array`` as well as ``group: {type: json_array}``."""
        return {"type": value} if isinstance(value, str) else value


class RecordRules(StrictModel):
    """Checks a record must pass before it is sent; a record that fails is kept with the reason.

    ``required``: fields that must be present and not empty. ``integer``: fields that must be whole
    numbers. ``phone``: fields that must be phone numbers, normalised to E.164 (national numbers need
    the destination's ``default_region``).
    """

    required: list[str] = Field(default_factory=list)
    integer: list[str] = Field(default_factory=list)
    phone: list[str] = Field(default_factory=list)


class RateLimit(StrictModel):
    """At most ``requests`` requests per ``per_seconds`` seconds, counted client-side.

    ``methods`` limits it to some HTTP methods (GET, POST, PUT, PATCH, DELETE, in any case; kept
    upper-cased) and ``path_contains`` to URLs containing a text (for the SMS or outbound-call limits of
    one endpoint); without them it counts every request.
    """

    name: str
    requests: int = Field(ge=1)
    per_seconds: float = Field(gt=0)
    methods: list[str] = Field(default_factory=list)
    path_contains: str | None = None

    @field_validator("methods", mode="before")
    @classmethod
    def _methods_are_http_methods(cls, value: Any) -> Any:
        """Upper-case each method and refuse anything else than :data:`RATE_LIMIT_METHODS`: a misspelt
        method (``POTS``) would make a limit that never applies. One method may be written without a list."""
        allowed = ", ".join(RATE_LIMIT_METHODS)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError(f"must be a list of HTTP methods, from: {allowed}")
        methods = []
        for method in value:
            name = method.strip().upper() if isinstance(method, str) else None
            if name not in RATE_LIMIT_METHODS:
                raise ValueError(f"{method!r} is not an HTTP method trunkline sends: use {allowed} (any case)")
            methods.append(name)
        return methods


class DestinationConfig(StrictModel):
    """A destination in manual form: everything the REST destination engine needs."""

    credential: Credential | str | None = None
    method: WriteMethod = "POST"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    content_format: ContentFormat = "json"
    body: Any = MESSAGE_JSON
    exclude: list[str] = Field(default_factory=list)
    batch: BatchConfig | None = None
    capture_responses: str | None = None
    capture_headers: list[str] = Field(default_factory=lambda: ["Location", "Content-Type"])
    validate_records: RecordRules = Field(default_factory=RecordRules, alias="validate")
    default_region: str | None = None
    rate_limits: list[RateLimit] = Field(default_factory=list)
    retry_non_idempotent: bool = False
    concurrency: int = Field(default=1, ge=1, le=MAX_CONCURRENCY)
    mode: Literal["create", "upsert"] = "create"
    date_format: str = DEFAULT_DATE_FORMAT
    time_unit: TimeUnit = "day"
    template: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("headers", mode="before")
    @classmethod
    def _headers_from_seed_string(cls, value: Any) -> Any:
        """Accept the seed's ``header1:value1,header2:value2`` string as well as a mapping."""
        return parse_header_string(value) if isinstance(value, str) else value

    @field_validator("method", mode="before")
    @classmethod
    def _method_upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("batch", mode="before")
    @classmethod
    def _batch_shorthand(cls, value: Any) -> Any:
        """``batch: true`` means the defaults (100 records, JSON array); ``batch: 50`` sets the size."""
        if value is True:
            return {}
        if value is False:
            return None
        if isinstance(value, int):
            return {"size": value}
        return value

    @field_validator("concurrency", mode="before")
    @classmethod
    def _concurrency_is_a_number(cls, value: Any) -> Any:
        """Only a whole number: ``concurrency: yes`` would silently mean 1, ``1.5`` or ``"4"`` are guesses."""
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"must be a whole number of requests in flight, from 1 to {MAX_CONCURRENCY}")
        return value

    @field_validator("default_region")
    @classmethod
    def _region_upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @model_validator(mode="after")
    def _ndjson_needs_a_batch_friendly_body(self) -> DestinationConfig:
        if self.content_format == "ndjson" and self.batch is not None and self.batch.group.type != "json_array":
            raise ValueError("content_format ndjson sends one JSON line per record: use batch.group json_array")
        return self
