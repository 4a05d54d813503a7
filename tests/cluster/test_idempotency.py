"""Retries are safe: one Idempotency-Key, one action; stale edits are refused."""

from __future__ import annotations

import threading
import uuid

import httpx

from harness import Cluster


class DropsEveryOtherResponse(httpx.HTTPTransport):
    """The server acts and answers, then the answer is lost on the way back.

    A fault a real server cannot show on demand, so it is made here, in the client.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.calls += 1
        if self.calls % 2 == 1:
            response.close()
            raise httpx.ReadError("connection reset after the server acted", request=request)
        return response


def test_a_hundred_creations_with_half_the_answers_lost_make_a_hundred_flags(
    cluster: Cluster,
) -> None:
    client = cluster.user("operator")
    lossy = httpx.Client(
        base_url=cluster.api, headers=dict(client.headers), transport=DropsEveryOtherResponse()
    )
    prefix = f"retry-{uuid.uuid4().hex[:6]}"
    replays = 0
    for n in range(100):
        key = f"{prefix}-{n}"
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        for _attempt in range(5):
            try:
                reply = lossy.post("/flags", json={"key": key, "owner": "sre"}, headers=headers)
            except httpx.ReadError:
                continue
            assert reply.status_code == 201, reply.text
            replays += reply.headers.get("Idempotent-Replayed") == "true"
            break
    lossy.close()

    made = [f for f in client.get("/flags").json() if f["key"].startswith(prefix)]
    assert len(made) == 100
    audit = client.get("/audit", params={"action": "flag.create", "limit": 1000}).json()
    assert sum(row["resource"].startswith(f"flag/{prefix}") for row in audit) == 100
    assert replays == 100  # every lost answer came back as a replay, not a second flag


def test_the_same_key_with_another_body_is_refused(cluster: Cluster) -> None:
    client = cluster.user("operator")
    key = f"k-{uuid.uuid4().hex[:8]}"
    headers = {"Idempotency-Key": key}
    assert (
        client.post("/flags", json={"key": key, "owner": "a"}, headers=headers).status_code == 201
    )
    other = client.post("/flags", json={"key": key, "owner": "b"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_the_same_key_while_the_first_is_running_is_a_conflict(cluster: Cluster) -> None:
    client = cluster.user("operator")
    services = cluster.app.state.services
    key = f"k-{uuid.uuid4().hex[:8]}"
    # Hold the database's write lock so the first request stays in flight.
    gate = threading.Event()
    release = threading.Event()

    def hold_writer() -> None:
        with services.db.write():
            gate.set()
            release.wait(10)

    holder = threading.Thread(target=hold_writer)
    holder.start()
    gate.wait(5)
    results: list[int] = []
    first = threading.Thread(
        target=lambda: results.append(
            client.post(
                "/flags", json={"key": key, "owner": "a"}, headers={"Idempotency-Key": key}
            ).status_code
        )
    )
    first.start()
    try:
        second = None
        for _ in range(100):  # until the first request has claimed the key
            with services.in_flight_lock:
                claimed = any(k == key for _, k in services.in_flight)
            if claimed:
                second = httpx.post(
                    f"{cluster.api}/flags",
                    json={"key": key, "owner": "a"},
                    headers={**client.headers, "Idempotency-Key": key},
                )
                break
            threading.Event().wait(0.05)
        assert second is not None, "the first request never started"
        assert second.status_code == 409
        assert second.json()["type"].endswith("/idempotency-key-in-use")
    finally:
        release.set()
        holder.join()
        first.join()
    assert results == [201]


def test_creating_without_a_key_is_refused(cluster: Cluster) -> None:
    client = cluster.user("operator")
    reply = client.post("/flags", json={"key": "no-key-flag", "owner": "a"})
    assert reply.status_code == 400
    assert client.get("/flags/no-key-flag").status_code == 404


def test_edits_need_if_match_and_a_stale_one_names_who_changed_it(cluster: Cluster) -> None:
    alice, bob = cluster.user("operator"), cluster.user("operator")
    key = f"edit-{uuid.uuid4().hex[:8]}"
    created = alice.post(
        "/flags", json={"key": key, "owner": "a"}, headers={"Idempotency-Key": key}
    )
    loaded = created.headers["ETag"]

    missing = bob.patch(f"/flags/{key}", json={"enabled": True})
    assert missing.status_code == 428

    ok = bob.patch(f"/flags/{key}", json={"enabled": True}, headers={"If-Match": loaded})
    assert ok.status_code == 200
    assert ok.headers["ETag"] != loaded

    stale = alice.patch(
        f"/flags/{key}", json={"rollout_percentage": 5}, headers={"If-Match": loaded}
    )
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["changed_by"] == bob.user.name
    assert bob.user.name in problem["detail"]
    assert alice.get(f"/flags/{key}").json()["rollout_percentage"] == 100
