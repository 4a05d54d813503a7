"""The workload thread: what it costs, and that it stops cleanly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from aioke_cluster import events
from aioke_cluster.breakers import SCHEMA as BREAKERS_SCHEMA
from aioke_cluster.breakers import BreakerRegistry
from aioke_cluster.clock import ManualClock, SystemClock
from aioke_cluster.db import Database
from aioke_cluster.flags.store import SCHEMA as FLAGS_SCHEMA
from aioke_cluster.workload import SCHEMA, Simulator

# Wednesday 7 January 2026, 16:00 UTC: the busiest hour of the daily curve.
WEEKDAY_PEAK = 1767744000.0 + 16 * 3600


def database(tmp_path: Path) -> Database:
    db = Database(tmp_path / "workload.db")
    db.migrate([BREAKERS_SCHEMA, FLAGS_SCHEMA, SCHEMA, events.SCHEMA])
    return db


def test_a_minute_at_the_daily_peak_costs_a_sliver_of_a_core(tmp_path: Path) -> None:
    db = database(tmp_path)
    clock = ManualClock(WEEKDAY_PEAK)
    sim = Simulator(db, clock, breakers=BreakerRegistry(db, clock, events.EventBus()), seed=3)
    started = time.thread_time()
    for _ in range(60):
        clock.advance(1)
        sim.tick(clock.now())
    # The whole sandbox at rest must stay under 15 % of one core; this is its traffic's share.
    assert time.thread_time() - started < 0.05 * 60
    db.close()


def test_the_thread_ticks_until_stopped_and_leaves_nothing_behind(tmp_path: Path) -> None:
    db = database(tmp_path)
    sim = Simulator(db, SystemClock(), seed=1, interval_seconds=0.02)
    sim.start()
    deadline = time.monotonic() + 10
    while sim.ticks < 3:
        assert time.monotonic() < deadline, "the workload did not tick"
        time.sleep(0.01)
    sim.stop()
    assert not sim.running
    assert not [t for t in threading.enumerate() if t.name == "aioke-workload"]
    ticks = sim.ticks
    assert sim.cpu_seconds > 0
    sim.stop()  # a second stop is harmless
    assert sim.ticks == ticks
    db.close()
