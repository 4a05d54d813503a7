"""A copy of the database gives away no password, code, token or API key."""

from __future__ import annotations

import re

import httpx
import pyotp

from harness import Cluster


def test_a_database_dump_holds_no_credentials_in_clear(fresh_cluster: Cluster) -> None:
    cluster = fresh_cluster
    secrets: list[str] = []

    # Enrolment, login, refresh, step-up, an API key: everything that handles a credential.
    newcomer = cluster.new_user("operator", enrolled=False)
    secrets.append(newcomer.password)
    started = httpx.post(
        f"{cluster.api}/auth/login", json={"username": newcomer.name, "password": newcomer.password}
    ).json()
    secrets.append(started["enrollment_token"])
    secret = httpx.post(
        f"{cluster.api}/auth/totp/enroll", json={"enrollment_token": started["enrollment_token"]}
    ).json()["secret"]
    code = pyotp.TOTP(secret).at(cluster.clock.now())
    secrets.append(code)
    tokens = httpx.post(
        f"{cluster.api}/auth/totp/confirm",
        json={"enrollment_token": started["enrollment_token"], "code": code},
    ).json()
    secrets += [tokens["access_token"], tokens["refresh_token"]]

    client = cluster.user("operator")
    secrets += [client.user.password, client.refresh_token, client.headers["Authorization"][7:]]
    secrets.append(cluster.code(client.user))
    rotated = httpx.post(
        f"{cluster.api}/auth/refresh", json={"refresh_token": client.refresh_token}
    ).json()
    secrets += [rotated["access_token"], rotated["refresh_token"]]
    cluster.step_up(client)
    secrets.append(cluster.code(client.user))
    key = client.post(
        "/api-keys", json={"name": "ci", "roles": ["viewer"]}, headers={"Idempotency-Key": "1"}
    ).json()["key"]
    secrets.append(key)

    conn = cluster.sql()
    dump = "\n".join(conn.iterdump())
    raw = b"".join(
        path.read_bytes()
        for path in cluster.db_path.parent.iterdir()
        if path.name.startswith(cluster.db_path.name)
    )
    for value in secrets:
        # Codes are short digits, so look for them as stored values, not inside timestamps.
        needle = f"'{value}'" if value.isdigit() else value
        assert needle not in dump, f"{value[:4]}… is stored in clear"
        if not value.isdigit():
            assert value.encode() not in raw, f"{value[:4]}… is in the database file"
    # What is stored is a hash: Argon2id at or above OWASP's minimum for passwords.
    hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users")]
    assert hashes
    for stored in hashes:
        params = re.search(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$", stored)
        assert params, stored[:30]
        assert int(params[1]) >= 19 * 1024
        assert int(params[2]) >= 2
