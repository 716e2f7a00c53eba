"""Fixed vocabularies the generated data draws from: businesses, tags, colours, marketing sources,
time zones and message texts."""

from __future__ import annotations

from typing import Any

# (business name, home area code, IANA time zone, website domain)
BUSINESSES: tuple[tuple[str, str, str, str], ...] = (
    ("Peachtree Family Dental", "404", "America/New_York", "peachtreedental.example"),
    ("Front Range Roofing", "303", "America/Denver", "frontrangeroofing.example"),
    ("Lone Star HVAC", "512", "America/Chicago", "lonestarhvac.example"),
    ("Harbor Law Group", "617", "America/New_York", "harborlaw.example"),
    ("Emerald City Plumbing", "206", "America/Los_Angeles", "emeraldplumbing.example"),
    ("Desert Sun Solar", "602", "America/Phoenix", "desertsunsolar.example"),
    ("Lakeshore Auto Repair", "312", "America/Chicago", "lakeshoreauto.example"),
    ("Maple Leaf Movers", "416", "America/Toronto", "mapleleafmovers.example"),
    ("Biscayne Pet Clinic", "305", "America/New_York", "biscaynepets.example"),
    ("Music City Realty", "615", "America/Chicago", "musiccityrealty.example"),
)
AGENCY_NAMES: tuple[str, ...] = ("Last Mile Metrics", "Signal Peak Marketing", "Bright Funnel Agency")

TAG_COLORS: tuple[str, ...] = (
    "gray1", "gray2", "blue1", "blue2", "cyan1", "cyan2", "purple1", "purple2", "pink1", "pink2", "pink3",
    "pink4", "red1", "red2", "orange1", "orange2", "orange3", "orange4", "yellow1", "yellow2", "green1",
    "green2", "green3", "green4",
)  # fmt: skip
COMPANY_TAGS: tuple[str, ...] = (
    "New Client", "Existing Customer", "Appointment Booked", "Quote Requested", "Follow Up", "Wrong Number",
    "Price Shopper", "Emergency", "Referral", "Voicemail Left",
)  # fmt: skip
ACCOUNT_TAGS: tuple[str, ...] = ("Sales", "Support")

# Marketing sources: label, medium, utm_source, tracker source object.
SOURCES: dict[str, dict[str, Any]] = {
    "google_paid": {"label": "Google Ads", "medium": "cpc", "utm_source": "google",
                    "tracker": {"type": "search", "search_engine": "google", "search_type": "paid"}},
    "google_organic": {"label": "Google Organic", "medium": "organic", "utm_source": "google",
                       "tracker": {"type": "search", "search_engine": "google", "search_type": "organic"}},
    "bing_paid": {"label": "Bing Ads", "medium": "cpc", "utm_source": "bing",
                  "tracker": {"type": "search", "search_engine": "bing", "search_type": "paid"}},
    "facebook": {"label": "Facebook", "medium": "social", "utm_source": "facebook",
                 "tracker": {"type": "web_referrer", "referrer": "facebook.com"}},
    "direct": {"label": "Direct", "medium": "direct", "utm_source": None, "tracker": {"type": "direct"}},
    "gmb": {"label": "Google My Business", "medium": "organic", "utm_source": "google",
            "tracker": {"type": "google_my_business"}},
    "offline": {"label": "Billboard", "medium": "offline", "utm_source": None, "tracker": {"type": "offline"}},
}  # fmt: skip
SESSION_SOURCES: tuple[str, ...] = ("google_paid", "google_organic", "bing_paid", "facebook", "direct")
CAMPAIGNS: tuple[str, ...] = ("spring_promo", "brand_search", "emergency_service", "retargeting", "local_seo")
KEYWORDS: tuple[str, ...] = (
    "emergency repair near me", "best rated local service", "free estimate", "same day appointment",
    "24 hour service", "cost of repair", "reviews",
)  # fmt: skip
LANDING_PATHS: tuple[str, ...] = ("/", "/contact", "/services", "/pricing", "/book-now", "/specials")
BROWSERS: tuple[str, ...] = ("Chrome", "Safari", "Edge", "Firefox")

INCOMING_TEXTS: tuple[str, ...] = (
    "Hi, do you have any openings this week?", "What are your hours on Saturday?",
    "Can I get a quote for next Tuesday?", "Thanks! See you then.", "Is there a charge for the estimate?",
    "Running 10 minutes late, sorry!", "Can you call me back when you get a chance?",
)  # fmt: skip
OUTGOING_TEXTS: tuple[str, ...] = (
    "Thanks for reaching out! We have Thursday at 2pm open. Does that work?",
    "We're open 9-3 on Saturdays.", "Absolutely, estimates are always free.",
    "You're all set for tomorrow at 10am. Reply STOP to opt out.", "No problem, see you soon!",
)  # fmt: skip
OPT_OUT_WORDS: tuple[str, ...] = ("STOP", "CANCEL", "UNSUBSCRIBE", "QUIT", "END")
OPT_OUT_NOTICE = " Reply STOP to opt out."
