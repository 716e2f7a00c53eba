"""Encryption at rest for secrets (passwords, tokens, API keys) with a Fernet key.

The key comes from the ``TRUNKLINE_SECRET_KEY`` environment variable when it is set, else from
``<home>/secret.key``, which is generated on first use and is readable by its owner only.
No error raised here ever contains a key or a secret.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from trunkline.core.errors import CredentialError

KEY_ENV = "TRUNKLINE_SECRET_KEY"
KEY_FILE_NAME = "secret.key"
MAKE_KEY_COMMAND = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SecretBox:
    """Encrypts and decrypts short strings with one Fernet key.

    ``source`` says where the key came from (the environment variable or the key file); it is used
    in error messages only, so that they can say which key to restore.
    """

    def __init__(self, key: bytes | str, *, source: str) -> None:
        self.source = source
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise CredentialError(
                f"The secret key in {source} is not a valid Fernet key (32 url-safe base64-encoded bytes).",
                fix=f"put a key made with `{MAKE_KEY_COMMAND}` in {source}",
            ) from None

    @classmethod
    def for_home(cls, home: Path) -> SecretBox:
        """Return the box whose key is ``TRUNKLINE_SECRET_KEY`` if set, else the one in ``home/secret.key``.

        The key file is created (mode 0600) on first use.
        """
        env_key = os.environ.get(KEY_ENV, "").strip()
        if env_key:
            return cls(env_key, source=f"the {KEY_ENV} environment variable")
        key_file = Path(home) / KEY_FILE_NAME
        try:
            if not key_file.exists():
                _create_key_file(key_file)
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise CredentialError(
                f"The secret key file {key_file} cannot be created or read ({exc.strerror}).",
                fix=f"make {home} readable and writable by you, or set {KEY_ENV}",
            ) from None
        return cls(key, source=str(key_file))

    def encrypt(self, plain: str) -> str:
        """Encrypt ``plain`` and return the Fernet token as text."""
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt` with the same key.

        Raises :class:`CredentialError` when the key is not the one the token was made with.
        """
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise CredentialError(
                f"A stored secret cannot be decrypted with the key in {self.source}: "
                "the secret key changed since the secret was stored (or the stored value is damaged).",
                fix=f"restore the original key in {self.source}, "
                "or store the credential again with --replace so that it is encrypted with the current key",
            ) from None


def _create_key_file(key_file: Path) -> None:
    """Write a fresh key to ``key_file`` unless another process got there first.

    The key is written to a uniquely named file opened with ``O_CREAT | O_EXCL`` and mode 0600 (so it is
    never readable by others, not even briefly), then hard-linked to its final name: readers never see
    a half-written key, and a concurrent creator's key is never overwritten.
    """
    staging = key_file.with_name(f".{key_file.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(staging, key_file)
    finally:
        staging.unlink()
