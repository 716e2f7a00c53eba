"""How tests sign in to a Babelforce emulator: the credential block of a source or destination file."""

from __future__ import annotations

from typing import Any

from trunkline.emulators.server import RunningEmulator


def babelforce_credential(emulator: RunningEmulator) -> dict[str, Any]:
    """The emulator's own user and password (OAuth2 password grant) at its base URL."""
    creds = emulator.app.state.credentials
    return {"service": "babelforce", "base_url": emulator.base_url, "username": creds.username,
            "password": creds.password}
