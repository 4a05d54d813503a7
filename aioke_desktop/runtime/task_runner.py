"""The one task runner: every network or disk call runs here, off the GUI thread.

Call sites read like Anki's ``QueryOp``::

    runner.run(op=lambda: client.flags(), on_done=self._show_flags, on_error=self._show_error,
               owner=self)

``op`` runs on a worker thread and must not touch a widget; ``on_done`` and ``on_error`` run
on the GUI thread, delivered by a queued signal. The result of a cancelled task, or of a task
whose owner was deleted meanwhile, is dropped. Long polls run in their own lane, so a feed
waiting 30 s for news never holds up a query the user is waiting for.
"""

from __future__ import annotations

import enum
import inspect
import itertools
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lane(enum.Enum):
    """Which pool of threads a task waits for."""

    SHORT = "short"
    """Requests the user waits for: queries, actions, page loads."""
    LONG = "long"
    """Long polls and slow jobs (the event feed, exports): they never starve ``SHORT``."""


def _weak_callback(callback: Callable[..., Any] | None) -> Callable[[], Any]:
    """A reference that lets a widget die while its task is in flight (its result is then
    dropped); any other callback is held strongly, or nothing would keep it alive."""
    if inspect.ismethod(callback) and isinstance(callback.__self__, QObject):
        return weakref.WeakMethod(callback)
    return lambda: callback


def _owner_of(callback: Callable[..., Any] | None) -> QObject | None:
    bound_to = getattr(callback, "__self__", None)
    return bound_to if isinstance(bound_to, QObject) else None


@dataclass(eq=False)
class Task(Generic[T]):
    """A handle on one submitted operation; ``cancel()`` drops its result.

    A running operation cannot be interrupted (the clients' deadlines end it); cancelling
    only guarantees that neither callback is called and that a task still queued never runs.
    """

    id: int
    name: str
    lane: Lane
    op: Callable[[], T]
    _on_done: Callable[[], Callable[[T], Any] | None]
    _on_error: Callable[[], Callable[[BaseException], Any] | None]
    _owner: Callable[[], QObject | None] | None
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True

    def owner_gone(self) -> bool:
        """True when the task had an owner and it has been deleted (in Python or in C++)."""
        if self._owner is None:
            return False
        owner = self._owner()
        return owner is None or not shiboken6.isValid(owner)


class _Relay(QObject):
    """Lives on the GUI thread; workers emit on it, Qt queues the call over."""

    finished = Signal(int, bool, object)


class _Job(QRunnable):
    def __init__(self, task: Task[Any], relay: _Relay) -> None:
        super().__init__()
        self._task = task
        self._relay = relay

    def run(self) -> None:
        task = self._task
        if task.cancelled:
            self._relay.finished.emit(task.id, False, None)
            return
        try:
            result: object = task.op()
            ok = True
        except BaseException as exc:
            result, ok = exc, False
        self._relay.finished.emit(task.id, ok, result)


class TaskRunner(QObject):
    """Runs operations on bounded thread pools and hands results back on the GUI thread.

    Args:
        short_threads: threads for requests the user waits for.
        long_threads: threads reserved for long polls and slow jobs.

    Signals:
        idle(): the last pending task was delivered or dropped.
        busy_changed(bool): work started (True) or the runner became idle (False).
    """

    idle = Signal()
    busy_changed = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, *, short_threads: int = 4, long_threads: int = 2
    ) -> None:
        super().__init__(parent)
        self._pools: dict[Lane, QThreadPool] = {}
        for lane, threads in ((Lane.SHORT, short_threads), (Lane.LONG, long_threads)):
            pool = QThreadPool(self)
            pool.setMaxThreadCount(threads)
            pool.setObjectName(f"aioke-{lane.value}")
            self._pools[lane] = pool
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._pending: dict[int, tuple[Task[Any], _Job]] = {}
        self._ids = itertools.count(1)
        self._closed = False

    def run(
        self,
        op: Callable[[], T],
        on_done: Callable[[T], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
        *,
        owner: QObject | None = None,
        lane: Lane = Lane.SHORT,
        name: str = "",
    ) -> Task[T]:
        """Run ``op`` on a worker thread; call ``on_done(result)`` or ``on_error(exc)`` here.

        Args:
            op: the work; it must not touch widgets or other GUI-thread state.
            on_done: called on the GUI thread with the result.
            on_error: called on the GUI thread with the exception; without it the error is
                logged with its traceback.
            owner: when it is deleted before the result arrives, the result is dropped.
                Defaults to the object a bound ``on_done`` belongs to.
            lane: ``Lane.LONG`` for long polls.
            name: shown in logs.
        """
        if self._closed:
            raise RuntimeError("the task runner was shut down")
        owner = owner or _owner_of(on_done) or _owner_of(on_error)
        task: Task[T] = Task(
            id=next(self._ids),
            name=name or getattr(op, "__qualname__", "task"),
            lane=lane,
            op=op,
            _on_done=_weak_callback(on_done),
            _on_error=_weak_callback(on_error),
            _owner=None if owner is None else weakref.ref(owner),
        )
        job = _Job(task, self._relay)
        # The pool deletes it once run: PySide's QThreadPool keeps a reference to a runnable
        # that is not auto-deleted for ever, and with it the task and its op (a leak a fetch).
        job.setAutoDelete(True)
        if not self._pending:
            self.busy_changed.emit(True)
        self._pending[task.id] = (task, job)
        self._pools[lane].start(job)
        return task

    def cancel_owned_by(self, owner: QObject) -> int:
        """Cancel every pending task of ``owner`` (a page being torn down, a context switch)."""
        count = 0
        for task, _job in self._pending.values():
            if task._owner is not None and task._owner() is owner:
                task.cancel()
                count += 1
        return count

    def pending(self) -> int:
        """Tasks submitted but not yet delivered or dropped."""
        return len(self._pending)

    def is_idle(self) -> bool:
        return not self._pending

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Run the event loop until every task is delivered; False if ``timeout_s`` passed."""
        if self.is_idle():
            return True
        loop = QEventLoop()
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        self.idle.connect(loop.quit)
        timer.start(int(timeout_s * 1000))
        loop.exec()
        timer.stop()
        self.idle.disconnect(loop.quit)
        timer.deleteLater()
        return self.is_idle()

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Cancel everything and wait for running operations; True when all threads are done.

        Called when the app quits and at the end of each test. An operation still running
        after ``timeout_s`` (a request past its deadline) is left to finish on its own.
        """
        self._closed = True
        for task, _job in self._pending.values():
            task.cancel()
        done = True
        for pool in self._pools.values():
            pool.clear()
            done = pool.waitForDone(int(timeout_s * 1000)) and done
        # Workers that finished have queued their deliveries; they are cancelled, so drop them.
        self._pending.clear()
        if not done:
            log.warning("task runner: operations still running after %.1f s at shutdown", timeout_s)
        return done

    def active_threads(self) -> int:
        """Worker threads busy right now, over both lanes."""
        return sum(pool.activeThreadCount() for pool in self._pools.values())

    def _deliver(self, task_id: int, ok: bool, result: object) -> None:
        entry = self._pending.pop(task_id, None)
        if entry is None:
            return  # dropped by shutdown()
        task = entry[0]
        try:
            if task.cancelled or task.owner_gone():
                log.debug("task %s: result dropped (cancelled or owner deleted)", task.name)
            elif ok:
                on_done = task._on_done()
                if on_done is not None:
                    on_done(result)
            else:
                assert isinstance(result, BaseException)
                self._report_error(task, result)
        finally:
            if not self._pending:
                self.busy_changed.emit(False)
                self.idle.emit()

    def _report_error(self, task: Task[Any], error: BaseException) -> None:
        on_error = task._on_error()
        if on_error is not None:
            on_error(error)
        else:
            log.error("task %s failed", task.name, exc_info=error)


def is_alive(obj: QObject | None) -> bool:
    """True while ``obj``'s C++ object exists (a deleted widget's wrapper outlives it)."""
    return obj is not None and shiboken6.isValid(obj)
