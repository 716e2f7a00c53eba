"""A small RSQL subset for the v3 ``filter`` parameter, e.g.
``type==babelforce.call.inbound;state=in=('Scheduled','Assigned');created_at=gt=1610115403866``.

Supported: ``;`` (and), ``,`` (or; binds tighter than ``;`` here), ``==`` (``*`` wildcards), ``!=``,
``=gt=``, ``=ge=``, ``=lt=``, ``=le=``, ``=in=(…)``, ``=out=(…)``; fields may be dotted (``body.subject``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from .errors import ApiError

Predicate = Callable[[dict[str, Any]], bool]

_COMPARISON = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(==|!=|=[a-z]+=)\s*(.*?)\s*$")
_ORDERING = {
    "=gt=": lambda a, b: a > b,
    "=ge=": lambda a, b: a >= b,
    "=lt=": lambda a, b: a < b,
    "=le=": lambda a, b: a <= b,
}


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _field(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _comparison(term: str) -> Predicate:
    match = _COMPARISON.match(term)
    if match is None:
        raise ApiError(400, f"cannot parse filter expression '{term}'")
    path, operator, raw = match.groups()
    if operator in ("=in=", "=out="):
        if not (raw.startswith("(") and raw.endswith(")")):
            raise ApiError(400, f"'{operator}' needs a parenthesised list in '{term}'")
        options = {_unquote(option) for option in _split(raw[1:-1], ",")}
        inside = operator == "=in="
        return lambda record: (_text(_field(record, path)) in options) is inside
    value = _unquote(raw)
    if operator == "==":
        return lambda record: fnmatchcase(_text(_field(record, path)), value)
    if operator == "!=":
        return lambda record: not fnmatchcase(_text(_field(record, path)), value)
    if operator not in _ORDERING:
        raise ApiError(400, f"unknown filter operator '{operator}' in '{term}'")
    try:
        bound = float(value)
    except ValueError:
        raise ApiError(400, f"'{operator}' needs a number in '{term}'") from None
    order = _ORDERING[operator]

    def compare(record: dict[str, Any]) -> bool:
        actual = _field(record, path)
        return isinstance(actual, int | float) and not isinstance(actual, bool) and order(actual, bound)

    return compare


def parse(expression: str) -> Predicate:
    """Compile an RSQL expression into a predicate over records; raises a 400 ``ApiError`` if invalid."""
    clauses = [[_comparison(term) for term in _split(clause, ",")] for clause in _split(expression, ";")]
    return lambda record: all(any(check(record) for check in clause) for clause in clauses)
