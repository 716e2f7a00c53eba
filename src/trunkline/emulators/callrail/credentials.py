"""The API key and account ids the emulator accepts, derived from the seed."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Credentials:
    """The one API key the emulator accepts (an admin user's key) and the account it belongs to:
    ``account_id`` is the ``ACC…`` id, ``numeric_account_id`` the 9-digit id of the web UI's URLs."""

    api_key: str
    account_id: str
    numeric_account_id: int


def make_credentials(seed: int) -> Credentials:
    """The credentials for ``seed``: the same seed always gives the same key and ids."""
    rng = random.Random(f"callrail-credentials:{seed}")
    return Credentials(
        api_key=f"{rng.getrandbits(128):032x}",
        account_id=f"ACC{rng.getrandbits(128):032x}",
        numeric_account_id=rng.randint(100_000_000, 999_999_999),
    )
