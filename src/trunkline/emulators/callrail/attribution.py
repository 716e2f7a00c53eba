"""Marketing attribution of a call or form: source, medium, campaign, landing page, click ids, UTM
values, and the milestone "touch" objects CallRail nests under ``milestones``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .catalog import BROWSERS, CAMPAIGNS, KEYWORDS, LANDING_PATHS, SOURCES
from .fake import Fake
from .timefmt import local_stamp

Entity = dict[str, Any]
TOUCH_KEYS = ("event_date", "ad_position", "campaign", "device", "keywords", "landing", "landing_page_url_params",
              "match_type", "medium", "referrer", "referrer_url_params", "session_browser", "url_utm_params",
              "source")  # fmt: skip
_REFERRERS = {"google": "https://www.google.com/", "bing": "https://www.bing.com/",
              "facebook": "https://www.facebook.com/"}  # fmt: skip


def attribution(fake: Fake, source_key: str, domain: str, web: bool) -> Entity:
    """Attribution fields for a visitor from ``source_key`` (a ``catalog.SOURCES`` key) to ``domain``;
    ``web`` is False for offline numbers, which carry no web session."""
    source = SOURCES[source_key]
    paid = source["medium"] == "cpc"
    campaign = fake.choice(CAMPAIGNS) if paid or source_key == "facebook" else None
    keywords = fake.choice(KEYWORDS) if paid else None
    fields: Entity = {
        "source": source["label"], "medium": source["medium"], "campaign": campaign, "keywords": keywords,
        "landing_page_url": None, "referring_url": None, "referrer_domain": None, "last_requested_url": None,
        "gclid": None, "fbclid": None, "msclkid": None, "utm_source": source["utm_source"],
        "utm_medium": source["medium"] if source["utm_source"] else None, "utm_campaign": campaign,
        "utm_term": keywords, "utm_content": None, "ga": None, "device_type": None, "session_uuid": None,
        "_browser": None,
    }  # fmt: skip
    if not web:
        return fields
    query = []
    if campaign:
        query.append(f"utm_source={source['utm_source']}&utm_medium={source['medium']}&utm_campaign={campaign}")
    if source_key == "google_paid":
        fields["gclid"] = fake.hex32()[:22]
        query.append(f"gclid={fields['gclid']}")
    elif source_key == "bing_paid":
        fields["msclkid"] = fake.hex32()
        query.append(f"msclkid={fields['msclkid']}")
    elif source_key == "facebook":
        fields["fbclid"] = "IwAR" + fake.hex32()[:20]
        query.append(f"fbclid={fields['fbclid']}")
    landing = f"https://www.{domain}{fake.choice(LANDING_PATHS)}" + (f"?{'&'.join(query)}" if query else "")
    referrer = _REFERRERS.get(source["utm_source"] or "")
    fields.update({
        "landing_page_url": landing, "referring_url": referrer,
        "referrer_domain": urlsplit(referrer).hostname if referrer else None,
        "last_requested_url": f"https://www.{domain}{fake.choice(LANDING_PATHS)}",
        "ga": f"GA1.2.{fake.digits(9)}.{fake.digits(10)}", "device_type": fake.choice(("mobile", "desktop")),
        "session_uuid": fake.hex32(), "_browser": fake.choice(BROWSERS),
    })  # fmt: skip
    return fields


def touch(fields: Entity, moment: datetime, zone: str) -> Entity:
    """A milestone touch object for attribution ``fields`` at ``moment``."""
    landing = fields["landing_page_url"]
    params = dict(parse_qsl(urlsplit(landing).query)) if landing else {}
    return {
        "event_date": local_stamp(moment, zone), "ad_position": None, "campaign": fields["campaign"],
        "device": fields["device_type"], "keywords": fields["keywords"], "landing": landing,
        "landing_page_url_params": params, "match_type": None, "medium": fields["medium"],
        "referrer": fields["referring_url"], "referrer_url_params": {}, "session_browser": fields["_browser"],
        "url_utm_params": {key: value for key, value in params.items() if key.startswith("utm_")},
        "source": fields["source"],
    }  # fmt: skip


def empty_touch() -> Entity:
    """The milestone touch of a milestone that has not happened (every value null)."""
    return {key: {} if key.endswith("_params") else None for key in TOUCH_KEYS}
