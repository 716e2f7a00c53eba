"""Request bodies, URLs and headers of a destination, rendered from records.

Body rules (docs/destinations.md):

- ``{message.json}`` (the default) is the record itself, after excluded attributes are removed.
- A mapping or list is a template: every string in it is rendered with the record's fields as
  macros (``{uid}``, ``{record.uid}``, ``{now}``). A string that is exactly one field macro keeps the
  field's type (``rank: "{score}"`` sends a number); other strings are text.
- Any other string is a text template, rendered and sent as is.

Values put into a URL are URL-quoted, so an id with a ``/`` cannot change the path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from trunkline.core.destination_config import MESSAGE_JSON, ContentFormat
from trunkline.core.errors import ConfigError
from trunkline.rest.macros import MacroContext, render

_SINGLE_FIELD = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\}$")
CONTENT_TYPES = {"json": "application/json", "form": "application/x-www-form-urlencoded",
                 "ndjson": "application/x-ndjson"}


def record_context(record: Mapping[str, Any], now: datetime, date_format: str, time_unit: Any) -> MacroContext:
    """The macro context of one record: its fields by name and under ``record.``, and ``message.json``."""
    values = {**record, "record": record, "message": {"json": record}}
    return MacroContext(now=now, date_format=date_format, time_unit=time_unit, values=values)


def url_context(ctx: MacroContext) -> MacroContext:
    """``ctx`` with every field value URL-quoted, for rendering a URL."""
    record = ctx.values["record"]
    quoted = {key: _quoted(value) for key, value in record.items()}
    return MacroContext(now=ctx.now, date_format=ctx.date_format, time_unit=ctx.time_unit,
                        values={**quoted, "record": quoted})


def render_item(body: Any, ctx: MacroContext, *, where: str = "destination.body") -> Any:
    """The body (or batch item) one record renders to, as Python data or text."""
    if body == MESSAGE_JSON:
        return dict(ctx.values["record"])
    return _render(body, ctx, where)


def _render(value: Any, ctx: MacroContext, where: str) -> Any:
    if isinstance(value, str):
        single = _SINGLE_FIELD.match(value)
        if single and not single.group("name").startswith("now"):
            name = single.group("name")
            if name == "message.json":
                return dict(ctx.values["record"])
            found, field_value = _field(ctx.values, name)
            if found:
                return field_value
        return render(value, ctx, where=where)
    if isinstance(value, Mapping):
        return {key: _render(item, ctx, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, ctx, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def _field(values: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in values:
        return True, values[name]
    current: Any = values
    for part in name.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def encode(body: Any, content_format: ContentFormat, *, batch: bool) -> bytes:
    """The bytes sent for ``body`` in ``content_format``. Raises ConfigError when the shapes do not fit."""
    if isinstance(body, str):
        return body.encode("utf-8")
    if content_format == "json":
        return json.dumps(body, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")
    if content_format == "ndjson":
        items = body if batch and isinstance(body, list) else [body]
        return "".join(json.dumps(item, ensure_ascii=False, default=str) + "\n" for item in items).encode("utf-8")
    if not isinstance(body, Mapping):
        raise ConfigError("destination.content_format", "form sends one flat object per request",
                          value=content_format, fix="use content_format: json for batches and arrays")
    pairs = [(key, _form_value(value)) for key, value in body.items() if value is not None]
    return urlencode(pairs).encode("ascii")


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def _quoted(value: Any) -> Any:
    if isinstance(value, (Mapping, list)):
        return value
    if value is None:
        return ""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return quote(text, safe="")
