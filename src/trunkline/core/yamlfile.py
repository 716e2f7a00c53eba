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
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(root, f"{path} is not valid YAML{where}", fix="fix the YAML syntax there") from None
    if not isinstance(document, Mapping):
        raise ConfigError(root, f"{path} must hold a YAML mapping (key: value lines)",
                          fix="see docs/configuration.md for the file's keys")
    return expand_env(dict(document), root)


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
