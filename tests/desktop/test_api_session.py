"""ClusterClient's session against the real control plane: login and its failures,
enrolment, step-up, and tokens that expire in the middle of work."""

from __future__ import annotations

import threading
import time

import pyotp
import pytest

from aioke_desktop.api.auth import Tokens
from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import (
    EnrollmentRequired,
    Locked,
    LoginFailed,
    SessionEnded,
    StepUpRequired,
)
from aioke_desktop.core.contexts import Context
from harness import Cluster, TestUser


def _client(cluster: Cluster, **kwargs: object) -> ClusterClient:
    context = Context("test", cluster.url, "http://127.0.0.1:9")
    return ClusterClient(context, **kwargs)  # type: ignore[arg-type]


def _logged_in(cluster: Cluster, *roles: str) -> tuple[ClusterClient, TestUser]:
    user = cluster.new_user(*roles)
    client = _client(cluster)
    client.login(user.name, user.password, cluster.code(user))
    return client, user


def test_login_starts_a_session_that_knows_who_and_what_the_user_is(cluster: Cluster) -> None:
    user = cluster.new_user("operator")
    with _client(cluster) as client:
        session = client.login(user.name, user.password, cluster.code(user))
        me = client.me()
    assert session.name == me.name == user.name
    assert session.roles == ("operator",)
    assert me.has_role("operator")
    assert not me.has_role("admin")
    assert me.server_time is not None


def test_a_wrong_code_and_a_replayed_code_are_login_failures(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    code = cluster.code(user)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with _client(cluster) as client:
        with pytest.raises(LoginFailed) as failed:
            client.login(user.name, user.password, wrong)
        assert failed.value.message == "The username, password or code is wrong."
        client.login(user.name, user.password, code)
    with _client(cluster) as again, pytest.raises(LoginFailed):
        again.login(user.name, user.password, code)  # the same code a second time


def test_lockout_says_how_long_to_wait(cluster: Cluster) -> None:
    user = cluster.new_user("viewer")
    with _client(cluster) as client:
        for _ in range(4):
            with pytest.raises(LoginFailed):
                client.login(user.name, "not the password", cluster.code(user))
        with pytest.raises(Locked) as locked:
            client.login(user.name, "not the password", cluster.code(user))
        # Even the right password and code are refused while locked.
        with pytest.raises(Locked):
            client.login(user.name, user.password, cluster.code(user))
    assert locked.value.retry_after is not None
    assert 50 <= locked.value.retry_after <= 60
    assert "locked" in locked.value.message


def test_enrolment_shows_the_secret_once_and_confirming_starts_the_session(
    cluster: Cluster,
) -> None:
    user = cluster.new_user("viewer", enrolled=False)
    with _client(cluster) as client:
        with pytest.raises(EnrollmentRequired) as required:
            client.login(user.name, user.password, None)
        token = required.value.enrollment_token
        assert token not in repr(required.value)
        enrollment = client.enroll(token)
        assert enrollment.secret not in repr(enrollment)
        assert enrollment.otpauth_uri.startswith("otpauth://totp/")
        code = pyotp.TOTP(enrollment.secret).at(cluster.clock.now())
        session = client.confirm_enrollment(token, code)
        assert session.name == user.name
        assert client.me().name == user.name


def test_step_up_unlocks_destructive_actions(cluster: Cluster) -> None:
    client, user = _logged_in(cluster, "chaos")
    with client:
        with pytest.raises(StepUpRequired) as refused:
            client.chaos.halt("game day over")
        assert "TOTP" in refused.value.message
        assert client.chaos.halt_state() is None
        cluster.next_step()
        step = client.step_up(cluster.code(user))
        assert step.expires_in > 0
        assert client.me().stepped_up
        try:
            client.chaos.halt("game day over")
            halted = client.chaos.halt_state()
            assert halted is not None
            assert halted["by"] == user.name
        finally:
            client.chaos.resume()
        assert client.chaos.halt_state() is None


def test_an_expired_access_token_is_refreshed_once_and_nothing_is_lost(cluster: Cluster) -> None:
    changes: list[Tokens | None] = []
    user = cluster.new_user("operator")
    client = _client(cluster, on_session_change=changes.append)
    with client:
        client.login(user.name, user.password, cluster.code(user))
        key = f"expiry-{user.name}"
        client.flags.create(key, {"owner": "sre"})
        cluster.clock.advance(11 * 60)  # access tokens live 10 minutes
        updated = client.flags.update(key, {"enabled": True})
        assert updated.enabled
        assert client.auth.refreshes == 1
        assert len(changes) == 1
        assert changes[0] is not None
        assert client.flags.get(key).version == 2  # the edit happened exactly once
        client.me()
        assert client.auth.refreshes == 1


def test_requests_failing_together_share_one_refresh(cluster: Cluster) -> None:
    # Refresh tokens rotate: two refreshes with the same token would end the session.
    client, user = _logged_in(cluster, "viewer")
    with client:
        cluster.clock.advance(11 * 60)
        errors: list[BaseException] = []

        def read() -> None:
            try:
                for _ in range(3):
                    client.me()
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert client.auth.refreshes == 1
        assert client.me().name == user.name


def test_a_dead_refresh_token_ends_the_session_and_says_so(fresh_cluster: Cluster) -> None:
    changes: list[Tokens | None] = []
    user = fresh_cluster.new_user("viewer")
    client = _client(fresh_cluster, on_session_change=changes.append)
    with client:
        client.login(user.name, user.password, fresh_cluster.code(user))
        fresh_cluster.clock.advance(13 * 3600)  # past the refresh token's 12 hours
        with pytest.raises(SessionEnded) as ended:
            client.me()
    assert ended.value.message == "Your session has ended; log in again."
    assert changes == [None]
    assert client.tokens is None


def test_the_event_feed_long_polls_for_what_changes_next(cluster: Cluster) -> None:
    client, user = _logged_in(cluster, "operator")
    with client:
        cursor = client.events().next_after
        key = f"events-{user.name}"
        client.flags.create(key, {"owner": "sre"})
        page = client.events(after=cursor, wait=5)
        created = [e for e in page.events if e.resource == f"flag/{key}"]
        assert [e.kind for e in created] == ["flag.create"]
        assert created[0].actor == user.name
        assert created[0].after["key"] == key
        started = time.monotonic()
        quiet = client.events(after=client.events().head, wait=0.5)
        assert quiet.events == ()
        assert time.monotonic() - started >= 0.45
