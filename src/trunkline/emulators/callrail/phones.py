"""North American phone numbers: parsing the 10-digit US/CA inputs CallRail accepts, E.164 output,
display formatting, and the places behind the area codes the emulator uses."""

from __future__ import annotations

import re

# area code -> (city, state or province, country)
AREAS: dict[str, tuple[str, str, str]] = {
    "404": ("Atlanta", "GA", "US"), "770": ("Marietta", "GA", "US"), "303": ("Denver", "CO", "US"),
    "720": ("Aurora", "CO", "US"), "512": ("Austin", "TX", "US"), "214": ("Dallas", "TX", "US"),
    "312": ("Chicago", "IL", "US"), "617": ("Boston", "MA", "US"), "206": ("Seattle", "WA", "US"),
    "415": ("San Francisco", "CA", "US"), "602": ("Phoenix", "AZ", "US"), "305": ("Miami", "FL", "US"),
    "212": ("New York", "NY", "US"), "503": ("Portland", "OR", "US"), "704": ("Charlotte", "NC", "US"),
    "615": ("Nashville", "TN", "US"), "416": ("Toronto", "ON", "CA"), "604": ("Vancouver", "BC", "CA"),
    "514": ("Montreal", "QC", "CA"),
}  # fmt: skip
TOLL_FREE = ("888", "877", "866", "855", "844", "833", "800")

_NOT_DIGIT = re.compile(r"\D")


def us_ca_number(value: object) -> str | None:
    """``value`` as E.164 if it is a valid 10-digit US/Canadian number (``+1`` prefix, punctuation and
    a leading ``1`` allowed), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    digits = _NOT_DIGIT.sub("", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return "+1" + digits


def formatted(e164: str | None) -> str | None:
    """``+13036231131`` as ``303-623-1131`` (other numbers unchanged)."""
    if e164 is None or not (e164.startswith("+1") and len(e164) == 12):
        return e164
    return f"{e164[2:5]}-{e164[5:8]}-{e164[8:]}"


def area_code(e164: str) -> str:
    """The area code of a ``+1`` number."""
    return e164[2:5]


def place(e164: str) -> tuple[str | None, str | None, str | None]:
    """(city, state, country) of a number's area code, or Nones when unknown."""
    return AREAS.get(area_code(e164), (None, None, None))
