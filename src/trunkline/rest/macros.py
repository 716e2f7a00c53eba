"""Date/time and lookup macros in URLs, headers, parameters and bodies.

Grammar, scanned left to right:

- ``{now}``, ``{now-N}``, ``{now+N}``: the run's moment shifted by N time units (the context's
  ``time_unit``), written in the context's ``date_format``. A per-macro format may follow a pipe:
  ``{now-1|epoch}``, ``{now|yyyy-MM-dd}``. ``(now)``, ``(now-N)`` and ``(now+N)`` are the same macros.
- ``{name}`` or ``{name.sub}``: a named value from the context (a lookup column, later a record
  field). A dotted name is looked up as a whole key first, then through nested mappings.
  ``None`` renders as an empty string, booleans as ``true``/``false``, dicts and lists as compact
  JSON, anything else with ``str()``.
- ``{{`` renders a literal ``{``. A ``{`` followed by anything but a letter is literal, so JSON
  bodies such as ``{"a": 1}`` pass through untouched.
- Any other ``{letters...}`` is an error that names the macro and the macros that would work.

Date formats are LDML/Java patterns such as ``yyyy-MM-dd'T'HH:mm:ss'Z'`` (letters are fields;
literal text is quoted), or ``epoch`` (unix seconds), ``epoch_ms`` (unix milliseconds) or ``iso``
(``2026-01-01T00:00:00Z``). Moments are always written in UTC. Rendered values are not URL-encoded:
that is the caller's job, since only the caller knows where the text goes.
"""

from __future__ import annotations

import calendar
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from babel import Locale
from babel.dates import PATTERN_CHARS, format_datetime

from trunkline.core.errors import MacroError

TimeUnit = Literal["minute", "hour", "day", "week", "month"]

DEFAULT_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'"
NAMED_FORMATS = ("epoch", "epoch_ms", "iso")

_LOCALE = Locale.parse("en_US")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SAMPLE_MOMENT = datetime(2026, 1, 31, 13, 5, 9, tzinfo=UTC)
_UNIT_STEP = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_FORMS = "{now}, {now-N}, {now+N}, (now-N)"
_MAX_NAMES_SHOWN = 20
_EXCERPT = 60

# One scan finds every token: the {{ escape, a {macro} starting with a letter, or a (now...) macro.
_TOKEN = re.compile(
    r"\{\{"
    r"|\{(?P<brace>[A-Za-z][^{}]*)\}"
    r"|\((?P<paren>now\s*(?:[+-]\s*\d+)?\s*(?:\|[^()]*)?)\)"
)
_DATE = re.compile(r"now\s*(?:(?P<sign>[+-])\s*(?P<amount>\d+))?\s*(?:\|(?P<format>.*))?", re.DOTALL)


@dataclass(frozen=True)
class MacroContext:
    """Everything a macro may refer to while one request is rendered.

    ``now`` should be timezone-aware; a naive value is taken as UTC. ``date_format`` and
    ``time_unit`` apply to date macros without a format of their own. ``values`` holds named
    values such as ``{"lookup.id": "abc"}``.
    """

    now: datetime
    date_format: str = DEFAULT_DATE_FORMAT
    time_unit: TimeUnit = "day"
    values: Mapping[str, Any] = field(default_factory=dict)


def has_macros(text: str) -> bool:
    """Whether ``text`` may hold a macro (without it, rendering gives ``text`` back as it is)."""
    return "{" in text or "(now" in text


def render(text: str, ctx: MacroContext, *, where: str = "value") -> str:
    """Replace every macro in ``text``; ``where`` (a config path) is named in any error."""
    if not has_macros(text):
        return text
    return _TOKEN.sub(lambda match: _replace(match, text, ctx, where), text)


def render_value(value: Any, ctx: MacroContext, *, where: str = "value") -> Any:
    """Render macros in every string inside ``value``, recursing into dict values and list items.

    Dict keys and non-string scalars are returned unchanged; errors name the nested location
    (``source.body.filter.start``, ``source.body.ids[2]``).
    """
    if isinstance(value, str):
        return render(value, ctx, where=where)
    if isinstance(value, Mapping):
        return {key: render_value(item, ctx, where=f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, ctx, where=f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def macro_names(text: str) -> list[str]:
    """The macros ``text`` uses, in order of first use, without braces (``now-1``, ``lookup.id``).

    Parenthesised date macros are listed like braced ones; ``{{`` escapes are not macros.
    """
    names: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        body = match.group("brace") or match.group("paren")
        if body is not None:
            names[_canonical(body)] = None
    return list(names)


def shift(moment: datetime, amount: int, unit: TimeUnit) -> datetime:
    """``moment`` moved by ``amount`` units (negative goes back).

    Month arithmetic keeps the time of day and clamps the day to the target month's length
    (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year). Raises ``OverflowError`` or
    ``ValueError`` when the result falls outside the years 1-9999.
    """
    if unit == "month":
        months = moment.year * 12 + moment.month - 1 + amount
        year, month = divmod(months, 12)
        month += 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    return moment + _UNIT_STEP[unit] * amount


def format_moment(moment: datetime, date_format: str) -> str:
    """Write ``moment`` in UTC with an LDML/Java pattern, or as ``epoch``, ``epoch_ms`` or ``iso``.

    A naive ``moment`` is taken as UTC. Raises ``MacroError`` for an unusable pattern.
    """
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if date_format == "epoch":
        return str((moment - _EPOCH) // timedelta(seconds=1))
    if date_format == "epoch_ms":
        return str((moment - _EPOCH) // timedelta(milliseconds=1))
    if date_format == "iso":
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    check_format(date_format)
    return _format_pattern(moment, date_format)


def check_format(date_format: str, *, where: str = "date_format") -> None:
    """Raise ``MacroError`` naming ``where`` unless ``date_format`` is usable.

    Usable means ``epoch``, ``epoch_ms``, ``iso``, or an LDML/Java pattern whose letters are all
    date fields and whose quotes are closed. Each pattern is checked once and the verdict cached.
    """
    if date_format in NAMED_FORMATS:
        return
    problem = _pattern_problem(date_format)
    if problem is not None:
        raise MacroError(
            where,
            f"bad date format {date_format!r}: {problem}",
            fix=f"use an LDML pattern such as {DEFAULT_DATE_FORMAT}, or one of: {', '.join(NAMED_FORMATS)}",
        )


def _replace(match: re.Match[str], text: str, ctx: MacroContext, where: str) -> str:
    """The text one token of ``_TOKEN`` renders to."""
    body = match.group("brace") or match.group("paren")
    if body is None:
        return "{"
    date = _DATE.fullmatch(body)
    if date:
        return _render_date(date, body, ctx, where)
    found, value = _lookup(ctx.values, body)
    if not found:
        raise _unknown(body, text, match, ctx, where)
    return value_text(value)


def _render_date(date: re.Match[str], body: str, ctx: MacroContext, where: str) -> str:
    """Render a matched date macro (``now``, ``now-N``, ``now+N`` with an optional format)."""
    own_format = date.group("format")
    date_format = ctx.date_format if own_format is None else own_format.strip()
    try:
        amount = int(date.group("amount") or 0)
        if date.group("sign") == "-":
            amount = -amount
        moment = shift(ctx.now, amount, ctx.time_unit)
    except (OverflowError, ValueError):
        raise MacroError(
            where,
            f"date macro {{{_excerpt(body, 0)}}} is out of range for time unit {ctx.time_unit!r}",
            fix="use a smaller offset or a larger time unit",
        ) from None
    check_format(date_format, where=where)
    return format_moment(moment, date_format)


def _lookup(values: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Find ``name`` as a whole key, or as a dotted path through nested mappings."""
    if name in values:
        return True, values[name]
    current: Any = values
    for part in name.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def value_text(value: Any) -> str:
    """How a value is written into text (a URL, a query parameter, a form field): ``None`` as nothing,
    booleans as ``true``/``false``, dicts and lists as compact JSON, anything else as ``str``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def _canonical(body: str) -> str:
    """A macro body with the spaces around its sign removed (``now - 1`` -> ``now-1``)."""
    date = _DATE.fullmatch(body)
    if not date:
        return body
    sign, amount, date_format = date.group("sign", "amount", "format")
    offset = f"{sign}{amount}" if sign else ""
    return f"now{offset}" + (f"|{date_format.strip()}" if date_format is not None else "")


def _unknown(body: str, text: str, match: re.Match[str], ctx: MacroContext, where: str) -> MacroError:
    """The error for a ``{name}`` that is neither a date macro nor a known value."""
    known = sorted(ctx.values)
    close = difflib.get_close_matches(body, [*known, "now"], n=1)
    hint = f"did you mean {{{close[0]}}}? " if close else ""
    if known:
        shown = ", ".join(f"{{{name}}}" for name in known[:_MAX_NAMES_SHOWN])
        more = f" (+{len(known) - _MAX_NAMES_SHOWN} more)" if len(known) > _MAX_NAMES_SHOWN else ""
        choices = f"use {_FORMS}, or one of: {shown}{more}"
    else:
        choices = f"use {_FORMS}; no lookup or field values are available here"
    return MacroError(
        where,
        f"unknown macro {{{body}}}",
        value=None if text == match.group(0) else _excerpt(text, match.start()),
        fix=f"{hint}{choices}; write {{{{ for a literal {{",
    )


def _excerpt(text: str, position: int) -> str:
    """``text`` itself when short, else the part around ``position``."""
    if len(text) <= 2 * _EXCERPT:
        return text
    start = max(0, position - _EXCERPT // 2)
    end = min(len(text), start + _EXCERPT)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


@lru_cache(maxsize=1024)
def _format_pattern(moment: datetime, pattern: str) -> str:
    """``moment`` (UTC) written with a checked LDML pattern; cached, as a run renders the same moments."""
    return format_datetime(moment, pattern, tzinfo=UTC, locale=_LOCALE)


@lru_cache(maxsize=256)
def _pattern_problem(pattern: str) -> str | None:
    """What makes ``pattern`` unusable as an LDML/Java date pattern, or ``None``."""
    if not pattern:
        return "the pattern is empty"
    quoted = False
    for char in pattern.replace("''", ""):
        if char == "'":
            quoted = not quoted
        elif not quoted and char.isascii() and char.isalpha() and char not in PATTERN_CHARS:
            return f"{char!r} is not a date field letter; quote literal text, as in 'T'"
    if quoted:
        return "a quote is not closed; literal text goes between single quotes, as in 'T'"
    try:
        format_datetime(_SAMPLE_MOMENT, pattern, tzinfo=UTC, locale=_LOCALE)
    except (ValueError, KeyError, TypeError) as error:
        return str(error).strip("'\"")
    return None
