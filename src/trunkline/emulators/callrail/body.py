"""Reading request bodies: JSON objects (406 for anything else, as the docs say), multipart forms for
MMS uploads, and required or typed fields with 400s that name the field."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.requests import Request

from .errors import ApiError, invalid, missing

NOT_JSON = "Request parameters must be sent as JSON (Content-Type: application/json)"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}``. 406 when it is not JSON, 400 when it is
    malformed or not an object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    if "json" not in _media_type(request):
        raise ApiError(406, NOT_JSON)
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return parsed


async def form_or_json_body(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """A JSON body, or a ``multipart/form-data`` body split into text fields and uploaded files
    (name → (content type, bytes))."""
    if _media_type(request) != "multipart/form-data":
        return await json_body(request), {}
    raw = await request.body()
    header = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + raw)
    fields: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = (part.get_content_type(), payload)
        else:
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields, files


def present(body: dict[str, Any], field: str) -> bool:
    """Whether ``field`` is given with a non-blank value."""
    value = body.get(field)
    return value is not None and not (isinstance(value, str) and not value.strip())


def require(body: dict[str, Any], *fields: str) -> None:
    """400 naming the first of ``fields`` that is absent or blank."""
    for field in fields:
        if not present(body, field):
            raise missing(field)


def text(body: dict[str, Any], field: str, required: bool = False) -> str | None:
    """The string ``field`` (None when absent and not ``required``); 400 when it is not a string."""
    if required:
        require(body, field)
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise invalid(field, "must be a string")
    return value


def flag(body: dict[str, Any], field: str) -> bool | None:
    """The boolean ``field`` (``true``/``false`` or the strings ``"true"``/``"false"``), None when absent."""
    value = body.get(field)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(field, "must be true or false")


def mapping(body: dict[str, Any], field: str, required: bool = False) -> dict[str, Any] | None:
    """The JSON object ``field``; 400 when absent (if ``required``) or not an object."""
    if required:
        require(body, field)
    value = body.get(field)
    if value is not None and not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value
