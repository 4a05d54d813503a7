"""Desktop tests: headless by default, and nothing may be left running after a test."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator

# Before Qt loads: the test command sets it too, but a bare `pytest tests/desktop` must not
# try to open a display (napari and Picard do the same in their conftest).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from aioke_desktop.runtime.task_runner import TaskRunner


def _live(kind: type) -> list[object]:
    return [o for o in gc.get_objects() if isinstance(o, kind) and shiboken6.isValid(o)]


def _expected_to_outlive(thread: threading.Thread) -> bool:
    # Threads that ran Python code inside a QThreadPool appear as _DummyThread forever;
    # the session's control plane (tests/harness.py) keeps AnyIO workers for its next request.
    return isinstance(thread, threading._DummyThread) or thread.name.startswith("AnyIO worker")


@pytest.fixture(autouse=True)
def _nothing_left_running(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves a running timer, an open task runner or a thread behind.

    pytest-qt has closed the test's widgets by the time this runs; their deferred deletes
    are flushed first so that only what really outlives the test is reported.
    """
    threads_before = set(threading.enumerate())
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    timers = [t for t in _live(QTimer) if t.isActive()]  # type: ignore[attr-defined]
    runners = [r for r in _live(TaskRunner) if not r._closed]  # type: ignore[attr-defined]
    threads = [
        t
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not _expected_to_outlive(t)
    ]
    for timer in timers:
        timer.stop()  # type: ignore[attr-defined]
    for runner in runners:
        runner.shutdown(1.0)  # type: ignore[attr-defined]
    assert not timers, f"timers left running: {[t.objectName() or t for t in timers]}"  # type: ignore[attr-defined]
    assert not runners, "a TaskRunner was not shut down"
    assert not threads, f"threads left running: {threads}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture
def runner(qapp: QApplication) -> Iterator[TaskRunner]:
    """A task runner that is shut down (and its threads joined) after the test."""
    task_runner = TaskRunner(short_threads=4, long_threads=2)
    yield task_runner
    assert task_runner.shutdown(timeout_s=5.0), "operations were still running at the end"
    assert task_runner.active_threads() == 0
    shiboken6.delete(task_runner)  # joins the pools' idle threads now, not in 30 s
