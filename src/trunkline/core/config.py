"""Typed configuration models for credentials and sources.

Config is parsed once, at the edge (YAML file or Python dict), into these pydantic models; the engine
receives models, never raw dicts. Validation problems become :class:`ConfigError` naming the config
path (``source.pagination.size``), the bad value and the fix (see :func:`config_error_from`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from trunkline.core.config_keys import closest_key
from trunkline.core.errors import ConfigError

TimeUnit = Literal["minute", "hour", "day", "week", "month"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
DEFAULT_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'"


class StrictModel(BaseModel):
    """A model that refuses unknown keys, so a typo in YAML is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Credential(StrictModel):
    """How to reach one account of one service: a base URL and an authentication method.

    ``auth`` may be left out: it is inferred from the fields given (username + password → OAuth2
    password grant; access_id + access_token → Babelforce access headers; token → bearer or the
    service's token header; api_key → API-key header; headers → static headers).
    """

    service: str = "rest"
    base_url: str | None = None
    environment: str | None = None
    auth: Literal["oauth_password", "access_headers", "bearer", "api_key", "headers", "none"] | None = None
    username: str | None = None
    password: SecretStr | None = None
    client_id: str | None = None
    token_url: str | None = None
    access_id: str | None = None
    access_token: SecretStr | None = None
    token: SecretStr | None = None
    api_key: SecretStr | None = None
    api_key_header: str = "X-API-Key"
    headers: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    def resolved_auth(self) -> str:
        """The authentication method, given or inferred from the fields present.

        Half of a pair (a username without its password, an access id without its token) still names
        its method, so that the missing half is reported rather than the requests going out unsigned;
        fields of two methods are refused rather than one of them ignored.
        """
        if self.auth:
            return self.auth
        given = {
            "oauth_password": ("username", "password"),
            "access_headers": ("access_id", "access_token"),
            "bearer": ("token",),
            "api_key": ("api_key",),
            "headers": ("headers",),
        }
        methods = [method for method, names in given.items() if any(getattr(self, name) for name in names)]
        if len(methods) > 1:
            fields = " and ".join("/".join(given[method]) for method in methods)
            raise ConfigError("credential.auth", f"the credential has the fields of more than one way to sign in "
                              f"({fields})", fix=f"keep the fields of one, or choose with auth: {' or '.join(methods)}")
        return methods[0] if methods else "none"


class NoPagination(StrictModel):
    """One request, one page."""

    type: Literal["none"] = "none"


class PagePagination(StrictModel):
    """Page-number paging: ``?page=N&max=SIZE``, stopping on total pages or a short page."""

    type: Literal["page"] = "page"
    page_param: str = "page"
    size_param: str = "max"
    size: int = Field(100, ge=1, le=100_000)
    start: int = 1
    total_pages_path: str | None = None
    total_records_path: str | None = None
    max_pages: int | None = Field(None, ge=1)


class OffsetPagination(StrictModel):
    """Offset paging: ``?offset=N&limit=SIZE``, stopping on the total or a short page."""

    type: Literal["offset"] = "offset"
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(100, ge=1, le=100_000)
    start: int = 0
    total_records_path: str | None = None
    max_pages: int | None = Field(None, ge=1)


class NextUrlPagination(StrictModel):
    """The response names the next page's URL (absolute or relative) at ``next_path``."""

    type: Literal["next_url"] = "next_url"
    next_path: str = "$.next"
    max_pages: int | None = Field(None, ge=1)


class NextTokenPagination(StrictModel):
    """The response carries a cursor at ``token_path``, sent back as the ``token_param`` query parameter."""

    type: Literal["next_token"] = "next_token"
    token_path: str = "$.next_token"
    token_param: str = "next_token"
    max_pages: int | None = Field(None, ge=1)


class LinkHeaderPagination(StrictModel):
    """RFC 8288 ``Link: <…>; rel="next"`` response header."""

    type: Literal["link_header"] = "link_header"
    max_pages: int | None = Field(None, ge=1)


Pagination = Annotated[
    NoPagination | PagePagination | OffsetPagination | NextUrlPagination | NextTokenPagination
    | LinkHeaderPagination,
    Field(discriminator="type"),
]


class Lookup(StrictModel):
    """Fan a request out over the values of one column of another source or a file."""

    source: str
    column: str
    distinct: bool = True


class SourceConfig(StrictModel):
    """A source in manual form: everything the REST engine needs to fetch records.

    A template source is expanded into this form before it runs (``trunkline source show`` prints it).
    """

    credential: Credential | str | None = None
    method: HttpMethod = "GET"
    url: str
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    content_format: Literal["json", "form", "raw"] = "json"
    response_format: Literal["auto", "json", "xml"] = "auto"
    path_to_data: str | None = None
    path_to_metadata: str | None = None
    pagination: Pagination = Field(default_factory=NoPagination)
    lookup: Lookup | None = None
    date_format: str = DEFAULT_DATE_FORMAT
    time_unit: TimeUnit = "day"
    template: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("headers", mode="before")
    @classmethod
    def _headers_from_seed_string(cls, value: Any) -> Any:
        """Accept the seed's ``header1:value1,header2:value2`` string as well as a mapping."""
        if isinstance(value, str):
            return parse_header_string(value)
        return value

    @field_validator("method", mode="before")
    @classmethod
    def _method_upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _url_is_http_or_path(cls, value: str) -> str:
        """A full http(s) URL, a path for the credential's base_url, or a macro that renders to one."""
        if not value.strip().lower().startswith(("http://", "https://", "/", "{")):
            raise ValueError("must start with http:// or https://, or with / to use the credential's base_url")
        return value


def parse_header_string(text: str) -> dict[str, str]:
    """Parse the seed's ``header1:value1,header2:value2`` form into a mapping.

    Raises ``ValueError`` (so that a model's validation names the key it came from, ``source.headers``)
    when a part is not ``name:value`` — such as the second half of a value that holds a comma.
    """
    headers: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise ValueError(
                f"each header must be written name:value, and {pair!r} is not; a value that holds a comma "
                "cannot be written in the name:value,name:value form: write headers as a YAML mapping "
                "({X-List: 'a,b'})"
            )
        headers[name.strip()] = value.strip()
    return headers


_TAGGED_UNIONS = {
    "pagination": {"none", "page", "offset", "next_url", "next_token", "link_header"},
    "source": {"path", "file", "inline"},
    "destinations": {"api", "jsonl", "csv", "parquet", "duckdb", "postgres"},
}
"""The tags pydantic puts in an error's location after a tagged field (or after an item's index)."""


_DOCS = {
    "source": "docs/configuration.md",
    "credential": "docs/configuration.md",
    "destination": "docs/destinations.md",
    "flow": "docs/flows.md",
    "output": "docs/data-destinations.md",
}
"""Where each kind of file's keys are documented, by the root of the config path."""


def _is_union_tag(parts: list[str], index: int) -> bool:
    """Whether ``parts[index]`` is the tag of a tagged union (``pagination.page.size``,
    ``destinations.0.jsonl.path``) rather than a key the user wrote."""
    field = parts[index - 1] if index > 0 else None
    if field is not None and field.isdigit() and index > 1:
        field = parts[index - 2]
    return field in _TAGGED_UNIONS and parts[index] in _TAGGED_UNIONS[field]


def config_error_from(error: ValidationError, root: str) -> ConfigError:
    """Turn pydantic's first validation error into a ConfigError naming the config path and a fix."""
    first = error.errors()[0]
    parts = [str(part) for part in first["loc"] if not str(part).startswith("function-")]
    # a discriminated union puts the tag in the location (pagination.page.size): users wrote pagination.size
    parts = [part for index, part in enumerate(parts) if not _is_union_tag(parts, index)]
    location = ".".join(parts)
    path = f"{root}.{location}" if location else root
    kind = first["type"]
    value = first.get("input")
    docs = _DOCS.get(root.split(".")[0], _DOCS["source"])
    if kind == "extra_forbidden":
        meant = closest_key(error.title, [str(part) for part in first["loc"]])
        fix = f"remove it or check its spelling against {docs}"
        return ConfigError(path, "is not a known key",
                           fix=f"did you mean {meant}? Otherwise {fix}" if meant else fix)
    if kind == "missing":
        return ConfigError(path, "is required", fix=f"add {location.split('.')[-1]} to the {root} file")
    if kind == "union_tag_invalid":
        expected = first.get("ctx", {}).get("expected_tags", "")
        return ConfigError(path, "has an unknown type", value=_safe_value(value), fix=f"use one of: {expected}")
    message = first["msg"].removeprefix("Value error, ") if kind == "value_error" else _lower_first(first["msg"])
    return ConfigError(path, message, value=_safe_value(value), fix=_fix_for(kind, first, docs))


def _lower_first(message: str) -> str:
    """Pydantic's sentence with its first letter lowered (it follows a config path); the values it quotes
    keep their case (``'POST'``)."""
    return message[:1].lower() + message[1:]


def _safe_value(value: Any) -> Any:
    """Show scalars only; a whole mapping in an error message is noise and may hold secrets."""
    return value if isinstance(value, (str, int, float, bool)) and len(str(value)) < 200 else None


def _fix_for(kind: str, detail: Any, docs: str) -> str:
    ctx = detail.get("ctx", {})
    if kind == "literal_error":
        return f"use one of: {ctx.get('expected', '')}"
    if kind == "greater_than_equal":
        return f"use a value in the allowed range: {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"use a value in the allowed range: {ctx.get('le')} or less"
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return f"use a value of the right type (see {docs})"
    if kind == "value_error":
        return f"write a value as the message says ({docs} lists every key)"
    return f"see {docs}"
