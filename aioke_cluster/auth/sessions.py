"""Opaque tokens, stored only as SHA-256: sessions, refresh rotation with reuse detection
(and a short window for retries of a lost answer), API keys, and turning an Authorization
header into a :class:`Principal`."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..problems import Problem
from ..services import Services
from .principal import Principal

API_KEY_PREFIX = "aioke_sk_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(24)  # 192 bits


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str

    def to_json(self, user: sqlite3.Row) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "user": {"name": user["name"], "roles": json.loads(user["roles"])},
        }


def _insert_pair(conn: sqlite3.Connection, services: Services, session_id: str) -> IssuedTokens:
    now, cfg = services.clock.now(), services.settings
    access, refresh = new_token(), new_token()
    conn.executemany(
        "INSERT INTO tokens (hash, session_id, kind, expires_at) VALUES (?, ?, ?, ?)",
        [
            (digest(access), session_id, "access", now + cfg.access_token_seconds),
            (digest(refresh), session_id, "refresh", now + cfg.refresh_token_seconds),
        ],
    )
    return IssuedTokens(access, refresh, cfg.access_token_seconds, session_id)


def start_session(conn: sqlite3.Connection, services: Services, user_id: int) -> IssuedTokens:
    now = services.clock.now()
    session_id = secrets.token_hex(16)
    conn.execute(
        "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (session_id, user_id, now, now + services.settings.refresh_token_seconds),
    )
    return _insert_pair(conn, services, session_id)


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did. ``outcome``: ``rotated``; ``retried`` (a rotated token came back
    while the pair that replaced it was unused: the answer was lost, a new pair replaces
    that one); ``reused`` (any other return of a rotated token: the session is revoked); or
    ``refused`` (unknown, expired or revoked). ``row`` is the token's row, with its session's
    ``user_id``, when the token is known."""

    outcome: str
    tokens: IssuedTokens | None = None
    row: sqlite3.Row | None = None


def rotate_refresh(conn: sqlite3.Connection, services: Services, refresh_token: str) -> Refreshed:
    """New tokens for a live refresh token. A rotated token used again is a theft signal
    and revokes the whole session, unless it is the retry of a refresh whose answer was
    lost (see :func:`_retry_of_lost_answer`). Call inside a write transaction."""
    now = services.clock.now()
    row = conn.execute(
        "SELECT t.*, s.user_id, s.revoked_at FROM tokens t JOIN sessions s ON s.id = t.session_id"
        " WHERE t.hash = ? AND t.kind = 'refresh'",
        (digest(refresh_token),),
    ).fetchone()
    if row is None or row["revoked_at"] is not None:
        return Refreshed("refused")
    claimed = conn.execute(
        "UPDATE tokens SET rotated_at = ? WHERE hash = ? AND rotated_at IS NULL",
        (now, row["hash"]),
    ).rowcount
    if claimed != 1:
        retried = _retry_of_lost_answer(conn, services, row)
        if retried is not None:
            return Refreshed("retried", retried, row)
        revoke_session(conn, row["session_id"], now, "refresh token reused")
        return Refreshed("reused", None, row)
    if row["expires_at"] <= now:
        return Refreshed("refused")
    issued = _insert_pair(conn, services, row["session_id"])
    conn.execute(
        "INSERT INTO rotations (rotated, refresh, access) VALUES (?, ?, ?)",
        (row["hash"], digest(issued.refresh_token), digest(issued.access_token)),
    )
    return Refreshed("rotated", issued, row)


def _retry_of_lost_answer(
    conn: sqlite3.Connection, services: Services, row: sqlite3.Row
) -> IssuedTokens | None:
    """A new pair when a rotated refresh token comes back within the retry window and the
    pair that replaced it was never used (no refresh with it, no request with its access
    token: ``services.recent_uses``), so the client cannot have received it. That pair dies:
    its refresh token counts as rotated, so presenting it later is a reuse, and its access
    token expires now. Nothing is replayed: the tokens are only known as hashes."""
    now = services.clock.now()
    if now - row["rotated_at"] > services.settings.refresh_retry_seconds:
        return None
    if row["expires_at"] <= now:
        return None
    unused = conn.execute(
        "SELECT r.refresh, r.access FROM rotations r JOIN tokens t ON t.hash = r.refresh"
        " WHERE r.rotated = ? AND t.rotated_at IS NULL",
        (row["hash"],),
    ).fetchone()
    if unused is None or services.recent_uses.seen(unused["access"]):
        return None
    conn.execute("UPDATE tokens SET rotated_at = ? WHERE hash = ?", (now, unused["refresh"]))
    conn.execute("UPDATE tokens SET expires_at = ? WHERE hash = ?", (now, unused["access"]))
    issued = _insert_pair(conn, services, row["session_id"])
    conn.execute(
        "UPDATE rotations SET refresh = ?, access = ? WHERE rotated = ?",
        (digest(issued.refresh_token), digest(issued.access_token), row["hash"]),
    )
    return issued


def revoke_session(conn: sqlite3.Connection, session_id: str, now: float, reason: str) -> None:
    conn.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
        "WHERE id = ? AND revoked_at IS NULL",
        (now, reason, session_id),
    )


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="aioke"'}
    )


def authenticate(services: Services, authorization: str | None) -> Principal:
    """The principal behind ``Authorization: Bearer …`` (a session token or an API key)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Log in first: this request carries no bearer token.")
    now = services.clock.now()
    with services.db.read() as conn:
        if token.startswith(API_KEY_PREFIX):
            row = conn.execute(
                "SELECT k.id, k.roles, u.id AS user_id, u.name, u.roles AS user_roles "
                "FROM api_keys k JOIN users u ON u.id = k.user_id "
                "WHERE k.hash = ? AND k.revoked_at IS NULL AND u.disabled = 0",
                (digest(token),),
            ).fetchone()
            if row is None:
                raise _unauthorized("This API key is unknown or revoked.")
            # A key never holds more than its owner holds today.
            owner = Principal(row["user_id"], row["name"], frozenset(json.loads(row["user_roles"])))
            roles = {r for r in json.loads(row["roles"]) if owner.has_role(r)}
            return Principal(row["user_id"], row["name"], frozenset(roles), api_key_id=row["id"])
        row = conn.execute(
            "SELECT s.id AS session_id, s.stepped_up_until, u.id AS user_id, u.name, u.roles, "
            "t.expires_at, r.access IS NOT NULL AS issued_by_refresh "
            "FROM tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id "
            "LEFT JOIN rotations r ON r.access = t.hash "
            "WHERE t.hash = ? AND t.kind = 'access' AND t.expires_at > ? "
            "AND s.revoked_at IS NULL AND u.disabled = 0",
            (digest(token), now),
        ).fetchone()
    if row is None:
        raise _unauthorized("Your session has expired or was ended; refresh or log in again.")
    if row["issued_by_refresh"]:  # its refresh can no longer pass for a lost answer's retry
        cfg = services.settings
        issued_at = row["expires_at"] - cfg.access_token_seconds
        services.recent_uses.note(digest(token), issued_at, now, cfg.refresh_retry_seconds)
    return Principal(
        row["user_id"],
        row["name"],
        frozenset(json.loads(row["roles"])),
        session_id=row["session_id"],
        stepped_up_until=row["stepped_up_until"],
    )
