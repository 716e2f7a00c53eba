"""Checks a record must pass before a destination sends it, and the normalisation they imply.

A record that fails is never dropped: the caller keeps it with the problems this module names
(``number: '0301234' is not a valid phone number for region DE``). Phone numbers are parsed with
the ``phonenumbers`` library and written in E.164 (``+49301234567``); a national number needs a
default region (ISO 3166 code such as ``DE`` or ``US``).
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from trunkline.core.destination_config import RecordRules
from trunkline.core.errors import ConfigError


def check_region(region: str | None) -> None:
    """Raise a ConfigError naming ``destination.default_region`` when it is not a known region code."""
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError("destination.default_region", "is not a known region code", value=region,
                          fix="use a two-letter ISO 3166 code such as DE, GB or US")


def apply_rules(
    record: dict[str, Any], rules: RecordRules, default_region: str | None
) -> tuple[dict[str, Any], list[str]]:
    """``record`` normalised (phones in E.164, integers as int) and the list of problems (empty if it passes)."""
    problems: list[str] = []
    checked = dict(record)
    for name in rules.required:
        if _is_empty(checked.get(name)):
            problems.append(f"{name}: is required but missing or empty")
    for name in rules.integer:
        value = checked.get(name)
        if _is_empty(value):
            continue
        number = _as_integer(value)
        if number is None:
            problems.append(f"{name}: {value!r} is not a whole number")
        else:
            checked[name] = number
    for name in rules.phone:
        value = checked.get(name)
        if _is_empty(value):
            continue
        phone, problem = normalise_phone(value, default_region)
        if problem:
            problems.append(f"{name}: {problem}")
        else:
            checked[name] = phone
    return checked, problems


def normalise_phone(value: object, default_region: str | None) -> tuple[str | None, str | None]:
    """``(E.164 number, None)`` or ``(None, problem)`` for a phone number written any common way.

    ``value`` must be text or an integer (read as its digits); anything else (a list, a mapping, a
    float, a boolean) is a problem, never turned into text. A number with an extension
    (``+4930123456x12``) is refused, as E.164 cannot carry one, and so is one with letters
    (``+4916O98119993``, ``1-800-FLOWERS``): no digit is guessed or dropped.

    How a number is read:

    * with ``+`` (or a region's international prefix such as ``00``): as written;
    * without ``+`` and without ``default_region``: as international digits with their country code
      (``4916098119998`` or ``004916098119998`` → ``+4916098119998``), as Babelforce writes them;
    * without ``+`` and with ``default_region``: both as a national number of the region and, when
      the text starts with a digit other than 0, as international digits (``+`` and the digits). If
      only one reading is a valid number it is used. If both are valid and differ, the international
      reading wins when the digits begin with the region's own country calling code (``DE`` and
      ``4916098119993`` → ``+4916098119993``, not ``+494916098119993``); otherwise the national one
      does (``US`` and ``4045551236`` → ``+14045551236``; ``DE`` and ``030123456`` → ``+4930123456``).
    """
    text = _phone_text(value)
    if text is None:
        return None, f"{value!r} is not text (a phone number is written as text, such as '+4930123456')"
    candidate = text.strip()
    readings = _readings(candidate, default_region)
    parsed: list[phonenumbers.PhoneNumber] = []
    errors: list[phonenumbers.NumberParseException] = []
    for number_text, region in readings:
        try:
            parsed.append(phonenumbers.parse(number_text, region))
        except phonenumbers.NumberParseException as error:
            errors.append(error)
    extension = next((number.extension for number in parsed if number.extension), None)
    if extension:
        return None, (f"{text!r} has an extension: E.164 cannot carry an extension (x{extension}); "
                      "send the number without it and the extension in a field of its own")
    letters = sorted({char for char in candidate if char.isalpha()})
    if letters:
        typo = "; is the letter O typed for the digit 0?" if set(letters) <= {"O", "o"} else ""
        return None, (f"{text!r} contains letters ({''.join(letters)}): a phone number is digits only "
                      f"(E.164 such as +4930123456{typo})")
    valid = [_e164(number) for number in parsed if phonenumbers.is_valid_number(number)]
    chosen = _choose(candidate, valid, default_region)
    if chosen is not None:
        return chosen, None
    if not parsed:
        return None, f"{text!r} is not a phone number ({_reason(errors[0])})"
    where = ""
    if default_region and not candidate.startswith("+"):
        where = f" for region {default_region}"
        if len(readings) > 1:
            where += f", nor as international digits {readings[1][0]!r}"
    hint = "" if default_region else "; set default_region to read national numbers"
    return None, f"{text!r} is not a valid phone number{where} (E.164 such as +4930123456 expected{hint})"


_FIRST_INTERNATIONAL_DIGITS = frozenset("123456789")


def _phone_text(value: object) -> str | None:
    """``value`` as text if it is text or an integer (not a boolean), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _readings(candidate: str, region: str | None) -> list[tuple[str, str | None]]:
    """The ways to parse ``candidate``: ``(text, region)`` pairs, the national reading first."""
    if candidate.startswith("+"):
        return [(candidate, region)]
    if region is None:
        return [("+" + candidate.lstrip("0"), None)]
    readings: list[tuple[str, str | None]] = [(candidate, region)]
    if candidate[:1] in _FIRST_INTERNATIONAL_DIGITS:
        readings.append(("+" + candidate, None))
    return readings


def _choose(candidate: str, valid: list[str], region: str | None) -> str | None:
    """The valid reading (E.164) to use: the only one, or of a national and an international reading
    that differ, the international one when the digits begin with the region's country code."""
    if not valid:
        return None
    first, others = valid[0], [number for number in valid[1:] if number != valid[0]]
    if not others or region is None:
        return first
    own_code = str(phonenumbers.country_code_for_region(region))
    digits = "".join(char for char in candidate if char.isdigit())
    return others[0] if digits.startswith(own_code) else first


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _reason(error: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(error.error_type, "unreadable")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
    return None
