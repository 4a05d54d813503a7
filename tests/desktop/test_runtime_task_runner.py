"""The task runner: work off the GUI thread, results on it, and nothing for the deleted."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from aioke_desktop.api.errors import Timeout
from aioke_desktop.runtime.lateness import LatenessProbe
from aioke_desktop.runtime.task_runner import Lane, TaskRunner


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Ops that wait on this hang until the test (or its teardown) opens it."""
    event = threading.Event()
    yield event
    event.set()


def _flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_the_op_runs_off_the_gui_thread_and_its_result_arrives_on_it(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    gui_thread = threading.get_ident()
    seen: dict[str, object] = {}

    def op() -> int:
        seen["op_thread"] = threading.get_ident()
        return 42

    def done(value: int) -> None:
        seen["result"] = value
        seen["done_thread"] = threading.get_ident()

    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.run(op, on_done=done)

    assert seen["result"] == 42
    assert seen["op_thread"] != gui_thread
    assert seen["done_thread"] == gui_thread


def test_an_error_arrives_on_the_gui_thread_with_its_plain_sentence(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    gui_thread = threading.get_ident()
    errors: list[tuple[BaseException, int]] = []

    def op() -> None:
        raise Timeout("Prometheus did not answer within 10 s.")

    runner.run(op, on_error=lambda exc: errors.append((exc, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)

    error, thread = errors[0]
    assert isinstance(error, Timeout)
    assert error.message == "Prometheus did not answer within 10 s."
    assert thread == gui_thread


def test_an_error_nobody_handles_is_logged_with_its_traceback(
    qtbot: QtBot, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise ValueError("a bug in a fetch")

    with caplog.at_level(logging.ERROR), qtbot.waitSignal(runner.idle, timeout=5000):
        runner.run(broken, name="overview fetch")

    [record] = [r for r in caplog.records if "overview fetch" in r.getMessage()]
    assert record.exc_info is not None
    assert "a bug in a fetch" in str(record.exc_info[1])


def test_eight_hanging_ops_do_not_freeze_the_window(
    qtbot: QtBot, runner: TaskRunner, gate: threading.Event
) -> None:
    started = threading.Semaphore(0)

    def hang() -> None:
        started.release()
        gate.wait(30)

    for _ in range(8):
        runner.run(hang)
    with LatenessProbe(interval_ms=10) as probe:
        qtbot.waitUntil(lambda: probe.samples() >= 100, timeout=10_000)
    assert started.acquire(timeout=5)  # the ops really were running meanwhile
    assert runner.pending() == 8
    report = probe.report()
    assert report.p99_ms < 50, str(report)
    gate.set()
    assert runner.wait_idle(10)


def test_long_polls_never_starve_short_requests(
    qtbot: QtBot, runner: TaskRunner, gate: threading.Event
) -> None:
    for _ in range(6):  # more long polls than the long lane has threads
        runner.run(lambda: gate.wait(30), lane=Lane.LONG)
    results: list[str] = []
    runner.run(lambda: "flags loaded", on_done=results.append)
    qtbot.waitUntil(lambda: results == ["flags loaded"], timeout=5000)
    gate.set()


def test_a_result_for_a_deleted_owner_is_dropped_without_warnings(
    qtbot: QtBot, runner: TaskRunner, gate: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    label = QLabel("loading")
    owner = QObject()
    delivered: list[object] = []
    runner.run(lambda: gate.wait(30) and "flags", on_done=label.setText)  # bound: owner inferred
    runner.run(lambda: gate.wait(30) and "alerts", on_done=delivered.append, owner=owner)

    label.deleteLater()
    owner.deleteLater()
    _flush_deletes()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        gate.set()
        assert runner.wait_idle(10)
    assert delivered == []
    assert caught == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_cancelled_task_delivers_nothing_and_a_queued_one_never_runs(
    qtbot: QtBot, gate: threading.Event
) -> None:
    runner = TaskRunner(short_threads=1, long_threads=1)
    try:
        ran: list[str] = []
        delivered: list[object] = []
        started = threading.Event()

        def first() -> None:
            started.set()
            gate.wait(30)
            ran.append("first")

        running = runner.run(first, delivered.append)
        queued = runner.run(lambda: ran.append("second"), delivered.append)
        assert started.wait(5)
        running.cancel()
        queued.cancel()
        gate.set()
        assert runner.wait_idle(10)
        assert ran == ["first"]  # a running op cannot be interrupted, only ignored
        assert delivered == []
    finally:
        assert runner.shutdown(5)


def test_wait_idle_gives_up_after_its_timeout(
    qtbot: QtBot, runner: TaskRunner, gate: threading.Event
) -> None:
    runner.run(lambda: gate.wait(30))
    assert runner.wait_idle(0.2) is False
    gate.set()
    assert runner.wait_idle(10) is True


def test_shutdown_refuses_new_work(qtbot: QtBot) -> None:
    runner = TaskRunner()
    assert runner.shutdown(5)
    with pytest.raises(RuntimeError, match="shut down"):
        runner.run(lambda: None)


def test_busy_changes_when_work_starts_and_ends(qtbot: QtBot, runner: TaskRunner) -> None:
    seen: list[bool] = []
    runner.busy_changed.connect(seen.append)
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.run(lambda: 1)
    assert seen == [True, False]
