"""CredentialStore: round trips, secrets encrypted in the database file, masked listings."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from trunkline.core.errors import ConfigError, CredentialError
from trunkline.store.credentials import CredentialStore, mask

PASSWORD = "pa55-word-SECRET-1"
HEADER_VALUE = "Bearer header-SECRET-2"
TOKEN = "token-SECRET-3"

BABELFORCE = {
    "service": "babelforce",
    "base_url": "https://services.babelforce.com",
    "username": "ops@example.com",
    "password": PASSWORD,
    "headers": {"X-Custom": HEADER_VALUE},
}
CALLRAIL = {"service": "callrail", "environment": "prod", "token": TOKEN, "account_id": "ACC123"}


@pytest.fixture
def store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path)


def _stored_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in home.glob("trunkline.db*"))


def test_add_get_round_trip(store: CredentialStore) -> None:
    store.add("bf-prod", BABELFORCE)
    store.add("cr", CALLRAIL)
    assert store.get("bf-prod") == BABELFORCE
    assert store.get("cr") == CALLRAIL


def test_secrets_are_never_in_clear_in_the_database(store: CredentialStore, tmp_path: Path) -> None:
    store.add("bf-prod", BABELFORCE)
    store.add("cr", CALLRAIL)
    raw = _stored_bytes(tmp_path)
    for secret in (PASSWORD, HEADER_VALUE, TOKEN):
        assert secret.encode() not in raw
    assert b"ops@example.com" in raw  # non-secret fields stay in clear
    with sqlite3.connect(tmp_path / "trunkline.db") as db:
        (fields,) = db.execute("SELECT fields FROM credentials WHERE name = 'bf-prod'").fetchone()
    stored = json.loads(fields)
    assert set(stored["password"]) == {"encrypted"}
    assert set(stored["headers"]["X-Custom"]) == {"encrypted"}
    assert stored["base_url"] == BABELFORCE["base_url"]


def test_database_and_key_file_are_private(store: CredentialStore, tmp_path: Path) -> None:
    store.add("bf-prod", BABELFORCE)
    assert stat.S_IMODE((tmp_path / "trunkline.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_list_masks_secrets(store: CredentialStore) -> None:
    store.add("cr", CALLRAIL)
    store.add("bf-prod", BABELFORCE)
    listing = store.list()
    assert [entry["name"] for entry in listing] == ["bf-prod", "cr"]
    bf, cr = listing
    assert bf["service"] == "babelforce"
    assert bf["base_url"] == BABELFORCE["base_url"]
    assert bf["environment"] is None
    assert bf["password"] == "****"
    assert bf["headers"] == {"X-Custom": "****"}
    assert cr["environment"] == "prod"
    assert cr["token"] == "****"
    assert bf["created_at"] and cr["updated_at"]
    for secret in (PASSWORD, HEADER_VALUE, TOKEN):
        assert secret not in json.dumps(listing)


def test_list_needs_no_key(store: CredentialStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add("cr", CALLRAIL)
    monkeypatch.setenv("TRUNKLINE_SECRET_KEY", "malformed")
    assert CredentialStore(store.home).list()[0]["token"] == "****"


def test_existing_name_needs_replace(store: CredentialStore) -> None:
    store.add("cr", CALLRAIL)
    with pytest.raises(CredentialError, match="--replace"):
        store.add("cr", {"service": "callrail", "token": "other"})
    created = store.list()[0]["created_at"]
    store.add("cr", {"service": "callrail", "token": "other"}, replace=True)
    assert store.get("cr") == {"service": "callrail", "token": "other"}
    assert store.list()[0]["created_at"] == created


def test_unknown_name_lists_known_names(store: CredentialStore) -> None:
    with pytest.raises(CredentialError, match="No credentials are stored yet"):
        store.get("nope")
    store.add("bf-prod", BABELFORCE)
    store.add("cr", CALLRAIL)
    with pytest.raises(CredentialError, match="Known credentials: bf-prod, cr"):
        store.get("nope")


def test_remove(store: CredentialStore) -> None:
    store.add("cr", CALLRAIL)
    store.remove("cr")
    assert store.list() == []
    with pytest.raises(CredentialError, match="No credential named 'cr'"):
        store.remove("cr")


@pytest.mark.parametrize("name", ["", "has space", "semi;colon", "slash/name"])
def test_invalid_names(store: CredentialStore, name: str) -> None:
    with pytest.raises(ConfigError, match="credential.name"):
        store.add(name, CALLRAIL)


def test_wrong_key_names_the_credential_and_hides_the_secret(
    store: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add("bf-prod", BABELFORCE)
    monkeypatch.setenv("TRUNKLINE_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(CredentialError, match="key changed") as caught:
        CredentialStore(store.home).get("bf-prod")
    assert "'bf-prod'" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_environment_key_works_end_to_end(store: CredentialStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUNKLINE_SECRET_KEY", Fernet.generate_key().decode())
    store.add("cr", CALLRAIL)
    assert CredentialStore(store.home).get("cr") == CALLRAIL
    assert not (store.home / "secret.key").exists()


def test_nested_secrets_and_non_string_values_round_trip(store: CredentialStore, tmp_path: Path) -> None:
    fields = {"service": "rest", "auth": {"client_secret": "nested-SECRET-4", "api_key": 12345678901}}
    store.add("nested", fields)
    assert store.get("nested") == fields
    assert b"nested-SECRET-4" not in _stored_bytes(tmp_path)


def test_mask() -> None:
    fields = {**BABELFORCE, "api_key": "k", "auth": {"token": "t"}}
    masked = mask(fields)
    assert masked == {
        "service": "babelforce",
        "base_url": BABELFORCE["base_url"],
        "username": "ops@example.com",
        "password": "****",
        "headers": {"X-Custom": "****"},
        "api_key": "****",
        "auth": {"token": "****"},
    }
    assert fields["password"] == PASSWORD  # the input is left alone
