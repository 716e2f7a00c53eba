"""Reading and validating JSON request bodies of the write endpoints.

Every problem raises ``Invalid`` (a 400 ``VALIDATION_ERROR`` whose message starts with the field's
path, e.g. ``uid is required`` or ``conditions[1].operator must be one of …``). A JSON ``null`` counts
as absent: it fails a required field and leaves an optional one unset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from starlette.requests import Request

from .errors import VALIDATION_ERROR, ApiError

Entity = dict[str, Any]

PHONE = re.compile(r"^\+?[0-9]{6,15}$")
E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Invalid(ApiError):
    """A 400 naming the offending ``field`` (a path such as ``leads[3].number``) and the ``problem``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(400, f"{field} {problem}", VALIDATION_ERROR)
        self.field = field
        self.problem = problem


def shown(value: Any) -> str:
    """A short JSON rendering of a bad value for error messages."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


async def json_body(request: Request) -> Any:
    """The parsed JSON body (None when empty); a 400 if it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ApiError(400, f"the request body must be JSON: {error}", VALIDATION_ERROR) from None


async def json_object(request: Request, empty_ok: bool = False) -> Entity:
    """The JSON object body; an empty body is ``{}`` when ``empty_ok``, else a 400."""
    body = await json_body(request)
    if body is None and empty_ok:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", VALIDATION_ERROR)
    return body


def present(body: Entity, field: str, required: bool) -> Any:
    """The value of ``field`` (None when absent or null); raises if it is required and missing."""
    value = body.get(field)
    if value is None and required:
        raise Invalid(field, "is required")
    return value


def text(body: Entity, field: str, required: bool = False) -> str | None:
    """A non-empty string."""
    value = present(body, field, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(field, f"must be a string, got {shown(value)}")
    if not value.strip():
        raise Invalid(field, "must not be empty")
    return value


def identifier(body: Entity, field: str, required: bool = False) -> str | None:
    """A non-empty string, or an integer taken as its decimal text (CRM ids often arrive as numbers)."""
    value = present(body, field, required)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(body, field, required)


def whole(body: Entity, field: str, required: bool = False, minimum: int | None = None) -> int | None:
    """An integer (booleans and fractions rejected), at least ``minimum`` if given."""
    value = present(body, field, required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, f"must be an integer, got {shown(value)}")
    if minimum is not None and value < minimum:
        raise Invalid(field, f"must be at least {minimum}, got {value}")
    return value


def decimal(body: Entity, field: str, low: float, high: float) -> float | None:
    """A number within ``[low, high]``."""
    value = present(body, field, False)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(field, f"must be a number, got {shown(value)}")
    if not low <= value <= high:
        raise Invalid(field, f"must be between {low:g} and {high:g}, got {value}")
    return value


def flag(body: Entity, field: str, required: bool = False) -> bool | None:
    """A JSON boolean."""
    value = present(body, field, required)
    if value is not None and not isinstance(value, bool):
        raise Invalid(field, f"must be true or false, got {shown(value)}")
    return value


def one_of(body: Entity, field: str, options: Collection[str], required: bool = False) -> str | None:
    """One of ``options``."""
    value = present(body, field, required)
    if value is not None and value not in options:
        raise Invalid(field, f"must be one of {', '.join(options)}, got {shown(value)}")
    return value


def phone(body: Entity, field: str, required: bool = False, e164: bool = False) -> str | None:
    """A phone number: 6–15 digits with an optional leading ``+`` (the live API takes ``4916098119998``),
    or strictly E.164 (``+`` and 6–15 digits) when ``e164``. Integers are taken as their digits."""
    value = present(body, field, required)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None:
        return None
    pattern, form = (E164, "an E.164 phone number (+ and 6-15 digits)") if e164 else (
        PHONE, "a phone number (6-15 digits, optional leading +)")
    if not isinstance(value, str) or not pattern.match(value):
        raise Invalid(field, f"must be {form}, got {shown(value)}")
    return value


def email(body: Entity, field: str, required: bool = False) -> str | None:
    """An e-mail address, lower-cased (the service handles e-mails in lower case)."""
    value = text(body, field, required)
    if value is not None and not EMAIL.match(value):
        raise Invalid(field, f"must be an e-mail address, got {shown(value)}")
    return None if value is None else value.lower()


def mapping(body: Entity, field: str, required: bool = False) -> Entity | None:
    """A JSON object."""
    value = present(body, field, required)
    if value is not None and not isinstance(value, dict):
        raise Invalid(field, f"must be an object, got {shown(value)}")
    return value


def listing(body: Entity, field: str, required: bool = False) -> list[Any] | None:
    """A JSON array (required ones must not be empty)."""
    value = present(body, field, required)
    if value is None:
        return None
    if not isinstance(value, list):
        raise Invalid(field, f"must be an array, got {shown(value)}")
    if required and not value:
        raise Invalid(field, "must not be empty")
    return value


def words(body: Entity, field: str) -> list[str] | None:
    """An array of strings (tags)."""
    value = listing(body, field)
    if value is not None and not all(isinstance(word, str) for word in value):
        raise Invalid(field, f"must be an array of strings, got {shown(value)}")
    return value
