"""A refresh whose answer is lost: the retry with the same token continues the session,
while any other return of a rotated refresh token still ends it (theft)."""

from __future__ import annotations

import json

import httpx
import pytest
from faults.proxy import Fault, FaultProxy

from harness import Cluster, UserClient


def _refresh(api: str, refresh_token: str) -> httpx.Response:
    return httpx.post(f"{api}/auth/refresh", json={"refresh_token": refresh_token})


def _me(cluster: Cluster, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return httpx.get(f"{cluster.api}/me", headers=headers).status_code


def _audit(cluster: Cluster, client: UserClient) -> list[tuple[str, str]]:
    rows = cluster.sql().execute(
        "SELECT action, after FROM audit WHERE resource = ? AND action LIKE 'auth.%' ORDER BY seq",
        (f"user/{client.user.name}",),
    )
    return [(r["action"], r["after"]) for r in rows]


def test_a_refresh_whose_answer_is_lost_is_retried_and_the_session_continues(
    cluster: Cluster,
) -> None:
    client = cluster.user("viewer")
    with FaultProxy(upstream=cluster.url) as proxy:
        proxy.set(Fault.drop_after_upstream(times=1).where("POST", "/api/v1/auth/refresh"))
        with pytest.raises(httpx.TransportError):
            _refresh(f"{proxy.url}/api/v1", client.refresh_token)
        assert proxy.stats.dropped == 1  # the server rotated; the client never heard
        retry = _refresh(f"{proxy.url}/api/v1", client.refresh_token)
    assert retry.status_code == 200, retry.text
    pair = retry.json()
    assert _me(cluster, pair["access_token"]) == 200
    following = _refresh(cluster.api, pair["refresh_token"])  # it keeps rotating
    assert following.status_code == 200
    assert _me(cluster, following.json()["access_token"]) == 200

    audit = _audit(cluster, client)
    assert [action for action, _ in audit] == ["auth.login", "auth.refresh.retried"]
    logged = json.dumps(audit)
    for token in (client.refresh_token, pair["refresh_token"], pair["access_token"]):
        assert token not in logged


def test_the_pair_a_lost_answer_held_stops_working(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    lost = _refresh(cluster.api, client.refresh_token).json()
    retried = _refresh(cluster.api, client.refresh_token).json()
    assert _me(cluster, retried["access_token"]) == 200
    assert _me(cluster, lost["access_token"]) == 401
    # Whoever holds the lost refresh token did not get it from this client: theft.
    assert _refresh(cluster.api, lost["refresh_token"]).status_code == 401
    assert _me(cluster, retried["access_token"]) == 401


@pytest.mark.parametrize("successor_used_by", ["refresh", "request"])
def test_a_rotated_token_after_its_successor_was_used_ends_the_session(
    cluster: Cluster, successor_used_by: str
) -> None:
    client = cluster.user("viewer")
    pair = _refresh(cluster.api, client.refresh_token).json()
    if successor_used_by == "refresh":
        pair = _refresh(cluster.api, pair["refresh_token"]).json()
    assert _me(cluster, pair["access_token"]) == 200

    assert _refresh(cluster.api, client.refresh_token).status_code == 401
    assert _me(cluster, pair["access_token"]) == 401
    assert _refresh(cluster.api, pair["refresh_token"]).status_code == 401
    assert [action for action, _ in _audit(cluster, client)][-1] == "auth.session_revoked"


def test_a_rotated_token_after_the_retry_window_ends_the_session(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    pair = _refresh(cluster.api, client.refresh_token).json()
    cluster.clock.advance(31)  # the window is 30 s (Settings.refresh_retry_seconds)
    assert _refresh(cluster.api, client.refresh_token).status_code == 401
    assert _refresh(cluster.api, pair["refresh_token"]).status_code == 401
    assert [action for action, _ in _audit(cluster, client)][-1] == "auth.session_revoked"
