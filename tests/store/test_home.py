"""resolve_home: --home, then TRUNKLINE_HOME, then ~/.trunkline; created with mode 0700."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from trunkline.core.errors import ConfigError
from trunkline.store.home import resolve_home


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_explicit_home_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUNKLINE_HOME", str(tmp_path / "from-env"))
    home = resolve_home(tmp_path / "explicit")
    assert home == tmp_path / "explicit"
    assert home.is_dir()
    assert _mode(home) == 0o700
    assert not (tmp_path / "from-env").exists()


def test_environment_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUNKLINE_HOME", str(tmp_path / "from-env"))
    assert resolve_home() == tmp_path / "from-env"
    monkeypatch.delenv("TRUNKLINE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert resolve_home(None) == tmp_path / "user" / ".trunkline"
    assert _mode(tmp_path / "user" / ".trunkline") == 0o700


def test_existing_directory_is_kept_as_is(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir(mode=0o755)
    (tmp_path / "home").chmod(0o755)
    assert resolve_home(str(tmp_path / "home")) == tmp_path / "home"
    assert _mode(tmp_path / "home") == 0o755


def test_a_file_is_not_a_home(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        resolve_home(tmp_path / "file")
