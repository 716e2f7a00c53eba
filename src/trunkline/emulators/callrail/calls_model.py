"""The stored shape of a call: every field CallRail can return (default and ``fields=`` ones) plus the
internal keys, and the display fields derived from the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .attribution import empty_touch
from .fake import Fake
from .leads import display_name
from .phones import formatted, place
from .timefmt import local_stamp

Entity = dict[str, Any]
CALL_TYPE_LABELS = {"answered": "Answered Call", "missed": "Missed Call", "voicemail": "Voicemail",
                    "outbound": "Outbound Call", "in_progress": "In Progress"}  # fmt: skip


def blank_call(fake: Fake, company: Entity, moment: datetime, customer_phone: str) -> Entity:
    """A call of ``company`` at ``moment`` from/to ``customer_phone`` with every other field empty."""
    city, state, country = place(customer_phone)
    stamp = local_stamp(moment, company["time_zone"])
    return {
        "id": fake.prefixed_id("CAL"), "answered": None, "business_phone_number": None, "customer_city": city,
        "customer_country": country, "customer_name": None, "customer_phone_number": customer_phone,
        "customer_state": state, "direction": "inbound", "duration": None, "recording_duration": None,
        "recording_player": None, "start_time": stamp, "tracking_phone_number": None, "voicemail": False,
        "agent_email": None, "company_id": company["id"], "tracker_id": None, "created_at": stamp,
        "call_type": None, "first_call": True, "prior_calls": 0, "total_calls": 1, "lead_status": None,
        "good_lead_call_id": None, "good_lead_call_time": None, "note": None, "value": None, "person_id": None,
        "source": None, "medium": None, "campaign": None, "keywords": None, "landing_page_url": None,
        "referring_url": None, "referrer_domain": None, "last_requested_url": None, "gclid": None,
        "fbclid": None, "msclkid": None, "utm_source": None, "utm_medium": None, "utm_campaign": None,
        "utm_term": None, "utm_content": None, "ga": None, "device_type": None, "session_uuid": None,
        "milestones": {name: empty_touch() for name in ("first_touch", "lead_created", "qualified", "last_touch")},
        "timeline_url": None, "transcription": None, "conversational_transcript": None, "sentiment": None,
        "call_summary": None, "call_highlights": [], "keywords_spotted": [], "speaker_percent": None,
        "waveforms": None, "zip_code": [], "keypad_entries": None, "integration_data": [], "custom": {},
        "voice_assist_message": None, "lead_score": None, "lead_explanation": None,
        "_epoch": moment.timestamp(), "_recorded": False, "_spam": False, "_tag_ids": [],
    }  # fmt: skip


def format_duration(seconds: int | None) -> str | None:
    """``179`` as ``2m 59s``."""
    if seconds is None:
        return None
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m {rest}s" if minutes else f"{rest}s"


def refresh_display(call: Entity) -> None:
    """Recompute the ``formatted_*`` fields from the call's other fields."""
    name, phone = call["customer_name"], call["customer_phone_number"]
    location = ", ".join(part for part in (call["customer_city"], call["customer_state"]) if part)
    call.update({
        "formatted_call_type": CALL_TYPE_LABELS.get(call["call_type"] or ""),
        "formatted_customer_location": location,
        "formatted_business_phone_number": formatted(call["business_phone_number"]) or "",
        "formatted_customer_name": display_name(name) or formatted(phone),
        "formatted_customer_name_or_phone_number": display_name(name) or formatted(phone),
        "formatted_customer_phone_number": formatted(phone),
        "formatted_duration": format_duration(call["duration"]),
        "formatted_tracking_phone_number": formatted(call["tracking_phone_number"]),
        "formatted_tracking_source": call["source"],
    })  # fmt: skip
