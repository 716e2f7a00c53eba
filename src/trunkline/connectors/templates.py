"""Endpoint templates: the YAML model, the loader, and expansion into a manual source configuration.

A template is a named, pre-filled REST configuration for one endpoint with declared parameters. Expanding
it with the user's parameter values gives the manual-form fields of a :class:`SourceConfig`; from there
on, one engine serves template and manual sources alike. This module knows no service: the YAML files
of each connector are found by :mod:`trunkline.connectors.registry`.

Placeholders ``{param}`` in ``path``, ``query``, ``headers`` and ``body`` name declared parameters. Any
other brace token (``{now-1|epoch}``, ``{lookup.id}``) is a macro, left for the macro engine to render.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from trunkline.core.config import HttpMethod, NoPagination, Pagination, StrictModel
from trunkline.core.destination_config import MESSAGE_JSON, ContentFormat, RateLimit, RecordRules
from trunkline.core.errors import ConfigError
from trunkline.rest.macros import MacroContext, macro_names, render

ParamType = Literal["string", "integer", "boolean", "datetime"]
WireFormat = Literal["epoch", "epoch_ms", "iso"]

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_MACRO = re.compile(r"\{[^{}]+\}")
_DATE_MACRO = re.compile(r"^[{(]\s*now\s*(?:([+-])\s*(\d+))?\s*(?:\|([^{}()]+))?[})]$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATETIME_FIX = (
    "use an ISO-8601 date or date-time (2026-01-01 or 2026-01-01T00:00:00Z), unix seconds, "
    "or a date macro such as {now-1}"
)


class TemplateParam(StrictModel):
    """One parameter a template declares: its name, type, whether it is required and what it means.

    ``wire_format`` (datetime parameters only) is how the service expects the value on the wire:
    ``epoch`` (unix seconds), ``epoch_ms`` (unix milliseconds) or ``iso`` (ISO-8601 as given). The names
    are the macro engine's named formats, so a date macro is sent as ``{now-1|epoch}``.
    """

    name: str
    type: ParamType
    required: bool
    description: str
    default: Any = None
    wire_format: WireFormat | None = None

    @field_validator("name")
    @classmethod
    def _name_is_snake_case(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError("must be snake_case (lower-case letters, digits and underscores)")
        return value

    @model_validator(mode="after")
    def _wire_format_only_for_datetime(self) -> TemplateParam:
        if self.wire_format is not None and self.type != "datetime":
            raise ValueError(f"wire_format applies to datetime parameters only, not to {self.type}")
        return self


class Template(StrictModel):
    """A named, pre-filled REST configuration for one endpoint of one service.

    ``path`` is the real endpoint, relative to the credential's base URL. ``seed_path`` records the path
    the product spec names when it differs, and ``documented_by`` says whether a vendor source documents
    the endpoint (``vendor``) or only the product spec does (``seed-only``). ``service`` is filled in
    from the template file.
    """

    id: str
    service: str | None = None
    name: str
    description: str
    method: HttpMethod = "GET"
    path: str
    seed_path: str | None = None
    documented_by: Literal["vendor", "seed-only"]
    notes: str | None = None
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    params: list[TemplateParam] = Field(default_factory=list)
    pagination: Pagination = Field(default_factory=NoPagination)
    path_to_data: str | None = None
    path_to_metadata: str | None = None
    content_format: ContentFormat = "json"
    validate_records: RecordRules | None = Field(default=None, alias="validate")
    rate_limits: list[RateLimit] = Field(default_factory=list)
    upsert: str | None = None
    exclude: list[str] = Field(default_factory=list)
    """Record fields a destination template leaves out of the body by default (the URL still sees them)."""

    @field_validator("id")
    @classmethod
    def _id_is_snake_case(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError("must be snake_case (lower-case letters, digits and underscores)")
        return value

    @field_validator("path")
    @classmethod
    def _path_is_relative(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with / (it is relative to the credential's base URL)")
        return value

    @model_validator(mode="after")
    def _placeholders_match_params(self) -> Template:
        declared = {param.name: param for param in self.params}
        if len(declared) != len(self.params):
            raise ValueError("parameter names must be unique")
        used: set[str] = set()
        for where, text in _strings_of({"path": self.path, "query": self.query, "headers": self.headers,
                                        "body": self.body}):
            for name in _PLACEHOLDER.findall(text):
                if name == "now":
                    continue
                if name not in declared:
                    raise ValueError(f"{where} uses {{{name}}}, which is not a declared parameter")
                used.add(name)
        for name in _PLACEHOLDER.findall(self.path):
            param = declared[name]
            if not param.required and param.default is None:
                raise ValueError(f"path parameter {name} must be required or have a default")
        unused = sorted(set(declared) - used)
        if unused:
            raise ValueError(f"parameters {', '.join(unused)} are declared but never used")
        return self

    def param(self, name: str) -> TemplateParam | None:
        """The declared parameter called ``name``, or None."""
        return next((param for param in self.params if param.name == name), None)


class TemplateFile(StrictModel):
    """One YAML file of templates: all templates of one kind (source or destination) of one service."""

    service: str
    kind: Literal["source", "destination"]
    templates: list[Template]

    @model_validator(mode="after")
    def _templates_belong_to_service(self) -> TemplateFile:
        for template in self.templates:
            if template.service not in (None, self.service):
                raise ValueError(f"template {template.id} names service {template.service}, "
                                 f"not the file's {self.service}")
            template.service = self.service
        return self


def load_templates(path: Path) -> list[Template]:
    """Load and validate one template YAML file; errors name the file and the template id."""
    return load_template_file(path).templates


def load_template_file(path: Path) -> TemplateFile:
    """Load and validate one template YAML file, keeping its ``service`` and ``kind``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(str(path), f"cannot be read as YAML: {error}",
                          fix="fix the file's syntax") from None
    try:
        parsed = TemplateFile.model_validate(raw)
    except ValidationError as error:
        raise _template_error(path, raw, error) from None
    seen: set[str] = set()
    for template in parsed.templates:
        if template.id in seen:
            raise ConfigError(f"{path}: {template.id}", "is defined twice",
                              fix="give each template a unique id")
        seen.add(template.id)
    return parsed


def expand_template(
    template: Template, params: dict[str, Any], base_url: str, *, where: str = "source"
) -> dict[str, Any]:
    """Expand a template with parameter values into the manual-form fields of a ``SourceConfig``.

    Returns ``method``, ``url``, ``query``, ``headers``, ``body``, ``pagination`` (a dict),
    ``path_to_data`` and ``path_to_metadata``. Parameters are checked against the template's
    declarations (unknown, missing, wrong type → :class:`ConfigError` at ``{where}.params.<name>``).
    """
    values = _resolve_params(template, params, where)
    path = _PLACEHOLDER.sub(lambda match: _render_path_value(match, values), template.path)
    return {
        "method": template.method,
        "url": base_url.rstrip("/") + path,
        "query": _render_mapping(template.query, values),
        "headers": _render_mapping(template.headers, values),
        "body": _render_body(template.body, values),
        "pagination": template.pagination.model_dump(),
        "path_to_data": template.path_to_data,
        "path_to_metadata": template.path_to_metadata,
    }


def expand_destination_template(
    template: Template, params: dict[str, Any], base_url: str, *, where: str = "destination"
) -> dict[str, Any]:
    """Expand a destination template with parameter values into the manual fields of a destination.

    Path parameters left at a record-field default (``id: "{id}"``) stay macros, rendered per record.
    """
    values = _resolve_params(template, params, where)
    path = _PLACEHOLDER.sub(lambda match: _render_path_value(match, values), template.path)
    expanded: dict[str, Any] = {
        "method": template.method,
        "url": base_url.rstrip("/") + path,
        "headers": _render_mapping(template.headers, values),
        "body": MESSAGE_JSON if template.body is None else _render_body(template.body, values),
        "content_format": template.content_format,
        "rate_limits": [limit.model_dump() for limit in template.rate_limits],
    }
    if template.validate_records is not None:
        expanded["validate"] = template.validate_records.model_dump()
    if template.exclude:
        expanded["exclude"] = list(template.exclude)
    return expanded


def _resolve_params(template: Template, params: dict[str, Any], where: str) -> dict[str, str]:
    """Check the given values against the declarations; return each present parameter as wire text."""
    for name in params:
        if template.param(name) is None:
            known = ", ".join(param.name for param in template.params) or "(none: this template takes none)"
            raise ConfigError(f"{where}.params.{name}", f"is not a parameter of template {template.id}",
                              fix=f"use one of: {known}")
    missing = [param for param in template.params
               if param.required and params.get(param.name, param.default) in (None, "")]
    if missing:
        rest = [param.name for param in missing[1:]]
        others = f" (so {'is' if len(rest) == 1 else 'are'} {', '.join(rest)})" if rest else ""
        raise ConfigError(f"{where}.params.{missing[0].name}", f"is required by template {template.id}{others}",
                          fix="; ".join(f"set {param.name}: {param.description}" for param in missing))
    resolved: dict[str, str] = {}
    for param in template.params:
        value = params.get(param.name, param.default)
        if value is None or value == "":
            continue
        resolved[param.name] = _wire_value(param, value, f"{where}.params.{param.name}")
    return resolved


def check_template_keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    """Refuse a key that a ``where`` (source or destination) file written with ``template`` may not set
    next to ``template`` + ``params`` (it would otherwise be dropped by the expansion without a word)."""
    unknown = sorted(set(raw) - allowed - {"template", "params"})
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], [*allowed, "params"], n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise ConfigError(
        f"{where}.{unknown[0]}", f"cannot be set on a template {where}",
        fix=f"{hint}A template {where} may set params and {', '.join(sorted(allowed))}; for anything else, "
            f"write the {where} in manual form (trunkline {where} show prints the template's)",
    )


def _wire_value(param: TemplateParam, value: Any, path: str) -> str:
    """One parameter value as the text sent on the wire (macros are kept for the macro engine)."""
    if param.type == "datetime":
        return _datetime_value(param, value, path)
    if isinstance(value, str) and _MACRO.search(value):
        return value
    if param.type == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower()
        raise ConfigError(path, "must be true or false", value=_shown(value), fix="write true or false")
    if param.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return str(int(value))
        raise ConfigError(path, "must be a whole number", value=_shown(value),
                          fix="write a whole number such as 42")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(path, "must be text", value=_shown(value),
                      fix=f"write {param.name} as a string (quote it in YAML)")


def _datetime_value(param: TemplateParam, value: Any, path: str) -> str:
    """A datetime value in the parameter's wire format; a date macro gets the wire format appended."""
    wire_format = param.wire_format
    if isinstance(value, str):
        text = value.strip()
        macro = _DATE_MACRO.match(text)
        if macro and text[0] + text[-1] in {"{}", "()"}:
            if wire_format is None:
                return value
            sign, amount, given_format = macro.groups()
            offset = f"{sign}{amount}" if sign else ""
            return "{now" + offset + "|" + (given_format or wire_format) + "}"
        if _MACRO.search(text):
            _check_date_macros(text, path)
            return value
        if _INTEGER.match(text):
            return _from_epoch(int(text), wire_format)
        moment = _parse_iso(text)
        if moment is None:
            raise ConfigError(path, "is not a date or date-time", value=value, fix=_DATETIME_FIX)
        return text if wire_format in {None, "iso"} else _format_moment(moment, wire_format)
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_epoch(value, wire_format)
    if isinstance(value, date):
        return _format_moment(_as_utc(value), wire_format)
    raise ConfigError(path, "is not a date or date-time", value=_shown(value), fix=_DATETIME_FIX)


def _check_date_macros(text: str, path: str) -> None:
    """Render the date macros of a parameter's value now, so that a mistyped one (``{now-1d}``) is reported
    at the parameter the user wrote rather than at the query or URL key the template puts it in."""
    for name in macro_names(text):
        if name.startswith("now"):
            render("{" + name + "}", MacroContext(now=datetime.now(UTC)), where=path)


def _parse_iso(text: str) -> datetime | None:
    """An ISO-8601 date or date-time as an aware UTC datetime (naive values are taken as UTC), or None."""
    try:
        return _as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _as_utc(value: date) -> datetime:
    """A date or datetime as an aware datetime in UTC; dates mean midnight UTC."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _format_moment(moment: datetime, wire_format: WireFormat | None) -> str:
    """An aware datetime in the wire format (no format: ISO-8601 UTC)."""
    if wire_format == "epoch":
        return str(int(moment.timestamp()))
    if wire_format == "epoch_ms":
        return str(int(moment.timestamp()) * 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_epoch(seconds: int, wire_format: WireFormat | None) -> str:
    """Unix seconds in the wire format: passed through for ``epoch`` and for no format."""
    if wire_format in {None, "epoch"}:
        return str(seconds)
    return _format_moment(datetime.fromtimestamp(seconds, UTC), wire_format)


def _shown(value: Any) -> Any:
    """A value safe and short enough to show in an error message, or None."""
    return value if isinstance(value, (str, int, float, bool)) and len(str(value)) < 200 else None


def _render_path_value(match: re.Match[str], values: dict[str, str]) -> str:
    """A path parameter value, URL-quoted except for any macros inside it."""
    value = values[match.group(1)]
    pieces: list[str] = []
    position = 0
    for macro in _MACRO.finditer(value):
        pieces.append(quote(value[position:macro.start()], safe=""))
        pieces.append(macro.group(0))
        position = macro.end()
    pieces.append(quote(value[position:], safe=""))
    return "".join(pieces)


def _render_text(text: str, values: dict[str, str]) -> str | None:
    """``text`` with parameter placeholders filled in; None when it names an absent parameter."""
    names = [name for name in _PLACEHOLDER.findall(text) if name != "now"]
    if any(name not in values for name in names):
        return None
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _render_mapping(mapping: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """A query or header mapping with placeholders filled in; keys naming an absent parameter are dropped."""
    rendered: dict[str, Any] = {}
    for key, raw in mapping.items():
        if isinstance(raw, str):
            text = _render_text(raw, values)
            if text is not None:
                rendered[key] = text
        elif isinstance(raw, bool):
            rendered[key] = "true" if raw else "false"
        else:
            rendered[key] = raw
    return rendered


def _render_body(body: Any, values: dict[str, str]) -> Any:
    """A request body with placeholders filled in; object keys naming an absent parameter are dropped."""
    if isinstance(body, str):
        return _render_text(body, values)
    if isinstance(body, dict):
        rendered = {key: _render_body(item, values) for key, item in body.items()}
        return {key: item for key, item in rendered.items() if item is not None or body[key] is None}
    if isinstance(body, list):
        return [_render_body(item, values) for item in body]
    return body


def _strings_of(value: Any, where: str = "") -> list[tuple[str, str]]:
    """Every string inside a nested structure, with where it sits (``query.agentId``)."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in _strings_of(item, f"{where}.{key}" if where else str(key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings_of(item, f"{where}[{index}]")]
    return []


def _template_error(path: Path, raw: Any, error: ValidationError) -> ConfigError:
    """Turn pydantic's first error about a template file into a ConfigError naming the file and template."""
    first = error.errors()[0]
    loc = [part for part in first["loc"] if not str(part).startswith("function-")]
    where = str(path)
    if len(loc) >= 2 and loc[0] == "templates" and isinstance(loc[1], int):
        entry = raw["templates"][loc[1]]
        template_id = entry.get("id") if isinstance(entry, dict) else None
        where = f"{path}: {template_id or f'template #{loc[1] + 1}'}"
        loc = loc[2:]
    location = ".".join(str(part) for part in loc)
    config_path = f"{where}.{location}" if location else where
    kind = first["type"]
    message = first["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return ConfigError(config_path, "is not a known key", fix="remove it or check its spelling")
    if kind == "missing":
        return ConfigError(config_path, "is required", fix=f"add {location.split('.')[-1] or 'it'}")
    if kind in {"literal_error", "union_tag_invalid"}:
        ctx = first.get("ctx", {})
        expected = ctx.get("expected") or ctx.get("expected_tags", "")
        return ConfigError(config_path, message, value=_shown(first.get("input")),
                           fix=f"use one of: {expected}")
    return ConfigError(config_path, message, value=_shown(first.get("input")),
                       fix="correct the template definition")
