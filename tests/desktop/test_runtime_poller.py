"""Pollers: one fetch at a time, backing off on failure, and honest about stale data."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.api.errors import ConnectionFailed
from aioke_desktop.runtime.poller import Backoff, Health, Poller
from aioke_desktop.runtime.task_runner import TaskRunner


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


class Endpoint:
    """A fetch the test steers: it counts calls, can hang on a gate, or fail."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.calls = 0
        self.running = 0
        self.most_running = 0
        self.hang_from_call: int | None = None
        self.fail = False
        self.started_at: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self.calls += 1
            call = self.calls
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            self.started_at.append(time.monotonic())
        try:
            if self.hang_from_call is not None and call >= self.hang_from_call:
                self.gate.wait(30)
            if self.fail:
                raise ConnectionFailed("Prometheus could not be reached.")
            return call
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def endpoint(gate: threading.Event) -> Endpoint:
    return Endpoint(gate)


def test_a_tick_is_skipped_while_the_previous_fetch_still_runs(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint, gate: threading.Event
) -> None:
    endpoint.hang_from_call = 1
    poller = Poller(runner, endpoint, name="prometheus", interval_s=0.02)
    poller.start()
    qtbot.waitUntil(lambda: poller.skipped_ticks >= 5, timeout=5000)
    assert endpoint.calls == 1

    with qtbot.waitSignal(poller.data, timeout=5000) as got:
        gate.set()
    assert got.args == [1]
    poller.stop()
    assert runner.wait_idle(5)
    assert endpoint.most_running == 1


def test_data_is_marked_stale_after_two_intervals_without_success(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint, gate: threading.Event
) -> None:
    endpoint.hang_from_call = 2  # the first fetch works, then the server hangs
    poller = Poller(runner, endpoint, name="control plane", interval_s=0.05)
    with qtbot.waitSignal(poller.data, timeout=5000):
        poller.start()
    fresh = poller.health
    assert fresh.health is Health.OK
    assert fresh.last_success is not None

    qtbot.waitUntil(lambda: poller.health.health is Health.STALE, timeout=5000)
    assert poller.health.last_success == fresh.last_success  # "stale since" that moment

    gate.set()
    qtbot.waitUntil(lambda: poller.health.health is Health.OK, timeout=5000)
    poller.stop()
    assert runner.wait_idle(5)


def test_a_failure_turns_the_light_red_with_the_sentence_and_recovers(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint
) -> None:
    endpoint.fail = True
    poller = Poller(
        runner, endpoint, name="prometheus", interval_s=0.02, backoff=Backoff(0.05, 0.2)
    )
    with qtbot.waitSignal(poller.failed, timeout=5000) as failure:
        poller.start()
    assert isinstance(failure.args[0], ConnectionFailed)
    assert poller.health.health is Health.FAILING
    assert poller.health.error == "Prometheus could not be reached."

    endpoint.fail = False
    qtbot.waitUntil(lambda: poller.health.health is Health.OK, timeout=5000)
    assert poller.health.error is None
    poller.stop()
    assert runner.wait_idle(5)


def test_retries_back_off_after_consecutive_failures(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint
) -> None:
    endpoint.fail = True
    backoff = Backoff(first_s=0.1, cap_s=0.4)
    poller = Poller(runner, endpoint, name="am", interval_s=0.01, backoff=backoff)
    poller.start()
    qtbot.waitUntil(lambda: endpoint.calls >= 5, timeout=10_000)
    poller.stop()
    assert runner.wait_idle(5)

    gaps = [b - a for a, b in zip(endpoint.started_at, endpoint.started_at[1:], strict=False)]
    # At least the lower bound of each jittered delay (timers may fire a little early).
    floors = [0.1, 0.1, 0.2, 0.2]
    for gap, floor in zip(gaps, floors, strict=False):
        assert gap >= floor * 0.9, gaps
    assert max(gaps) < 0.4 * 1.1 + 0.3, gaps  # capped (plus scheduling slack)


def test_backoff_stays_between_one_and_thirty_seconds_and_grows() -> None:
    rng = random.Random(7)
    backoff = Backoff()
    delays = [backoff.delay(n, rng) for n in range(1, 12)]
    assert all(1.0 <= d <= 30.0 for d in delays)
    assert delays[0] == 1.0
    assert all(d >= 15.0 for d in delays[5:])  # doubled up to the 30 s cap, jittered by half


def test_interval_off_stops_fetching_but_refresh_still_works(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint
) -> None:
    poller = Poller(runner, endpoint, name="flags", interval_s=0.02)
    with qtbot.waitSignal(poller.data, timeout=5000):
        poller.start()
    poller.set_interval(None)
    assert runner.wait_idle(5)
    calls = endpoint.calls
    with qtbot.assertNotEmitted(poller.fetch_started, wait=200):
        pass
    assert endpoint.calls == calls

    with qtbot.waitSignal(poller.data, timeout=5000):
        poller.refresh_now()
    assert poller.health.health is Health.OK  # an interval of "off" never goes stale
    poller.stop()


def test_changing_the_interval_takes_effect(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint
) -> None:
    poller = Poller(runner, endpoint, name="slos", interval_s=None)
    with qtbot.waitSignal(poller.data, timeout=5000):
        poller.start()
    poller.set_interval(0.02)
    qtbot.waitUntil(lambda: endpoint.calls >= 4, timeout=5000)
    poller.stop()
    assert runner.wait_idle(5)


def test_a_refresh_during_a_fetch_supersedes_its_result(
    qtbot: QtBot, runner: TaskRunner, endpoint: Endpoint, gate: threading.Event
) -> None:
    endpoint.hang_from_call = 1
    poller = Poller(runner, endpoint, name="overview", interval_s=None)
    results: list[int] = []
    poller.data.connect(results.append)
    poller.start()
    qtbot.waitUntil(lambda: endpoint.running == 1, timeout=5000)
    poller.refresh_now()  # e.g. the time range changed while the old query ran
    assert endpoint.calls == 1  # never two at once

    endpoint.hang_from_call = None
    gate.set()
    qtbot.waitUntil(lambda: results == [2], timeout=5000)
    assert runner.wait_idle(5)
    assert results == [2]  # the answer to the old question was never shown
    poller.stop()
