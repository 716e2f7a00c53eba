"""How tests sign in to a Babelforce emulator: the credential block of a source or destination file."""

from __future__ import annotations

from typing import Any

import httpx

from trunkline.emulators.server import RunningEmulator


def babelforce_credential(emulator: RunningEmulator) -> dict[str, Any]:
    """The emulator's own user and password (OAuth2 password grant) at its base URL."""
    creds = emulator.app.state.credentials
    return {"service": "babelforce", "base_url": emulator.base_url, "username": creds.username,
            "password": creds.password}


def access_headers(emulator: RunningEmulator) -> dict[str, str]:
    """The emulator's access-id/token headers, for a test's own calls to its API."""
    creds = emulator.app.state.credentials
    return {"X-Auth-Access-Id": creds.access_id, "X-Auth-Access-Token": creds.access_token}


def new_outbound_list(emulator: RunningEmulator, name: str) -> str:
    """Create an outbound list in the emulator; return its id."""
    response = httpx.post(f"{emulator.base_url}/api/v2/outbound/lists", json={"name": name},
                          headers=access_headers(emulator))
    return response.raise_for_status().json()["item"]["id"]
