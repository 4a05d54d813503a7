"""The change feed the desktop draws on its charts and refreshes its tables from."""

from __future__ import annotations

import threading
import time
import uuid

from harness import Cluster


def test_a_change_appears_in_the_feed_with_who_and_what(cluster: Cluster) -> None:
    client = cluster.user("operator")
    head = client.get("/events").json()["head"]
    key = f"evt-{uuid.uuid4().hex[:6]}"
    client.post("/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key})

    feed = client.get("/events", params={"after": head}).json()
    mine = [e for e in feed["events"] if e["resource"] == f"flag/{key}"]
    assert len(mine) == 1
    event = mine[0]
    assert event["kind"] == "flag.create"
    assert event["actor"] == client.user.name
    assert event["data"]["after"]["key"] == key
    assert feed["head"] >= event["seq"] > head


def test_a_long_poll_answers_as_soon_as_something_happens(fresh_cluster: Cluster) -> None:
    # A cluster of its own: nothing else may happen while the poll waits.
    cluster = fresh_cluster
    watcher, changer = cluster.user("viewer"), cluster.user("operator")
    head = watcher.get("/events").json()["head"]
    key = f"poll-{uuid.uuid4().hex[:6]}"
    answered: list[tuple[float, dict]] = []

    def poll() -> None:
        started = time.monotonic()
        reply = watcher.get("/events", params={"after": head, "wait": 20}).json()
        answered.append((time.monotonic() - started, reply))

    poller = threading.Thread(target=poll)
    poller.start()
    changer.post("/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key})
    poller.join(25)
    waited, reply = answered[0]
    assert [e["resource"] for e in reply["events"]] == [f"flag/{key}"]
    assert waited < 10  # answered on the change, not at the end of the wait


def test_a_long_poll_with_nothing_new_answers_empty_at_the_deadline(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    head = client.get("/events").json()["head"]
    reply = client.get("/events", params={"after": head + 1000, "wait": 1})
    assert reply.status_code == 200
    assert reply.json()["events"] == []


def test_waits_beyond_thirty_seconds_are_refused(cluster: Cluster) -> None:
    client = cluster.user("viewer")
    assert client.get("/events", params={"wait": 31}).status_code == 422
