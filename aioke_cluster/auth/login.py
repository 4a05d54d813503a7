"""Checking a user's factors: password, TOTP with replay protection, and lockout.

Every failure looks the same to the caller (one 401 body), costs the same Argon2 time for
known and unknown users, and counts towards a lockout that grows 1, 2, 4 … minutes.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .. import audit
from ..middleware import request_id_var
from ..problems import Problem
from ..services import Services
from . import totp

BAD_LOGIN = "The username, password or code is wrong."


def bad_login() -> Problem:
    return Problem(401, "invalid-credentials", BAD_LOGIN, title="Login failed")


def locked(until: float, now: float) -> Problem:
    wait = max(1, int(until - now + 0.999))
    return Problem(
        423,
        "account-locked",
        f"Too many failed attempts: this account is locked for {wait} more seconds.",
        title="Account locked",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )


def find_user(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE name = ? AND disabled = 0", (name,)
    ).fetchone()
    return row


def check_not_locked(user: sqlite3.Row, now: float) -> None:
    if user["locked_until"] > now:
        raise locked(user["locked_until"], now)


def record_failure(services: Services, user: sqlite3.Row, reason: str) -> Problem:
    """Count a failed factor; lock the account at the threshold. Returns the problem to raise."""
    services.metrics.login_failures.labels(reason).inc()
    now, cfg = services.clock.now(), services.settings
    with services.db.write() as conn:
        failures = conn.execute(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? "
            "RETURNING failed_logins, lockouts",
            (user["id"],),
        ).fetchone()
        if failures["failed_logins"] < cfg.lockout_after_failures:
            return bad_login()
        seconds = min(cfg.lockout_base_seconds * 2 ** failures["lockouts"], cfg.lockout_max_seconds)
        conn.execute(
            "UPDATE users SET failed_logins = 0, lockouts = lockouts + 1, locked_until = ? "
            "WHERE id = ?",
            (now + seconds, user["id"]),
        )
        audit.append(
            conn,
            now=now,
            actor=user["name"],
            action="auth.lockout",
            resource=f"user/{user['name']}",
            after={"locked_for_seconds": seconds, "reason": reason},
            request_id=request_id_var.get(),
        )
    services.metrics.lockouts.inc()
    return locked(now + seconds, now)


def record_success(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute(
        "UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = 0 WHERE id = ?",
        (user_id,),
    )


def consume_code(services: Services, user: sqlite3.Row, code: str | None) -> bool:
    """Accept a code at most once: the step only moves forward, atomically.

    Of concurrent requests with the same code exactly one moves ``totp_last_t`` and wins;
    a code from an earlier step than one already accepted is refused too.
    """
    step = totp.matching_step(user["totp_secret"], code, services.clock.now())
    if step is None:
        return False
    with services.db.write() as conn:
        moved = conn.execute(
            "UPDATE users SET totp_last_t = ? WHERE id = ? AND totp_last_t < ?",
            (step, user["id"], step),
        ).rowcount
    return moved == 1


def user_json(user: sqlite3.Row) -> dict[str, Any]:
    return {"name": user["name"], "roles": json.loads(user["roles"])}
