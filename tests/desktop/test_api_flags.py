"""Flags through ClusterClient against the real control plane: ETags remembered and sent,
stale edits named, and creations retried through lost answers without duplicates."""

from __future__ import annotations

import uuid

import httpx
import pytest

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import (
    ConnectionFailed,
    NotFound,
    PreconditionRequired,
    StaleEdit,
)
from aioke_desktop.api.transport import DeadlineTransport
from aioke_desktop.core.contexts import Context
from harness import Cluster


def _login(cluster: Cluster, *roles: str, **kwargs: object) -> ClusterClient:
    user = cluster.new_user(*roles)
    client = ClusterClient(Context("test", cluster.url, "http://127.0.0.1:9"), **kwargs)  # type: ignore[arg-type]
    client.login(user.name, user.password, cluster.code(user))
    return client


def _key() -> str:
    return f"desk-{uuid.uuid4().hex[:10]}"


def test_an_edit_sends_the_version_last_seen_and_a_stale_one_names_who_changed_it(
    cluster: Cluster,
) -> None:
    alice, bob = _login(cluster, "operator"), _login(cluster, "operator")
    bob_name = bob.me().name
    key = _key()
    with alice, bob:
        created = alice.flags.create(key, {"owner": "sre", "description": "a new checkout"})
        assert created.etag is not None
        assert created.version == 1
        bob.flags.get(key)
        bob.flags.update(key, {"rollout_percentage": 10})

        with pytest.raises(StaleEdit) as stale:
            alice.flags.update(key, {"enabled": True})
        assert stale.value.changed_by == bob_name
        assert stale.value.changed_at
        assert bob_name in stale.value.message
        assert stale.value.current_etag == bob.flags.get(key).etag

        # Reloading takes the current version; the edit then goes through.
        alice.flags.get(key)
        flag = alice.flags.update(key, {"enabled": True})
    assert flag.enabled
    assert flag.rollout_percentage == 10
    assert flag.version == 3


def test_an_edit_of_a_flag_never_loaded_is_refused_rather_than_blind(cluster: Cluster) -> None:
    owner, stranger = _login(cluster, "operator"), _login(cluster, "operator")
    key = _key()
    with owner, stranger:
        owner.flags.create(key, {"owner": "sre"})
        with pytest.raises(PreconditionRequired):
            stranger.flags.update(key, {"enabled": True})
        assert not owner.flags.get(key).enabled


def test_archive_evaluate_and_history(cluster: Cluster) -> None:
    key = _key()
    with _login(cluster, "operator") as client:
        client.flags.create(key, {"owner": "sre", "enabled": True})
        evaluation = client.flags.evaluate(key, {"user_id": "u-1"})
        assert evaluation.enabled
        assert evaluation.reason
        archived = client.flags.archive(key)
        assert archived.archived
        assert [e.action for e in client.flags.history(key)] == ["flag.create", "flag.archive"]
        assert key not in {f.key for f in client.flags.all()}
        assert key in {f.key for f in client.flags.all(include_archived=True)}
        with pytest.raises(NotFound):
            client.flags.get(f"{key}-missing")


class DropsEveryOtherKeyedAnswer(DeadlineTransport):
    """The server acts and answers, then every other answer to a keyed POST is lost.

    A fault a real server cannot show on demand, so it is made here, in the client.
    """

    def __init__(self) -> None:
        super().__init__()
        self.keyed_posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "POST" and "idempotency-key" in request.headers:
            response.read()
            self.keyed_posts += 1
            if self.keyed_posts % 2 == 1:
                response.close()
                raise httpx.ReadError("connection reset after the server acted", request=request)
        return response


def test_creations_retried_through_lost_answers_are_made_exactly_once(cluster: Cluster) -> None:
    lossy = DropsEveryOtherKeyedAnswer()
    prefix = _key()
    with _login(cluster, "operator", transport=lossy, sleep=lambda _: None) as client:
        made = [client.flags.create(f"{prefix}-{n}", {"owner": "sre"}) for n in range(20)]
        assert [f.version for f in made] == [1] * 20
        assert lossy.keyed_posts == 40  # each answer was lost once, then replayed
        stored = [f for f in client.flags.all() if f.key.startswith(prefix)]
        audit = client.audit(action="flag.create", limit=1000)
    assert len(stored) == 20
    assert sum(row.resource.startswith(f"flag/{prefix}") for row in audit) == 20


class ResetsEvaluations(DeadlineTransport):
    """Resets the connection of every evaluation after the server answered."""

    def __init__(self) -> None:
        super().__init__()
        self.evaluations = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/evaluate"):
            self.evaluations += 1
            response.close()
            raise httpx.ReadError("connection reset", request=request)
        return response


def test_a_post_without_an_idempotency_key_is_never_retried(cluster: Cluster) -> None:
    resets = ResetsEvaluations()
    key = _key()
    with _login(cluster, "operator", transport=resets, sleep=lambda _: None) as client:
        client.flags.create(key, {"owner": "sre"})
        with pytest.raises(ConnectionFailed) as failed:
            client.flags.evaluate(key, {"user_id": "u-1"})
    assert resets.evaluations == 1
    assert "broke before the answer arrived" in failed.value.message
