"""Sessions that were created or written through the API.

Call sessions are derived on demand (``sessions.py``); the first write to one copies it here, and
later reads serve the stored copy. Sessions made with ``POST /api/v2/sessions`` live only here.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

Entity = dict[str, Any]


class SessionStore:
    """Written and created sessions by id (``SessionResponse`` items; times in epoch ms)."""

    def __init__(self) -> None:
        self.written: dict[str, Entity] = {}

    def get(self, session_id: str) -> Entity | None:
        """The stored session, or None if it was never created or written."""
        return self.written.get(session_id)

    def create(self, variables: Entity, now_ms: int, session_id: str | None = None) -> Entity:
        """Store a new valid session holding ``variables`` (null values dropped)."""
        session = {
            "id": session_id or secrets.token_hex(16),
            "valid": True,
            "created": now_ms,
            "last_access": now_ms,
            "data": {key: value for key, value in variables.items() if value is not None},
        }
        self.written[session["id"]] = session
        return session

    def update(self, current: Entity, changes: Entity, now_ms: int) -> Entity:
        """Merge ``changes`` into the variables of ``current`` (a key set to None deletes it), store the
        result and return it."""
        session = self.written.get(current["id"]) or copy.deepcopy(current)
        variables = session["data"]
        for key, value in changes.items():
            if value is None:
                variables.pop(key, None)
            else:
                variables[key] = value
        session["valid"] = True
        session["last_access"] = now_ms
        self.written[session["id"]] = session
        return session
