"""The stored shape of a form submission and the customer details read from its form data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .attribution import empty_touch
from .leads import display_name
from .phones import formatted, us_ca_number
from .timefmt import utc_stamp

Entity = dict[str, Any]
_SOURCE_LABELS = {"google_paid": ("Google Ads", "CPC"), "google_organic": ("Google Organic", "Organic"),
                  "bing_paid": ("Bing Ads", "CPC"), "facebook": ("Facebook", "Social"), "direct": ("Direct", "Direct")}


def form_phone(form_data: dict[str, Any]) -> str | None:
    """The first value of ``form_data`` that is a US/Canadian phone number, as E.164."""
    for value in form_data.values():
        number = us_ca_number(value) if isinstance(value, str) and len(value) <= 20 else None
        if number:
            return number
    return None


def form_name(form_data: dict[str, Any]) -> str | None:
    """The submitter's name from ``name`` or ``first_name`` + ``last_name`` fields."""
    if isinstance(form_data.get("name"), str):
        return form_data["name"]
    parts = [form_data.get(key) for key in ("first_name", "last_name") if isinstance(form_data.get(key), str)]
    return " ".join(parts) or None


def new_form_submission(form_id: str, company_id: str, person_id: str, first_form: bool, body: Entity,
                        moment: datetime) -> Entity:
    """A form submission from the create fields in ``body``, submitted at ``moment``."""
    data = body["form_data"]
    phone, name = form_phone(data), form_name(data)
    email = next((value for key, value in data.items() if "email" in key.lower() and isinstance(value, str)), None)
    label, medium = _SOURCE_LABELS.get(body.get("referrer") or "", (body.get("referrer"), None))
    return {
        "id": form_id, "company_id": company_id, "person_id": person_id, "form_data": data,
        "form_url": body.get("form_url"), "landing_page_url": body.get("landing_page_url"),
        "referrer": body.get("referrer"), "referring_url": body.get("referring_url"),
        "submitted_at": utc_stamp(moment), "first_form": first_form, "customer_phone_number": phone,
        "customer_name": name, "customer_email": email, "formatted_customer_phone_number": formatted(phone),
        "formatted_customer_name": display_name(name), "source": label, "keywords": None, "campaign": None,
        "medium": medium, "lead_status": None, "value": None, "note": None, "utm_source": None,
        "utm_medium": None, "utm_campaign": None, "form_name": None,
        "timeline_url": f"https://app.callrail.com/analytics/timeline/{person_id}" if person_id != "anonymous"
        else None,
        "milestones": {name: empty_touch() for name in ("first_touch", "lead_created", "qualified", "last_touch")},
        "session_id": body.get("session_id"), "_epoch": moment.timestamp(), "_tag_ids": [],
    }  # fmt: skip
