"""Locate trunkline's state directory (the "home") and make sure it exists."""

from __future__ import annotations

import os
from pathlib import Path

from trunkline.core.errors import ConfigError

HOME_ENV = "TRUNKLINE_HOME"
DEFAULT_HOME = "~/.trunkline"


def resolve_home(explicit: Path | str | None = None) -> Path:
    """Return the state directory, creating it with mode 0700 when it does not exist yet.

    Precedence: ``explicit`` (the CLI's ``--home``), then the ``TRUNKLINE_HOME`` environment
    variable, then ``~/.trunkline``. Empty values count as unset; a leading ``~`` is expanded.
    An existing directory is used as it is (its mode is left alone).
    """
    chosen = str(explicit) if explicit else os.environ.get(HOME_ENV) or DEFAULT_HOME
    home = Path(chosen).expanduser()
    if home.exists() and not home.is_dir():
        raise ConfigError(
            "home",
            "is not a directory",
            value=str(home),
            fix="pass --home (or set TRUNKLINE_HOME) to a directory",
        )
    if not home.exists():
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                "home",
                f"cannot be created ({exc.strerror})",
                value=str(home),
                fix="pass --home (or set TRUNKLINE_HOME) to a directory you can write to",
            ) from exc
        home.chmod(0o700)  # mkdir's mode is filtered through the umask; make it exact
    return home
