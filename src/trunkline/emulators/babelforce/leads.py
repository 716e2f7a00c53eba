"""Outbound lead payloads: validating a new lead, a batch of them, and a lead update.

A new lead needs ``uid``, ``number`` and ``rank`` (seed 003); ``number2``/``number3`` are optional
fallback numbers; ``data`` is a map of string → string (or null). A batch — the emulator's bulk
loading extension — is a JSON array of leads or an object ``{"leads": [...]}`` (other keys ignored).
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from .errors import VALIDATION_ERROR, ApiError
from .fields import Invalid, identifier, mapping, phone, shown, whole

Entity = dict[str, Any]

_FALLBACK_NUMBERS = ("number2", "number3")


def _data(body: Entity) -> Entity | None:
    """The ``data`` map: string keys to string values, or null (which deletes the key on update)."""
    data = mapping(body, "data")
    for key, value in (data or {}).items():
        if value is not None and not isinstance(value, str):
            raise Invalid(f"data.{key}", f"must be a string or null, got {shown(value)}")
    return data


def lead_fields(body: Any, creating: bool) -> Entity:
    """The validated lead fields of ``body``: all required when ``creating``, else only those given."""
    if not isinstance(body, dict):
        raise ApiError(400, "a lead must be a JSON object", VALIDATION_ERROR)
    fields: Entity = {
        "uid": identifier(body, "uid", creating),
        "number": phone(body, "number", creating),
        **{name: phone(body, name) for name in _FALLBACK_NUMBERS},
        "rank": whole(body, "rank", creating),
        "data": _data(body),
    }
    return {name: value for name, value in fields.items() if value is not None}


def batch_of(body: Any) -> list[Any] | None:
    """The leads of a bulk request (a JSON array or ``{"leads": [...]}``), or None for a single lead."""
    if isinstance(body, dict) and "leads" in body:
        body = body["leads"]
        if not isinstance(body, list):
            raise ApiError(400, f"leads must be an array, got {shown(body)}", VALIDATION_ERROR)
    if not isinstance(body, list):
        return None
    if not body:
        raise ApiError(400, "leads must not be empty", VALIDATION_ERROR)
    return body


def batch_fields(leads: list[Any], taken_uids: Container[str]) -> list[Entity]:
    """Validate every lead of a batch, all or nothing: the first problem is a 400 naming the lead's
    index and field (``leads[3].number: must be …``). A ``uid`` must be new to the list and the batch."""
    seen: dict[str, int] = {}
    parsed = []
    for index, lead in enumerate(leads):
        try:
            fields = lead_fields(lead, creating=True)
        except Invalid as error:
            raise ApiError(400, f"leads[{index}].{error.field}: {error.problem}", VALIDATION_ERROR) from None
        except ApiError:
            raise ApiError(400, f"leads[{index}]: must be an object, got {shown(lead)}", VALIDATION_ERROR) from None
        uid = fields["uid"]
        if uid in taken_uids or uid in seen:
            where = "this list" if uid in taken_uids else f"leads[{seen[uid]}]"
            raise ApiError(400, f"leads[{index}].uid: '{uid}' is already used by {where}", VALIDATION_ERROR)
        seen[uid] = index
        parsed.append(fields)
    return parsed


def new_lead(lead_id: str, fields: Entity, lead_list: Entity, when: str) -> Entity:
    """A fresh, never-called lead (status ``new``) of ``lead_list`` from validated ``fields``."""
    lead: Entity = {"id": lead_id, "uid": fields["uid"], "listId": lead_list["id"]}
    if "campaignId" in lead_list:
        lead["campaignId"] = lead_list["campaignId"]
    lead["number"] = fields["number"]
    lead.update({name: fields[name] for name in _FALLBACK_NUMBERS if name in fields})
    lead.update(
        {
            "status": "new",
            "rank": fields["rank"],
            "callCount": 0,
            "duration": 0,
            "calledSinceReset": False,
            "dateCreated": when,
            "lastUpdated": when,
            "data": {key: value for key, value in fields.get("data", {}).items() if value is not None},
        }
    )
    return lead


def apply_update(lead: Entity, fields: Entity, when: str) -> None:
    """Apply validated update ``fields`` to a stored lead; a ``data`` key set to None is deleted."""
    for name, value in fields.items():
        if name != "data":
            lead[name] = value
    data = lead.setdefault("data", {})
    for key, value in fields.get("data", {}).items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    lead["lastUpdated"] = when
