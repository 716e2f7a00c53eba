"""Reading config files: YAML parsed safely, then ``${ENV}`` references expanded in every string.

``${NAME}`` is replaced by the environment variable NAME; ``${NAME:-fallback}`` uses ``fallback`` when
NAME is unset or empty. An unset variable without a fallback is an error that names the variable and
the config key that uses it. ``$${`` is a literal ``${``. Expansion happens after parsing, so values
(passwords with ``:`` or ``#``) never break the YAML.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from trunkline.core.errors import ConfigError

_ENV_REFERENCE = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_yaml_file(path: Path, *, root: str) -> dict[str, Any]:
    """Parse the YAML mapping in ``path`` and expand ``${ENV}`` references; ``root`` names it in errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(root, f"file {str(path)!r} does not exist", fix="check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(root, f"cannot read {str(path)!r}: {error}", fix="check the file") from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader that refuses repeated keys
    except _RepeatedKey as repeated:
        raise ConfigError(root, f"{path} writes the key {repeated.key!r} twice in one mapping (lines "
                          f"{repeated.first} and {repeated.second}); YAML would keep the second without a word",
                          fix="keep one of them") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(root, f"{path} is not valid YAML{where}", fix="fix the YAML syntax there") from None
    if not isinstance(document, Mapping):
        raise ConfigError(root, f"{path} must hold a YAML mapping (key: value lines)",
                          fix="see docs/configuration.md for the file's keys")
    return expand_env(dict(document), root)


class _RepeatedKey(Exception):
    """A mapping of the file names one key twice."""

    def __init__(self, key: object, first: int, second: int) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice in one mapping is an error, not a silent override
    (keys brought in by a ``<<`` merge may still be overridden, as YAML means them to be)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    lines: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            continue
        line = key_node.start_mark.line + 1
        if key in lines:
            raise _RepeatedKey(key, lines[key], line)
        lines[key] = line
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def expand_env(value: Any, where: str, environ: Mapping[str, str] | None = None) -> Any:
    """``value`` with ``${ENV}`` references expanded in every string, recursively."""
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        return _expand_string(value, where, env)
    if isinstance(value, Mapping):
        return {key: expand_env(item, f"{where}.{key}", env) for key, item in value.items()}
    if isinstance(value, list):
        return [expand_env(item, f"{where}[{index}]", env) for index, item in enumerate(value)]
    return value


def _expand_string(text: str, where: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, name, fallback = match.groups()
        if escaped:
            return match.group(0)[1:]
        found = env.get(name)
        if found:
            return found
        if fallback is not None:
            return fallback
        raise ConfigError(where, f"uses ${{{name}}} but the environment variable {name} is not set",
                          fix=f"export {name}=... before running, or write ${{{name}:-default}}")

    return _ENV_REFERENCE.sub(replace, text)
