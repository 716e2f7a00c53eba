"""SecretBox: key from TRUNKLINE_SECRET_KEY or home/secret.key (0600), clear errors, no leaks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from trunkline.core.errors import CredentialError
from trunkline.store.secrets import SecretBox


def test_round_trip_with_generated_key_file(tmp_path: Path) -> None:
    box = SecretBox.for_home(tmp_path)
    token = box.encrypt("hunter2 ✓")
    assert "hunter2" not in token
    assert box.decrypt(token) == "hunter2 ✓"
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_key_file_is_reused(tmp_path: Path) -> None:
    token = SecretBox.for_home(tmp_path).encrypt("s")
    key = (tmp_path / "secret.key").read_bytes()
    assert SecretBox.for_home(tmp_path).decrypt(token) == "s"
    assert (tmp_path / "secret.key").read_bytes() == key


def test_environment_key_is_used_and_no_file_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("TRUNKLINE_SECRET_KEY", key)
    token = SecretBox.for_home(tmp_path).encrypt("from-env")
    assert Fernet(key).decrypt(token) == b"from-env"
    assert not (tmp_path / "secret.key").exists()


def test_malformed_environment_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUNKLINE_SECRET_KEY", "not-a-real-key-value")
    with pytest.raises(CredentialError) as caught:
        SecretBox.for_home(tmp_path)
    message = str(caught.value)
    assert "TRUNKLINE_SECRET_KEY" in message
    assert "Fernet.generate_key()" in message
    assert "not-a-real-key-value" not in message


def test_wrong_key_says_the_key_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = SecretBox.for_home(tmp_path).encrypt("top-secret-value")
    monkeypatch.setenv("TRUNKLINE_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(CredentialError, match="key changed") as caught:
        SecretBox.for_home(tmp_path).decrypt(token)
    assert "top-secret-value" not in str(caught.value)
    assert "TRUNKLINE_SECRET_KEY" in str(caught.value)
