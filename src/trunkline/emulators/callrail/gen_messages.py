"""Text conversations on the SMS-enabled numbers of active companies, over the last thirty days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .catalog import INCOMING_TEXTS, OUTGOING_TEXTS, SOURCES
from .conversations_model import add_message, message, new_conversation
from .fake import Fake
from .gen_directory import Directory
from .leads import People, caller_id_name, lead_id

Entity = dict[str, Any]
TEXT_DAYS = 30


def generate_conversations(
    fake: Fake, anchor: datetime, directory: Directory, trackers: list[Entity], people: People
) -> list[Entity]:
    """Conversations of every active company, newest first."""
    conversations: list[Entity] = []
    ids: set[str] = set()
    message_id = fake.randint(10_000_000, 90_000_000)
    key_user = directory.users[0]
    for company in directory.companies:
        texting = [tracker for tracker in trackers
                   if tracker["_company_id"] == company["id"] and tracker["sms_enabled"]]  # fmt: skip
        if company["status"] != "active" or not texting:
            continue
        for customer in fake.sample(directory.customers[company["id"]], fake.randint(10, 16)):
            while (conversation_id := fake.short_id()) in ids:
                pass
            ids.add(conversation_id)
            tracker = fake.choice(texting)
            lead = lead_id(people, fake, company["id"], customer.phone)
            conversation = new_conversation(conversation_id, company, tracker, fake.choice(tracker["tracking_numbers"]),
                                            customer.phone, caller_id_name(customer.first, customer.last, 0), lead)
            conversation["source"] = SOURCES[fake.choice(tracker["_source_keys"])]["label"]
            moment = anchor - timedelta(days=fake.uniform(0.05, TEXT_DAYS))
            for index in range(fake.randint(1, 6)):
                moment = min(moment + timedelta(minutes=fake.randint(1, 240), milliseconds=fake.randint(0, 999)),
                             anchor - timedelta(seconds=30))
                message_id += fake.randint(1, 500)
                outgoing = index % 2 == 1
                text = fake.choice(OUTGOING_TEXTS if outgoing else INCOMING_TEXTS)
                add_message(conversation, message(message_id, "outgoing" if outgoing else "incoming", text, moment,
                                                  key_user if outgoing else None), moment)
            if anchor - moment > timedelta(days=10) and fake.chance(0.5):
                conversation["state"] = "archived"
            conversations.append(conversation)
    conversations.sort(key=lambda conversation: conversation["_epoch"], reverse=True)
    return conversations
