"""What every endpoint under ``/v3/a/{account_id}/`` shares: resolving the account, and the
searching and sorting of lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from .data import Dataset
from .errors import invalid, not_found

Entity = dict[str, Any]
_NOT_DIGIT = re.compile(r"\D")
TIME_FIELDS = ("created_at", "start_time", "submitted_at", "last_message_at")


def dataset(request: Request) -> Dataset:
    """The dataset of the account in the path (its ``ACC…`` or 9-digit id); 404 for another account."""
    data: Dataset = request.app.state.data
    account = request.path_params.get("account_id")
    if account is not None and account not in (data.account["id"], str(data.account["numeric_id"])):
        raise not_found("Account")
    return data


def base_url(request: Request) -> str:
    """The emulator's own base URL (scheme, host and port), as the client reached it."""
    return str(request.base_url).rstrip("/")


def search(items: Sequence[Entity], request: Request, fields: Sequence[str]) -> Sequence[Entity]:
    """Keep items where any of ``fields`` contains the ``search`` term (case-insensitive; phone numbers
    also match on their digits)."""
    term = (request.query_params.get("search") or "").strip().lower()
    if not term:
        return items
    digits = _NOT_DIGIT.sub("", term) if not any(char.isalpha() for char in term) else ""

    def matches(item: Entity) -> bool:
        for field in fields:
            value = str(item.get(field) or "").lower()
            if term in value or (len(digits) >= 3 and digits in _NOT_DIGIT.sub("", value)):
                return True
        return False

    return [item for item in items if matches(item)]


def sort(items: Sequence[Entity], request: Request, allowed: Sequence[str]) -> Sequence[Entity]:
    """Order by ``sort`` (one of ``allowed``) and ``order`` (``asc``/``desc``; times default to newest
    first, text to alphabetical). No ``sort`` keeps the endpoint's own order. Nulls sort last."""
    params = request.query_params
    field = params.get("sort")
    order = params.get("order")
    if order not in (None, "", "asc", "desc"):
        raise invalid("order", f"must be asc or desc, got '{order}'")
    if not field:
        if order:
            raise invalid("order", "needs a sort field")
        return items
    if field not in allowed:
        raise invalid("sort", f"must be one of {', '.join(allowed)}, got '{field}'")
    key = "_epoch" if field in TIME_FIELDS and items and "_epoch" in items[0] else field
    descending = order == "desc" or (not order and field in TIME_FIELDS)
    present = [item for item in items if item.get(key) is not None]
    absent = [item for item in items if item.get(key) is None]

    def value(item: Entity) -> Any:
        raw = item[key]
        return raw.lower() if isinstance(raw, str) else raw

    return sorted(present, key=value, reverse=descending) + absent
