"""Issue 10 #13, the control plane's side: a whole session leaves no secret behind.

Log in for the first time (TOTP enrolment), step up, refresh, make and delete an API key,
fail a login, log out; every logger at DEBUG. Then no password, TOTP code or secret, token
or API key is in the log, and the database file (with its WAL) holds passwords only as
Argon2id hashes and tokens only as SHA-256 hashes. The desktop's side (its log, config
files, the keyring) is ``tests/desktop/test_login_secrets_in_logs.py``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from pathlib import Path

import httpx
import pyotp
import pytest

from harness import Cluster


def _session(cluster: Cluster) -> tuple[list[str], str]:
    """Run the session; the secrets it used and the TOTP seed (which the server keeps)."""
    user = cluster.new_user("admin", enrolled=False)
    api = cluster.api
    found: list[str] = [user.password]

    reply = httpx.post(f"{api}/auth/login", json={"username": user.name, "password": user.password})
    assert reply.status_code == 403, reply.text
    enrolment = reply.json()["enrollment_token"]
    seed = httpx.post(f"{api}/auth/totp/enroll", json={"enrollment_token": enrolment}).json()
    totp = pyotp.TOTP(seed["secret"])
    code = totp.at(cluster.clock.now())
    reply = httpx.post(
        f"{api}/auth/totp/confirm", json={"enrollment_token": enrolment, "code": code}
    )
    assert reply.status_code == 200, reply.text
    tokens = reply.json()
    found += [enrolment, seed["secret"], seed["otpauth_uri"], code]
    found += [tokens["access_token"], tokens["refresh_token"]]

    client = httpx.Client(
        base_url=api, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    with client:
        cluster.next_step()
        step_code = totp.at(cluster.clock.now())
        assert client.post("/auth/step-up", json={"totp": step_code}).status_code == 200
        made = client.post(
            "/api-keys",
            json={"name": "ci", "roles": ["viewer"]},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        ).json()
        assert client.delete(f"/api-keys/{made['id']}").status_code == 204
        renewed = httpx.post(
            f"{api}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).json()
        wrong = "a wrong password " + secrets.token_hex(4)
        bad = {"username": user.name, "password": wrong, "totp": step_code}
        assert httpx.post(f"{api}/auth/login", json=bad).status_code == 401
        found += [step_code, made["key"], wrong, renewed["access_token"], renewed["refresh_token"]]
    bearer = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert httpx.post(f"{api}/auth/logout", headers=bearer).status_code == 204
    return found, seed["secret"]


def _database_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_a_whole_session_leaves_no_secret_in_the_log_or_the_database(
    fresh_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    found, totp_seed = _session(fresh_cluster)

    log = caplog.text
    assert "/auth/step-up" in log  # the log was written at DEBUG, and is read
    leaked = [s[:6] + "…" for s in found if s in log]
    assert leaked == []

    stored = _database_bytes(fresh_cluster.db_path)
    # The TOTP seed is the one secret the server must keep to check codes.
    in_database = [s[:6] + "…" for s in found if s != totp_seed and s.encode() in stored]
    assert in_database == []
    with fresh_cluster.sql() as conn:
        hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users")]
        token_hashes = [r[0] for r in conn.execute("SELECT hash FROM tokens")]
        key_hashes = [r[0] for r in conn.execute("SELECT hash FROM api_keys")]
    assert hashes
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
    digests = {hashlib.sha256(s.encode()).hexdigest() for s in found}
    assert len(token_hashes) == 4
    assert set(token_hashes) <= digests
    assert key_hashes
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in key_hashes)
    assert set(key_hashes) <= digests
