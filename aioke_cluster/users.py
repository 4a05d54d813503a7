"""Creating users, shared by the CLI and the admin API."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .auth import totp
from .auth.passwords import Passwords, check_strength
from .auth.principal import ROLES


class UserError(ValueError):
    """A user that cannot be created as asked (said in one plain sentence)."""


def create_user(
    conn: sqlite3.Connection,
    passwords: Passwords,
    *,
    name: str,
    password: str,
    roles: list[str],
    now: float,
    enrolled: bool = False,
) -> tuple[int, str | None]:
    """Insert a user; returns (id, TOTP secret if enrolled now, else None)."""
    if not name or len(name) > 64 or not name.replace("-", "").replace(".", "").isalnum():
        raise UserError("user names are 1-64 letters, digits, '.' or '-'")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise UserError(f"roles must be some of {', '.join(ROLES)}")
    try:
        check_strength(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise UserError(f"a user named {name!r} already exists")
    secret = totp.new_secret() if enrolled else None
    cur = conn.execute(
        "INSERT INTO users (name, password_hash, roles, totp_secret, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, passwords.hash(password), json.dumps(sorted(set(roles))), secret, now),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid, secret


def user_json(row: sqlite3.Row, now: float) -> dict[str, Any]:
    return {
        "name": row["name"],
        "roles": json.loads(row["roles"]),
        "totp_enrolled": row["totp_secret"] is not None,
        "locked": row["locked_until"] > now,
        "disabled": bool(row["disabled"]),
        "version": row["version"],
    }
