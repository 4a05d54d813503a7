"""Issue 10 #14: no bad credential opens any route, and none changes anything.

The role matrix itself (every route × every role) is ``tests/cluster/test_roles.py``; this
file replays the same routes, built by the same ``matrix()``, with credentials that once
worked or look as if they might: an expired, a logged-out, a theft-revoked session, a
deleted API key, forged and guessed tokens. Each must get 401, and neither the database nor
the audit log may change. Then one user's token against another user's things.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
from typing import Any

import httpx
from cluster.test_roles import matrix

from harness import Cluster, UserClient

Prepared = tuple[str, str, str, Any, dict[str, str]]  # method, template, path, body, headers


def _prepare(cluster: Cluster) -> list[Prepared]:
    """Every route of the matrix, its request built (the flags, users and ETags it needs
    exist now, so that later a refusal is the only thing left to happen)."""
    admin = cluster.user("admin")
    prepared = []
    for method, template, _, build in matrix(cluster, admin):
        path, body, headers = build()
        prepared.append((method, template, path, body, headers))
    return prepared


def _state(cluster: Cluster) -> str:
    """Every row of every table: what a refused request must leave as it was."""
    conn: sqlite3.Connection = cluster.sql()
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _works(cluster: Cluster, token: str) -> bool:
    reply = httpx.get(f"{cluster.api}/me", headers={"Authorization": f"Bearer {token}"})
    return reply.status_code == 200


def _token(client: httpx.Client) -> str:
    return str(client.headers["Authorization"]).removeprefix("Bearer ")


def _api_key(client: httpx.Client, roles: list[str]) -> tuple[int, str]:
    reply = client.post(
        "/api-keys",
        json={"name": "k", "roles": roles},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"], reply.json()["key"]


def _bad_credentials(cluster: Cluster) -> dict[str, str]:
    """Authorization headers that must open nothing; each revoked one worked before."""
    live = cluster.user("admin")  # stays valid: the forgeries are made from its token
    token = _token(live)

    logged_out = cluster.user("admin")
    assert logged_out.post("/auth/logout").status_code == 204

    # Its refresh token replayed after the pair it gave was used: the session is revoked.
    stolen = cluster.user("admin")
    refresh = f"{cluster.api}/auth/refresh"
    pair = httpx.post(refresh, json={"refresh_token": stolen.refresh_token}).json()
    httpx.post(refresh, json={"refresh_token": pair["refresh_token"]})
    httpx.post(refresh, json={"refresh_token": stolen.refresh_token})

    key_id, deleted_key = _api_key(live, ["admin"])
    assert _works(cluster, deleted_key)
    assert live.delete(f"/api-keys/{key_id}").status_code == 204

    basic = f"{live.user.name}:{live.user.password}".encode()
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return {
        "logged out": f"Bearer {_token(logged_out)}",
        "refresh token reused": f"Bearer {_token(stolen)}",
        "deleted API key": f"Bearer {deleted_key}",
        "refresh token as access token": f"Bearer {live.refresh_token}",
        "one character changed": f"Bearer {flipped}",
        "token with a suffix": f"Bearer {token}x",
        "hash of the token, as stored": f"Bearer {hashlib.sha256(token.encode()).hexdigest()}",
        "random token": f"Bearer {secrets.token_urlsafe(32)}",
        "random API key": f"Bearer aioke_sk_{secrets.token_urlsafe(24)}",
        "unsigned JWT (alg none)": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
        "bearer without a token": "Bearer",
        "password as Basic auth": "Basic " + base64.b64encode(basic).decode(),
        "token without scheme": token,
    }


def _let_in(cluster: Cluster, prepared: list[Prepared], authorization: str) -> list[str]:
    """The routes that did not answer 401 to ``authorization``."""
    opened = []
    with httpx.Client(base_url=cluster.api, timeout=30) as client:
        for method, template, path, body, headers in prepared:
            reply = client.request(
                method, path, json=body, headers={**headers, "Authorization": authorization}
            )
            if reply.status_code != 401:
                opened.append(f"{method} {template} -> {reply.status_code}")
    return opened


def test_no_revoked_forged_or_guessed_credential_opens_any_route(fresh_cluster: Cluster) -> None:
    prepared = _prepare(fresh_cluster)
    bad = _bad_credentials(fresh_cluster)
    before = _state(fresh_cluster)
    opened = {name: _let_in(fresh_cluster, prepared, value) for name, value in bad.items()}
    assert {name: routes for name, routes in opened.items() if routes} == {}
    assert _state(fresh_cluster) == before


def test_an_expired_access_token_opens_no_route(fresh_cluster: Cluster) -> None:
    prepared = _prepare(fresh_cluster)
    expiring = fresh_cluster.user("admin")
    assert _works(fresh_cluster, _token(expiring))
    fresh_cluster.clock.advance(10 * 60 + 1)  # access tokens live 10 minutes
    before = _state(fresh_cluster)
    assert _let_in(fresh_cluster, prepared, f"Bearer {_token(expiring)}") == []
    assert _state(fresh_cluster) == before


def test_a_token_of_one_user_reaches_nothing_of_another(cluster: Cluster) -> None:
    alice: UserClient = cluster.user("operator")
    bob: UserClient = cluster.user("operator")
    bob_key_id, bob_key = _api_key(bob, ["viewer"])

    # Bob's API keys are neither listed to Alice nor revocable by her.
    assert all(k["id"] != bob_key_id for k in alice.get("/api-keys").json())
    assert alice.delete(f"/api-keys/{bob_key_id}").status_code == 404
    assert _works(cluster, bob_key)
    # Bob's user record is an admin's business, not a fellow operator's.
    assert alice.get(f"/users/{bob.user.name}").status_code == 403
    # Bob's second factor does not step Alice up.
    cluster.next_step()
    assert alice.post("/auth/step-up", json={"totp": cluster.code(bob.user)}).status_code == 401
    assert alice.get("/me").json()["stepped_up"] is False
    # Bob's refresh token sent with Alice's token gives Bob's session, never Alice's.
    reply = alice.post("/auth/refresh", json={"refresh_token": bob.refresh_token})
    assert reply.json()["user"]["name"] == bob.user.name
    assert not _works(cluster, bob.refresh_token)

    # Nothing was done in Alice's name but logging in and failing a code.
    audited = alice.get("/audit", params={"actor": alice.user.name}).json()
    assert {e["action"] for e in audited} <= {"auth.login", "auth.login_failed"}
