"""Throttles and the lateness probe: redraws merged and spread, freezes measured."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.lateness import LatenessProbe
from aioke_desktop.runtime.throttle import OnePerTurn, Throttle


def test_the_first_call_runs_at_once_and_the_rest_merge_into_one(qtbot: QtBot) -> None:
    calls: list[int] = []
    throttle = Throttle(calls.append, delay_ms=100)
    throttle(1)
    assert calls == [1]
    for value in (2, 3, 4):
        throttle(value)
    assert calls == [1]
    qtbot.waitUntil(lambda: calls == [1, 4], timeout=2000)
    assert not throttle.has_pending()


def test_a_cancelled_throttle_drops_its_pending_call(qtbot: QtBot) -> None:
    calls: list[int] = []
    throttle = Throttle(calls.append, delay_ms=50)
    throttle(1)
    throttle(2)
    throttle.cancel()
    qtbot.wait(150)  # longer than the delay: the merged call would have run by now
    assert calls == [1]


def test_queued_repaints_run_one_per_event_loop_turn(qtbot: QtBot) -> None:
    turns = 0

    def count_turn() -> None:
        nonlocal turns
        turns += 1

    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(count_turn)
    ticker.start()
    spread = OnePerTurn()
    ran: list[tuple[str, int]] = []
    spread.queue("latency", lambda: ran.append(("latency-old", turns)))
    spread.queue("traffic", lambda: ran.append(("traffic", turns)))
    spread.queue("latency", lambda: ran.append(("latency", turns)))  # merges, keeps its place
    qtbot.waitUntil(lambda: spread.pending() == 0 and len(ran) == 2, timeout=2000)
    ticker.stop()

    assert [name for name, _ in ran] == ["latency", "traffic"]
    assert ran[0][1] < ran[1][1], "both repaints ran in the same event-loop turn"


def test_the_probe_sees_a_slot_that_blocks_the_event_loop(qtbot: QtBot) -> None:
    def block_for_150_ms() -> None:
        end = time.perf_counter() + 0.15
        while time.perf_counter() < end:  # a slot doing too much work on the GUI thread
            pass

    with LatenessProbe(interval_ms=10) as probe:
        qtbot.waitUntil(lambda: probe.samples() >= 10, timeout=5000)
        QTimer.singleShot(0, block_for_150_ms)
        qtbot.waitUntil(lambda: probe.samples() >= 30, timeout=5000)
    report = probe.report()
    assert report.max_ms >= 100, str(report)
    assert report.p50_ms < 50, str(report)
    assert not probe.is_running()
