"""Argon2id password hashing at or above OWASP's minimum (m = 19 MiB, t = 2, p = 1)."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12


class Passwords:
    def __init__(self, memory_kib: int = 19 * 1024, time_cost: int = 2, parallelism: int = 1):
        if memory_kib < 19 * 1024 or time_cost < 2:
            raise ValueError("Argon2id parameters below OWASP's minimum (m=19 MiB, t=2)")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # Unknown users are checked against this so they cost the same time as known ones.
        self._decoy = self._hasher.hash("decoy password that no one has")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
