"""A restarted control plane never extends a run: ``ends_at`` is persisted and obeyed.

The first control plane stops without closing its runs (as after a crash, the rows still say
``running``); the second one, on the same database, judges them by their ``ends_at`` alone.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from aioke_cluster import audit, chaos, events
from aioke_cluster.chaos import ChaosEngine, store
from aioke_cluster.clock import ManualClock
from aioke_cluster.db import Database
from aioke_cluster.events import EventBus
from harness import Cluster, running_cluster


def launch(client: httpx.Client, target: str, duration: int) -> dict[str, Any]:
    body = {
        "fault": "error",
        "target": target,
        "params": {"rate_percent": 50},
        "duration_seconds": duration,
    }
    reply = client.post("/chaos/runs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert reply.status_code == 201, reply.text
    run: dict[str, Any] = reply.json()
    return run


def active(cluster: Cluster) -> dict[int, float]:
    engine: ChaosEngine = cluster.app.state.services.chaos
    return {f.run_id: f.ends_at for f in engine.active_faults(cluster.clock.now())}


def test_a_restart_keeps_each_runs_end_and_an_expired_run_stays_ended(tmp_path: Path) -> None:
    db_path = tmp_path / "cluster.db"
    with running_cluster(db_path) as first:
        client = first.user("chaos")
        first.step_up(client)
        short = launch(client, "payments", 60)
        long = launch(client, "search", 1800)
        assert set(active(first)) == {short["id"], long["id"]}
        # The clock the runs were started by: the next control plane starts level with it.
        offset = first.clock.now() - time.time()

    with running_cluster(db_path) as second:
        second.clock.advance(offset)
        assert set(active(second)) == {short["id"], long["id"]}
        client = second.user("viewer")
        head = client.get("/events").json()["head"]

        second.clock.advance(61)  # the short run's end passes while this one is up
        ends = active(second)
        assert set(ends) == {long["id"]}
        ended = client.get(f"/chaos/runs/{short['id']}").json()
        assert ended["state"] == "completed"
        assert ended["ended_at"] == short["ends_at"]
        kept = client.get(f"/chaos/runs/{long['id']}").json()
        assert kept["state"] == "running"
        assert kept["ends_at"] == long["ends_at"]
        assert _closed(client, head, short["id"])


def test_a_run_that_ended_while_the_control_plane_was_down_is_not_resumed(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "cluster.db"
    with running_cluster(db_path) as first:
        client = first.user("chaos")
        first.step_up(client)
        run = launch(client, "checkout", 30)
        offset = first.clock.now() - time.time()

    with running_cluster(db_path) as second:
        second.clock.advance(offset + 3600)  # down for an hour
        assert active(second) == {}
        client = second.user("viewer")
        assert client.get(f"/chaos/runs/{run['id']}").json()["state"] == "completed"
        assert _closed(client, 0, run["id"])
        running = client.get("/chaos/runs", params={"state": "running"}).json()
        assert running == []


def test_a_fault_stops_at_its_end_even_while_its_row_still_says_running(tmp_path: Path) -> None:
    # The engine's loop is not started: nothing closes the run, as after a kill -9.
    db = Database(tmp_path / "cluster.db")
    db.migrate([audit.SCHEMA, events.SCHEMA, chaos.SCHEMA])
    engine = ChaosEngine(db, ManualClock(1000.0), EventBus())
    with db.write() as conn:
        run = store.insert_run(
            conn,
            fault="latency",
            target="checkout",
            params={"latency_ms": 100},
            duration_seconds=60,
            blast_radius_percent=50,
            guard=None,
            dry_run=False,
            created_by="sre",
            now=1000.0,
        )
    engine.invalidate()
    assert [f.run_id for f in engine.active_faults(1059.9)] == [run.id]
    assert engine.active_faults(1060.0) == []
    with db.read() as conn:
        stored = store.load_run(conn, run.id)
    assert stored is not None
    assert stored.state == "running"
    db.close()


def _closed(client: httpx.Client, after: int, run_id: int, timeout: float = 15) -> bool:
    """Whether the engine published ``chaos.completed`` for the run, long-polling the feed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.get("/events", params={"after": after, "wait": 5}).json()["events"]
        for event in found:
            if event["resource"] == f"chaos/runs/{run_id}" and event["kind"] == "chaos.completed":
                return True
        after = found[-1]["seq"] if found else after
    return False
