"""The login path, end to end over HTTP against the real control plane."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harness import Cluster, TestUser


def login(cluster: Cluster, user: TestUser, code: str | None, password: str | None = None):
    return httpx.post(
        f"{cluster.api}/auth/login",
        json={"username": user.name, "password": password or user.password, "totp": code},
        timeout=60,  # twenty Argon2 hashes at once take a while on two busy cores
    )


def test_login_gives_short_lived_tokens_and_the_user(cluster: Cluster) -> None:
    user = cluster.new_user("operator")
    reply = login(cluster, user, cluster.code(user))
    assert reply.status_code == 200
    body = reply.json()
    assert 300 <= body["expires_in"] <= 900
    assert body["user"] == {"name": user.name, "roles": ["operator"]}
    me = httpx.get(f"{cluster.api}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["name"] == user.name
    assert me.json()["stepped_up"] is False


def test_unknown_user_wrong_password_and_wrong_code_look_the_same(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    ghost = TestUser("nobody-by-this-name", "some password 123", (), None)
    wrong_code = "000000" if cluster.code(user) != "000000" else "111111"
    replies = [
        login(cluster, ghost, "123456"),
        login(cluster, user, cluster.code(user), password="not the password"),
        login(cluster, user, wrong_code),
    ]
    assert [r.status_code for r in replies] == [401, 401, 401]
    assert replies[0].content == replies[1].content == replies[2].content
    assert replies[0].headers["content-type"] == "application/problem+json"


def test_unknown_and_known_users_take_the_same_time(cluster: Cluster) -> None:
    # Each known user fails 4 times, below the lockout threshold.
    known = [cluster.new_user("viewer") for _ in range(6)]
    ghost = TestUser("ghost-user", "x" * 16, (), None)
    with httpx.Client() as http:

        def timed(user: TestUser) -> float:
            started = time.perf_counter()
            reply = http.post(
                f"{cluster.api}/auth/login",
                json={"username": user.name, "password": "wrong password!", "totp": "123456"},
            )
            assert reply.status_code == 401
            return time.perf_counter() - started

        # Interleaved, so both kinds of attempt see the same load on the machine.
        known_times, ghost_times = [], []
        for user in known * 4:
            known_times.append(timed(user))
            ghost_times.append(timed(ghost))
    # The fastest of each kind: what the work costs, without the pauses a loaded machine adds.
    assert abs(min(known_times) - min(ghost_times)) < 0.010


def test_a_code_is_accepted_once(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    code = cluster.code(user)
    assert login(cluster, user, code).status_code == 200
    assert login(cluster, user, code).status_code == 401


def test_of_twenty_concurrent_logins_with_one_code_exactly_one_wins(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    code = cluster.code(user)
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda _: login(cluster, user, code).status_code, range(20)))
    assert statuses.count(200) == 1
    # The replays count as failures, so the account may lock part-way (423).
    assert set(statuses) - {200} <= {401, 423}


def test_an_earlier_code_is_refused_after_a_later_one(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    later = cluster.code(user, offset=30)
    earlier = cluster.code(user, offset=0)
    assert login(cluster, user, later).status_code == 200
    assert login(cluster, user, earlier).status_code == 401


@pytest.mark.parametrize(
    ("skew", "accepted"),
    [(-29, True), (0, True), (29, True), (-60, False), (60, False), (-90, False), (90, False)],
)
def test_clock_skew_tolerance_is_one_step(cluster: Cluster, skew: int, accepted: bool) -> None:
    user = cluster.new_user("viewer")
    reply = login(cluster, user, cluster.code(user, offset=skew))
    assert reply.status_code == (200 if accepted else 401)


def test_a_thousand_wrong_codes_lock_the_account_and_none_is_accepted(
    cluster: Cluster,
) -> None:
    user = cluster.new_user("viewer")
    live = {cluster.code(user, offset=o) for o in (-30, 0, 30)}
    wrong = [f"{n:06d}" for n in range(1000, 2100) if f"{n:06d}" not in live][:1000]
    statuses = []
    with httpx.Client() as http:
        for code in wrong:
            reply = http.post(
                f"{cluster.api}/auth/login",
                json={"username": user.name, "password": user.password, "totp": code},
            )
            statuses.append(reply.status_code)
    assert 200 not in statuses
    first_lock = statuses.index(423)
    assert first_lock < 10
    assert set(statuses[first_lock:]) == {423}

    # While locked even the right code is refused, with a Retry-After.
    locked = login(cluster, user, cluster.code(user))
    assert locked.status_code == 423
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    assert "locked" in locked.json()["detail"]

    cluster.clock.advance(61)
    assert login(cluster, user, cluster.code(user)).status_code == 200


def test_lockouts_grow_and_are_audited(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    waits = []
    for _ in range(2):
        for _ in range(5):
            reply = login(cluster, user, cluster.code(user), password="wrong password!")
        assert reply.status_code == 423
        waits.append(int(reply.headers["Retry-After"]))
        cluster.clock.advance(waits[-1] + 1)
    assert waits == [60, 120]
    auditor = cluster.user("viewer")
    rows = auditor.get("/audit", params={"resource": f"user/{user.name}"}).json()
    assert [r["action"] for r in rows].count("auth.lockout") == 2


def test_enrolment_shows_the_secret_once_and_confirms_with_a_code(cluster: Cluster) -> None:
    import pyotp

    user = cluster.new_user("operator", enrolled=False)
    first = login(cluster, user, None)
    assert first.status_code == 403
    assert first.json()["type"].endswith("/totp-enrollment-required")
    token = first.json()["enrollment_token"]

    shown = httpx.post(f"{cluster.api}/auth/totp/enroll", json={"enrollment_token": token})
    assert shown.status_code == 200
    secret = shown.json()["secret"]
    assert shown.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert "issuer=Aioke" in shown.json()["otpauth_uri"]
    again = httpx.post(f"{cluster.api}/auth/totp/enroll", json={"enrollment_token": token})
    assert again.status_code == 409

    code = pyotp.TOTP(secret).at(cluster.clock.now())
    wrong = "000000" if code != "000000" else "111111"
    bad = httpx.post(
        f"{cluster.api}/auth/totp/confirm", json={"enrollment_token": token, "code": wrong}
    )
    assert bad.status_code == 401
    good = httpx.post(
        f"{cluster.api}/auth/totp/confirm", json={"enrollment_token": token, "code": code}
    )
    assert good.status_code == 200
    assert good.json()["user"]["name"] == user.name

    # The enrolment token is spent, and the new factor works for the next login.
    assert (
        httpx.post(f"{cluster.api}/auth/totp/enroll", json={"enrollment_token": token}).status_code
        == 401
    )
    user.totp_secret = secret
    cluster.next_step()
    assert login(cluster, user, cluster.code(user)).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_session(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    first = httpx.post(f"{cluster.api}/auth/refresh", json={"refresh_token": client.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    me = httpx.get(
        f"{cluster.api}/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 200

    # The pair it gave was used (the request above), so this cannot be a retry: theft.
    reuse = httpx.post(f"{cluster.api}/auth/refresh", json={"refresh_token": client.refresh_token})
    assert reuse.status_code == 401
    # The whole session is gone: the newest tokens stop working too.
    me = httpx.get(
        f"{cluster.api}/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 401
    newest = httpx.post(
        f"{cluster.api}/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert newest.status_code == 401


def test_an_expired_access_token_is_refused_and_refresh_recovers(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    cluster.clock.advance(601)
    assert client.get("/me").status_code == 401
    fresh = httpx.post(f"{cluster.api}/auth/refresh", json={"refresh_token": client.refresh_token})
    assert fresh.status_code == 200
    client.headers["Authorization"] = f"Bearer {fresh.json()['access_token']}"
    assert client.get("/me").status_code == 200


def test_logout_takes_effect_on_the_next_request(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    assert client.post("/auth/logout").status_code == 204
    assert client.get("/me").status_code == 401


def test_step_up_lasts_five_minutes_and_needs_a_fresh_code(cluster: Cluster) -> None:
    client = cluster.user("chaos")
    # The login code is spent: the same step's code cannot step up.
    replay = client.post("/auth/step-up", json={"totp": cluster.code(client.user)})
    assert replay.status_code == 401
    cluster.step_up(client)
    assert client.get("/me").json()["stepped_up"] is True
    cluster.clock.advance(301)
    assert client.get("/me").json()["stepped_up"] is False


def test_api_keys_are_shown_once_and_act_with_their_roles(cluster: Cluster) -> None:
    client = cluster.user("operator")
    headers = {"Idempotency-Key": "key-1"}
    created = client.post("/api-keys", json={"name": "ci", "roles": ["viewer"]}, headers=headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("aioke_sk_")
    assert len(key) - len("aioke_sk_") >= 22  # at least 128 bits in base64url

    replay = client.post("/api-keys", json={"name": "ci", "roles": ["viewer"]}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["key"] is None

    as_key = httpx.get(f"{cluster.api}/me", headers={"Authorization": f"Bearer {key}"})
    assert as_key.json()["auth"] == "api_key"
    assert as_key.json()["roles"] == ["viewer"]
    step_up = httpx.post(
        f"{cluster.api}/auth/step-up",
        json={"totp": "123456"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert step_up.status_code == 403

    too_much = client.post(
        "/api-keys", json={"name": "x", "roles": ["admin"]}, headers={"Idempotency-Key": "k2"}
    )
    assert too_much.status_code == 403

    key_id = created.json()["id"]
    assert client.delete(f"/api-keys/{key_id}").status_code == 204
    gone = httpx.get(f"{cluster.api}/me", headers={"Authorization": f"Bearer {key}"})
    assert gone.status_code == 401


def test_request_ids_are_echoed_or_generated(cluster: Cluster) -> None:
    echoed = httpx.get(f"{cluster.url}/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = httpx.get(f"{cluster.url}/healthz", headers={"X-Request-ID": "bad id\twith tab"})
    assert len(generated.headers["X-Request-ID"]) == 32


def test_metrics_count_requests_and_login_failures(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    login(cluster, user, cluster.code(user), password="wrong password!")
    text = httpx.get(f"{cluster.url}/metrics").text
    assert 'aioke_login_failures_total{reason="bad_password"}' in text
    assert (
        'aioke_http_requests_total{method="POST",route="/api/v1/auth/login",status="401"}' in text
    )
    assert "aioke_http_request_duration_seconds_bucket" in text


def test_a_login_rehashes_a_password_when_the_parameters_change(fresh_cluster: Cluster) -> None:
    from aioke_cluster.auth.passwords import Passwords

    user = fresh_cluster.new_user("viewer")
    services = fresh_cluster.app.state.services
    services.passwords = Passwords(time_cost=3)
    assert login(fresh_cluster, user, fresh_cluster.code(user)).status_code == 200
    stored = (
        fresh_cluster.sql()
        .execute("SELECT password_hash FROM users WHERE name = ?", (user.name,))
        .fetchone()[0]
    )
    assert ",t=3," in stored


def test_parameters_below_owasp_minimum_are_refused() -> None:
    from aioke_cluster.auth.passwords import Passwords

    with pytest.raises(ValueError, match="OWASP"):
        Passwords(memory_kib=8 * 1024)
