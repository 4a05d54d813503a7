"""Stale flags by type, and cleanup candidates at full rollout, as the server clock moves."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from aioke_cluster.flags.model import FlagSpec
from aioke_cluster.flags.store import DAY, StoredFlag, new_flag
from harness import Cluster

MINUTE = 60.0


def created(client: httpx.Client, **fields: Any) -> str:
    key = f"s-{uuid.uuid4().hex[:12]}"
    reply = client.post(
        "/flags", json={"key": key, **fields}, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert reply.status_code == 201, reply.text
    return key


def patch(client: httpx.Client, key: str, **fields: Any) -> None:
    etag = client.get(f"/flags/{key}").headers["ETag"]
    reply = client.patch(f"/flags/{key}", json=fields, headers={"If-Match": etag})
    assert reply.status_code == 200, reply.text


def test_flags_go_stale_by_type_and_cleanup_after_two_weeks_at_full_rollout(
    fresh_cluster: Cluster,
) -> None:
    cluster = fresh_cluster
    operator = cluster.user("operator")
    release, touched_release, experiment, operational, kill_switch, permission = (
        created(operator, type=kind)
        for kind in ("release", "release", "experiment", "operational", "kill-switch", "permission")
    )
    full = created(operator, type="permission", enabled=True, rollout_percentage=100)
    partial = created(operator, type="kill-switch", enabled=True, rollout_percentage=99)
    dipped = created(operator, type="permission", enabled=True, rollout_percentage=100)
    archived = created(operator, type="operational")
    patch(operator, archived, description="archive me")
    etag = operator.get(f"/flags/{archived}").headers["ETag"]
    assert operator.delete(f"/flags/{archived}", headers={"If-Match": etag}).status_code == 200

    def stale() -> dict[str, str | None]:
        # A fresh login each time: moving the clock days ahead expires earlier tokens.
        viewer = cluster.user("viewer")
        everything = viewer.get("/flags", params={"include_archived": "true"}).json()
        listed = viewer.get("/flags", params={"stale": "true"}).json()
        states = {f["key"]: f["stale"] for f in everything}
        assert {f["key"]: f["stale"] for f in listed} == {
            k: s for k, s in states.items() if s is not None
        }
        return {k: s for k, s in states.items() if s is not None}

    assert stale() == {}

    cluster.clock.advance(7 * DAY + MINUTE)
    assert stale() == {operational: "stale"}

    # Leaving full rollout restarts the two weeks.
    operator = cluster.user("operator")
    patch(operator, dipped, rollout_percentage=90)
    patch(operator, dipped, rollout_percentage=100)

    cluster.clock.advance(7 * DAY)
    assert stale() == {operational: "stale", full: "cleanup"}

    operator = cluster.user("operator")
    patch(operator, touched_release, description="still in use")

    cluster.clock.advance(26 * DAY)  # 40 days and a minute after creation
    assert stale() == {
        release: "stale",
        experiment: "stale",
        operational: "stale",
        full: "cleanup",
        dipped: "cleanup",
    }
    assert kill_switch not in stale()
    assert permission not in stale()
    assert partial not in stale()


def stored(kind: str = "release", **settings: Any) -> StoredFlag:
    spec = FlagSpec.model_validate({"owner": "test", "type": kind, **settings})
    return new_flag("f", spec, 0.0)


def test_stale_starts_exactly_at_the_lifetime() -> None:
    assert stored("release").stale(40 * DAY - 1) is None
    assert stored("release").stale(40 * DAY) == "stale"
    assert stored("experiment").stale(40 * DAY) == "stale"
    assert stored("operational").stale(7 * DAY - 1) is None
    assert stored("operational").stale(7 * DAY) == "stale"
    assert stored("kill-switch").stale(10_000 * DAY) is None
    assert stored("permission").stale(10_000 * DAY) is None


def test_a_change_restarts_the_lifetime() -> None:
    flag = stored("operational").changed(FlagSpec(owner="test", type="operational"), 5 * DAY)
    assert flag.stale(11 * DAY) is None
    assert flag.stale(12 * DAY) == "stale"


def test_cleanup_counts_from_reaching_full_rollout_and_wins_over_stale() -> None:
    spec: dict[str, Any] = {"enabled": True, "rollout_percentage": 100}
    flag = stored("release", **spec)
    assert flag.stale(14 * DAY - 1) is None
    assert flag.stale(14 * DAY) == "cleanup"
    assert flag.stale(40 * DAY) == "cleanup"

    # Other edits keep the count; only leaving 100 % (or disabling) resets it.
    described = flag.changed(FlagSpec(owner="test", description="x", **spec), 10 * DAY)
    assert described.stale(14 * DAY) == "cleanup"
    paused = flag.changed(FlagSpec(owner="test", rollout_percentage=100), 10 * DAY)
    resumed = paused.changed(FlagSpec(owner="test", **spec), 11 * DAY)
    assert resumed.stale(24 * DAY) is None
    assert resumed.stale(25 * DAY) == "cleanup"


def test_archived_flags_are_never_stale() -> None:
    flag = stored("release", enabled=True, rollout_percentage=100).archived_at(1.0)
    assert flag.stale(400 * DAY) is None
