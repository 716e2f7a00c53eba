"""Nexset names: safe as directory names and as command arguments."""

from __future__ import annotations

import re

from trunkline.core.errors import ConfigError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def is_nexset_name(name: str) -> bool:
    """Whether ``name`` is a valid nexset name."""
    return bool(_NAME.fullmatch(name))


def check_nexset_name(name: str) -> str:
    """Return ``name`` if it is a valid nexset name, else raise a :class:`ConfigError` that says why."""
    if not is_nexset_name(name):
        raise ConfigError(
            "nexset.name",
            "must be letters, digits, '-' and '_' (at most 100), starting with a letter or digit",
            value=name,
            fix="choose a name such as 'call-records'",
        )
    return name
