"""Named credentials, kept in the home's SQLite database with their secrets encrypted.

A credential is a mapping of fields (``service``, ``base_url``, ``username``, ``password``, ``headers``...).
Secret values are the fields named in :data:`SECRET_FIELDS` and every value of a ``headers`` mapping,
wherever they sit in the credential (nested mappings and lists included). In the database each secret
value is replaced by ``{"encrypted": "<fernet token>"}`` (the token holds the value's JSON encoding, so
non-string values come back with their type); every other field stays in clear.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from trunkline.core.errors import ConfigError, CredentialError
from trunkline.core.urls import MASK
from trunkline.store.secrets import SecretBox

SECRET_FIELDS = frozenset({"password", "access_token", "token", "api_key", "client_secret"})
DB_FILE_NAME = "trunkline.db"

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_LISTED_FIELDS = ("service", "base_url", "environment")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials (
    name TEXT PRIMARY KEY,
    service TEXT,
    fields TEXT,
    created_at TEXT,
    updated_at TEXT
)
"""


def mask(fields: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``fields`` with every secret value replaced by ``"****"``.

    The input is not modified.
    """
    return _map_secrets(fields, lambda _value: MASK)


class CredentialStore:
    """Adds, reads, lists and removes named credentials in ``home/trunkline.db``.

    The database file is created with mode 0600 on first use. The encryption key is only loaded
    (and, the first time, generated) when a secret must be encrypted or decrypted.
    """

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.db_path = self.home / DB_FILE_NAME

    @cached_property
    def _box(self) -> SecretBox:
        return SecretBox.for_home(self.home)

    def add(self, name: str, fields: dict[str, Any], *, replace: bool = False) -> None:
        """Store ``fields`` under ``name``, encrypting the secret values.

        An existing name is an error unless ``replace`` is true; replacing keeps the original
        ``created_at`` and updates ``updated_at``.
        """
        _check_name(name)
        stored = json.dumps(_map_secrets(fields, self._encrypt_value), ensure_ascii=False)
        service = fields.get("service")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db() as db:
            if replace:
                db.execute(
                    "INSERT INTO credentials (name, service, fields, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                    " service = excluded.service, fields = excluded.fields, updated_at = excluded.updated_at",
                    (name, service, stored, now, now),
                )
                return
            try:
                db.execute(
                    "INSERT INTO credentials (name, service, fields, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (name, service, stored, now, now),
                )
            except sqlite3.IntegrityError:
                raise CredentialError(
                    f"A credential named {name!r} already exists.",
                    fix="add --replace to overwrite it, or choose another name",
                ) from None

    def get(self, name: str) -> dict[str, Any]:
        """Return the fields stored under ``name``, with secrets decrypted."""
        with self._db() as db:
            row = db.execute("SELECT fields FROM credentials WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise self._unknown(db, name)
        try:
            return _map_secrets(json.loads(row[0]), self._decrypt_value)
        except CredentialError as exc:
            raise CredentialError(f"Credential {name!r}: {exc.message}", fix=exc.fix) from None

    def list(self) -> list[dict[str, Any]]:
        """Describe every credential, sorted by name, without decrypting anything.

        Each entry has ``name``, ``service``, ``base_url``, ``environment`` (``None`` when the
        credential has no such field), ``created_at``, ``updated_at``, and every secret field
        the credential has (``headers`` included) masked as ``"****"``.
        """
        with self._db() as db:
            rows = db.execute(
                "SELECT name, fields, created_at, updated_at FROM credentials ORDER BY name"
            ).fetchall()
        entries = []
        for name, stored, created_at, updated_at in rows:
            fields = json.loads(stored)
            entry: dict[str, Any] = {"name": name}
            entry.update({key: fields.get(key) for key in _LISTED_FIELDS})
            entry.update({key: MASK for key in fields if key in SECRET_FIELDS})
            if "headers" in fields:
                entry["headers"] = mask({"headers": fields["headers"]})["headers"]
            entry.update(created_at=created_at, updated_at=updated_at)
            entries.append(entry)
        return entries

    def remove(self, name: str) -> None:
        """Delete the credential named ``name``."""
        with self._db() as db:
            if db.execute("DELETE FROM credentials WHERE name = ?", (name,)).rowcount == 0:
                raise self._unknown(db, name)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """Open the database (creating it with mode 0600), yield it in a transaction, close it."""
        if not self.db_path.exists():
            os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT, 0o600))
        with closing(sqlite3.connect(self.db_path)) as db, db:
            db.execute(_SCHEMA)
            yield db

    @staticmethod
    def _unknown(db: sqlite3.Connection, name: str) -> CredentialError:
        known = [row[0] for row in db.execute("SELECT name FROM credentials ORDER BY name")]
        listing = f"Known credentials: {', '.join(known)}." if known else "No credentials are stored yet."
        return CredentialError(
            f"No credential named {name!r}. {listing}",
            fix="use one of the known names, or add the credential first",
        )

    def _encrypt_value(self, value: Any) -> dict[str, str]:
        return {"encrypted": self._box.encrypt(json.dumps(value, ensure_ascii=False))}

    def _decrypt_value(self, stored: Any) -> Any:
        return json.loads(self._box.decrypt(stored["encrypted"]))


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(
            "credential.name",
            "may contain only letters, digits, '_', '.' and '-'",
            value=name,
            fix="choose a name such as 'babelforce-prod'",
        )


def _map_secrets(value: Any, convert: Callable[[Any], Any]) -> Any:
    """Copy ``value``, applying ``convert`` to each secret value found in it.

    Secret values are those under a key in :data:`SECRET_FIELDS` and the values of a ``headers``
    mapping, at any depth; a ``headers`` value that is not a mapping is one secret as a whole.
    """
    if isinstance(value, dict):
        copied = {}
        for key, item in value.items():
            if key in SECRET_FIELDS or (key == "headers" and not isinstance(item, dict)):
                copied[key] = convert(item)
            elif key == "headers":
                copied[key] = {header: convert(header_value) for header, header_value in item.items()}
            else:
                copied[key] = _map_secrets(item, convert)
        return copied
    if isinstance(value, list):
        return [_map_secrets(item, convert) for item in value]
    return value
