"""Updating a call or form submission (``PUT``): tags, note, value, lead status — and, for calls,
customer name and spam.

An omitted field is left alone; ``null`` or a blank string clears it. ``tags`` replaces the list
unless ``append_tags`` is true, and unknown tag names become new company tags. Setting ``good_lead``
on an interaction whose lead status is ``previously_marked_good_lead`` is a 400.
"""

from __future__ import annotations

import re
from typing import Any

from .body import flag
from .calls_model import refresh_display
from .catalog import TAG_COLORS
from .data import Dataset
from .errors import ApiError, invalid
from .gen_directory import new_tag

Entity = dict[str, Any]
LEAD_STATUSES = ("good_lead", "not_a_lead")
PREVIOUSLY_GOOD = ("This lead was previously marked as a good lead; "
                   "lead_status cannot be set to good_lead again")  # fmt: skip
_MONEY = re.compile(r"^\$?\s*(\d+(?:,\d{3})*(?:\.\d{1,2})?|\.\d{1,2})$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _value(raw: Any) -> float | None:
    if _blank(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    match = _MONEY.match(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise invalid("value", "must be an amount such as \"$1.00\" or \"1.00\"")
    return float(match.group(1).replace(",", ""))


def _tag_ids(data: Dataset, company: Entity, names: list[str]) -> list[int]:
    """Ids of the tags called ``names`` in the company (or account-wide), creating unknown ones."""
    ids = []
    for name in names:
        tag = next((tag for tag in data.tags if tag["name"].lower() == name.lower()
                    and tag["company_id"] in (None, company["id"])), None)  # fmt: skip
        if tag is None:
            tag_id = max((tag["id"] for tag in data.tags), default=1_000_000) + 1
            tag = data.add("tags", new_tag(tag_id, name, company, TAG_COLORS[0], data.now(), data.user_time_zone))
        elif tag["status"] != "enabled":
            raise invalid("tags", f"the tag '{tag['name']}' is disabled and cannot be applied")
        if tag["id"] not in ids:
            ids.append(tag["id"])
    return ids


def update_interaction(data: Dataset, entity: Entity, body: Entity, is_call: bool) -> None:
    """Apply a call or form ``PUT`` body to ``entity`` (validated as a whole before anything changes)."""
    changes: Entity = {}
    if "lead_status" in body:
        status = None if _blank(body["lead_status"]) else body["lead_status"]
        if status is not None and status not in LEAD_STATUSES:
            raise invalid("lead_status", "must be good_lead, not_a_lead or null")
        if status == "good_lead" and entity["lead_status"] == "previously_marked_good_lead":
            raise ApiError(400, PREVIOUSLY_GOOD)
        changes["lead_status"] = status
    if "note" in body:
        if not _blank(body["note"]) and not isinstance(body["note"], str):
            raise invalid("note", "must be a string")
        changes["note"] = None if _blank(body["note"]) else body["note"]
    if "value" in body:
        changes["value"] = _value(body["value"])
    if is_call:
        changes.update(_call_only(body))
    if "tags" in body:
        tags = [] if _blank(body["tags"]) else body["tags"]
        if not isinstance(tags, list) or not all(isinstance(name, str) and name.strip() for name in tags):
            raise invalid("tags", "must be a list of tag names")
        company = data.get("companies", entity["company_id"]) or {"id": entity["company_id"], "time_zone": "UTC"}
        append = bool(flag(body, "append_tags"))
        new_ids = _tag_ids(data, company, [name.strip() for name in tags])
        kept = entity["_tag_ids"] if append else []
        changes["_tag_ids"] = kept + [tag_id for tag_id in new_ids if tag_id not in kept]
    entity.update(changes)
    if is_call:
        refresh_display(entity)


def _call_only(body: Entity) -> Entity:
    changes: Entity = {}
    if "customer_name" in body:
        name = body["customer_name"]
        if not _blank(name) and not isinstance(name, str):
            raise invalid("customer_name", "must be a string")
        changes["customer_name"] = None if _blank(name) else name.strip()
    if flag(body, "spam"):
        changes["_spam"] = True
    return changes
