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
        phone, problem = normalise_phone(str(value), default_region)
        if problem:
            problems.append(f"{name}: {problem}")
        else:
            checked[name] = phone
    return checked, problems


def normalise_phone(text: str, default_region: str | None) -> tuple[str | None, str | None]:
    """``(E.164 number, None)`` or ``(None, problem)`` for a phone number written any common way.

    Digits without ``+`` and without a region are read as an international number with its country
    code (``4916098119998``), as Babelforce writes them.
    """
    candidate = text.strip()
    region = default_region
    if not candidate.startswith("+") and region is None:
        candidate = "+" + candidate.lstrip("0")
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as error:
        return None, f"{text!r} is not a phone number ({_reason(error)})"
    if not phonenumbers.is_valid_number(parsed):
        where = f" for region {region}" if region and not text.strip().startswith("+") else ""
        hint = "" if default_region else "; set default_region to read national numbers"
        return None, f"{text!r} is not a valid phone number{where} (E.164 such as +4930123456 expected{hint})"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


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
