"""Who is calling: the user behind a session token or an API key."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "operator", "chaos", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: int
    name: str
    roles: frozenset[str]
    session_id: str | None = None  # None for API keys, which can never step up
    api_key_id: int | None = None
    stepped_up_until: float = 0.0

    def has_role(self, role: str) -> bool:
        """Every user may read; admin holds every other role too."""
        return role == "viewer" or role in self.roles or "admin" in self.roles

    def is_stepped_up(self, now: float) -> bool:
        return self.session_id is not None and now < self.stepped_up_until
