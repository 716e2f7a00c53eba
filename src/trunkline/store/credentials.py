"""Named credentials, kept in the home's SQLite database with their secrets encrypted.

A credential is a mapping of fields (``service``, ``base_url``, ``username``, ``password``, ``headers``...).
Secret values are the fields named in :data:`SECRET_FIELDS` and every value of a ``headers`` mapping,
wherever they sit in the credential (nested mappings and lists included). In the database each secret
value is replaced by ``{"encrypted": "<fernet token>"}`` (the token holds the value's JSON encoding, so
non-string values come back with their type); every other field stays in clear.

:func:`mask_headers` masks the secret-carrying headers a source or destination writes in its own
``headers:`` (``Authorization``, cookies, ``X-Api-Key``…) for everything shown to a user.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from trunkline.core.errors import ConfigError, CredentialError
from trunkline.core.urls import MASK
from trunkline.store.secrets import SecretBox

SECRET_FIELDS = frozenset({"password", "access_token", "token", "api_key", "client_secret"})
#: Headers whose value is a secret whatever it looks like (compared case-insensitively).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: A header whose name contains one of these words (case-insensitively) carries a secret too.
SECRET_HEADER_WORDS = ("key", "token", "secret", "password", "auth", "session", "signature")
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


def is_secret_header(name: str) -> bool:
    """Whether a header named ``name`` carries a secret: ``Authorization``, ``Proxy-Authorization``,
    ``Cookie``, ``Set-Cookie``, or a name containing key, token, secret, password, auth, session or
    signature (case-insensitive)."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_HEADER_WORDS)


def mask_header_value(name: str, value: str) -> str:
    """``value`` as it may be shown for a header named ``name``: unchanged for a header that carries no
    secret, ``****`` for one that does. An ``Authorization`` or ``Proxy-Authorization`` value keeps its
    scheme word (``Bearer ****``, ``Basic ****``) and the names of quoted parameters
    (``Token token="****"``). An empty value stays empty: there is nothing to hide."""
    if not isinstance(value, str) or not value or not is_secret_header(name):
        return value
    if name.lower() not in ("authorization", "proxy-authorization"):
        return MASK
    scheme = _AUTH_SCHEME.fullmatch(value)
    if scheme is None:
        return MASK
    word, params = scheme.group(1), scheme.group(2)
    if _QUOTED_PARAMS.fullmatch(params):
        return f"{word} " + _QUOTED_PARAM.sub(lambda found: f'{found.group(1)}="{MASK}"', params)
    return f"{word} {MASK}"


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the value of every secret-carrying header masked (see
    :func:`mask_header_value`); the input is not modified. For showing only: requests carry the real values."""
    return {name: mask_header_value(name, value) for name, value in headers.items()}


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


#: ``Scheme rest``: a scheme word (a letter first, short, no quotes) then its credentials.
_AUTH_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9._-]{0,19})\s+(\S.*?)\s*", re.DOTALL)
_PARAM_NAME = r"[A-Za-z][A-Za-z0-9_-]*"
_QUOTED_VALUE = r'"(?:[^"\\]|\\.)*"'
#: One ``name="value"`` auth parameter (the value an RFC 9110 quoted string), its name in group 1.
_QUOTED_PARAM = re.compile(rf"({_PARAM_NAME})\s*=\s*{_QUOTED_VALUE}")
#: Credentials made of quoted parameters only (``token="…"``, ``realm="…", nonce="…"``): their names are kept.
_QUOTED_PARAMS = re.compile(rf"{_PARAM_NAME}\s*=\s*{_QUOTED_VALUE}(?:\s*,\s*{_PARAM_NAME}\s*=\s*{_QUOTED_VALUE})*")


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
