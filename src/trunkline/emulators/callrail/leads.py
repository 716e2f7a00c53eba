"""Leads ("people"): one ``PER…`` id per customer phone number and company."""

from __future__ import annotations

from .fake import Fake

People = dict[tuple[str, str], str]


def lead_id(people: People, fake: Fake, company_id: str, phone: str) -> str:
    """The lead id of ``phone`` in ``company_id``, created on first sight."""
    key = (company_id, phone)
    if key not in people:
        people[key] = fake.prefixed_id("PER")
    return people[key]


def caller_id_name(first: str, last: str, style: int) -> str:
    """How caller ID shows a customer: ``SMITH JOHN`` (style 0), ``John Smith`` (style 1)."""
    return f"{last} {first}".upper() if style == 0 else f"{first} {last}"


def display_name(name: str | None) -> str | None:
    """A caller-ID name stylised for display (``SMITH JOHN`` → ``Smith John``)."""
    return name.title() if name else name
