"""The stored shape of a text conversation and its messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .leads import display_name
from .phones import formatted
from .timefmt import utc_stamp

Entity = dict[str, Any]


def new_conversation(conversation_id: str, company: Entity, tracker: Entity, number: str, customer_phone: str,
                     customer_name: str | None, lead: str) -> Entity:
    """An empty conversation between ``customer_phone`` and a tracking ``number`` of ``tracker``."""
    return {
        "id": conversation_id, "company_id": company["id"], "initial_tracker_id": tracker["id"],
        "current_tracker_id": tracker["id"], "customer_name": customer_name,
        "customer_phone_number": customer_phone, "initial_tracking_number": number,
        "current_tracking_number": number, "last_message_at": None, "state": "active",
        "formatted_customer_phone_number": formatted(customer_phone),
        "formatted_initial_tracking_number": formatted(number), "formatted_current_tracking_number": formatted(number),
        "formatted_customer_name": display_name(customer_name) or formatted(customer_phone),
        "lead_status": None, "source": None, "_messages": [], "_epoch": 0.0, "_person_id": lead,
    }  # fmt: skip


def add_message(conversation: Entity, message: Entity, moment: datetime) -> None:
    """Append ``message`` (sent or received at ``moment``) and move the conversation's clock."""
    conversation["_messages"].append(message)
    conversation["last_message_at"] = utc_stamp(moment)
    conversation["_epoch"] = moment.timestamp()


def message(message_id: int, direction: str, content: str, moment: datetime, user: Entity | None,
            media_urls: list[str] | None = None) -> Entity:
    """One text message; outgoing ones carry the sending user and a ``sent`` status."""
    return {
        "id": message_id, "content": content, "created_at": utc_stamp(moment),
        "status": "sent" if direction == "outgoing" else None, "direction": direction,
        "type": "mms" if media_urls else "sms", "media_urls": media_urls or [],
        "user": {"id": user["id"], "name": user["name"]} if user else None,
    }  # fmt: skip
