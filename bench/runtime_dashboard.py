"""A 24-panel dashboard of the real Overview, fed by a synthetic Prometheus, on a simulated clock.

Six Overview pages (four golden-signal charts each, one service selected on each) share one
task runner and one session, as the app's pages do. Their Prometheus is a canned,
Prometheus-compatible answer served through an ``httpx.MockTransport`` (the real client,
parser, store and charts; no socket), whose points follow the requested window, so a
simulated clock that moves 5 s per refresh gives each refresh a real tail to fetch and merge.
Hours of refreshes then take minutes. B4, B5 and the desktop load test build on it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import zlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from statistics import median
from typing import Any
from urllib.parse import parse_qs

import httpx
import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.app import make_application
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages import overview
from aioke_desktop.ui.pages.base import ViewSettings
from aioke_desktop.ui.pages.overview import OverviewPage
from aioke_desktop.ui.theme import Theme
from aioke_desktop.ui.widgets.time_range import TimeRange

from .figures import Figure
from .report import print_table

SERVICES = ("checkout", "search", "auth", "gateway", "payments", "catalog")
RESOURCES = ("cpu", "memory", "queue")
PANELS_PER_PAGE = 4
REFRESH_S = 5.0
REFRESHES_PER_HOUR = int(3600 / REFRESH_S)  # 720
ONE_HOUR = ViewSettings(TimeRange.last("1h"), None)  # refreshes are driven by the clock below
SETTLE_S = 0.05  # after the last redraw job: time for the paint events it posted
START = 1_790_000_000.0  # a fixed simulated "now": every run fetches the same numbers


class SimulatedClock:
    """What the Overview reads as ``time``: a clock that moves only when told to."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _value(service: str, detail: str, signal_hash: int, times: np.ndarray) -> np.ndarray:
    phase = (zlib.crc32(f"{service}/{detail}".encode()) + signal_hash) % 1000 / 160.0
    return 0.2 + 0.1 * np.sin(times / 600.0 + phase) + 0.01 * np.cos(times / 37.0)


def synthetic_prometheus(request: httpx.Request) -> httpx.Response:
    """A Prometheus-compatible answer: every service on the requested grid (saturation by
    resource), values smooth functions of time, and the error budgets of every service."""
    params = parse_qs(request.url.query.decode())
    expr = params.get("query", [""])[0]
    if request.url.path.endswith("/query_range"):
        start, end, step = (float(params[k][0]) for k in ("start", "end", "step"))
        times = np.arange(start, end + step / 2, step)
        details = RESOURCES if "saturation" in expr else ("",)
        signal_hash = zlib.crc32(expr.encode())
        result = []
        for service in SERVICES:
            for detail in details:
                labels = {"service": service, **({"resource": detail} if detail else {})}
                values = _value(service, detail, signal_hash, times)
                pairs = [[float(t), f"{v:.6g}"] for t, v in zip(times, values, strict=True)]
                result.append({"metric": labels, "values": pairs})
        data: dict[str, Any] = {"resultType": "matrix", "result": result}
    else:
        at = float(params.get("time", [str(START)])[0])
        data = {
            "resultType": "vector",
            "result": [{"metric": {"sloth_service": s}, "value": [at, "0.8"]} for s in SERVICES],
        }
    body = json.dumps({"status": "success", "data": data}).encode()
    return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def _no_control_plane_data(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[])  # no SLOs and no past changes to mark


def synthetic_connection(session: Session, prometheus_url: str | None = None) -> Connection:
    """A logged-in connection to the synthetic answer, or to a real server at
    ``prometheus_url`` (through the app's own transport, with a deadline of its own)."""
    context = Context("synthetic", "http://cluster.invalid", "http://prometheus.invalid")
    policy = HttpPolicy(deadline_seconds=10, max_attempts=1)
    if prometheus_url is None:
        source = PrometheusSource(
            context.prometheus_url,
            transport=httpx.MockTransport(synthetic_prometheus),
            policy=policy,
        )
    else:
        source = PrometheusSource(prometheus_url, policy=HttpPolicy(deadline_seconds=45))
    cluster = ClusterClient(
        context,
        transport=httpx.MockTransport(_no_control_plane_data),
        policy=policy,
        on_session_change=session.tokens_changed_from_worker,
    )
    return Connection(context, cluster, source, None, "bench", ("viewer",))


class _AllInOneSlot:
    """The peers' way: the page's redraw jobs are held, then all run in one slot."""

    def __init__(self) -> None:
        self.jobs: dict[Hashable, Callable[[], Any]] = {}

    def queue(self, key: Hashable, job: Callable[[], Any]) -> None:
        self.jobs[key] = job

    def pending(self) -> int:
        return len(self.jobs)

    def clear(self) -> None:
        self.jobs.clear()

    def run_all(self) -> None:
        jobs, self.jobs = list(self.jobs.values()), {}
        for job in jobs:
            job()


_ticks: list[QTimer] = []  # one for the process: a QTimer made a call adds refs to None


def wait_until(check: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``check()`` holds (True) or ``timeout_s`` passes (False).

    Not nested ``QEventLoop.exec()`` calls woken by single shots, nor a new timer a call:
    under PySide6 6.11 both add references to None on every turn, which would hide the
    drift B5 looks for. One ticking timer wakes the wait instead.
    """
    app = application()
    if not _ticks:
        _ticks.append(QTimer())
        _ticks[0].setInterval(2)
    tick = _ticks[0]
    deadline = time.monotonic() + timeout_s
    tick.start()
    try:
        while not check():
            if time.monotonic() > deadline:
                return False
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        return True
    finally:
        tick.stop()


def run_event_loop(seconds: float) -> None:
    ends = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() >= ends, seconds + 1)


def application() -> QApplication:
    """The app's own QApplication set-up (its GIL switch interval too), drawing off screen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return make_application(["bench"])


class Dashboard:
    """Six real Overview pages (24 charts) in one window, refreshed on a simulated clock.

    Args:
        runner: the task runner every page fetches through.
        pages: how many Overview pages (four charts each).
        one_slot: redraw the way peers do: every panel of every page in one slot, once
            all pages have their data (instead of one panel per event-loop turn).
    """

    def __init__(
        self, runner: TaskRunner, pages: int = 6, *, one_slot: bool = False, shown: bool = True
    ) -> None:
        self.shown = shown
        self.clock = SimulatedClock()
        self.session = Session()
        self.window = QWidget()
        self.window.resize(1920, 1200)
        grid = QGridLayout(self.window)
        grid.setContentsMargins(0, 0, 0, 0)
        self.theme = Theme(application(), "light")
        self.pages = [OverviewPage(runner, self.theme, self.session) for _ in range(pages)]
        self._held: list[_AllInOneSlot] = []
        for number, page in enumerate(self.pages):
            grid.addWidget(page, number // 3, number % 3)
            if one_slot:
                held = _AllInOneSlot()
                page._redraws = held  # type: ignore[assignment]  # the peers' way, by design
                self._held.append(held)
        self.answers = 0
        for page in self.pages:
            page.poller.data.connect(self._answered)
            page.poller.failed.connect(self._answered)

    @property
    def panels(self) -> int:
        return len(self.pages) * PANELS_PER_PAGE

    def _answered(self, *_: object) -> None:
        self.answers += 1

    def open(self, connection: Connection | None = None, timeout_s: float = 60.0) -> None:
        """Show the window, connect and load the first (full) window; one service a page."""
        if self.shown:
            self.window.show()
        self.session.attach(connection or synthetic_connection(self.session))
        for page in self.pages:
            page.activate(ONE_HOUR)
        if not wait_until(lambda: self.answers >= len(self.pages), timeout_s):
            raise TimeoutError("the dashboard's first load did not finish")
        for page, service in zip(self.pages, SERVICES * 4, strict=False):
            page.select_services([service])
        self.settle(timeout_s)

    def refresh(self, timeout_s: float = 30.0) -> None:
        """One refresh of every page, 5 s later on the simulated clock; returns once every
        answer is merged and every panel redrawn and painted."""
        self.clock.advance(REFRESH_S)
        wanted = self.answers + len(self.pages)
        for page in self.pages:  # each page's poller fires in its own slot, as in the app
            QTimer.singleShot(0, page.refresh)
        if not wait_until(lambda: self.answers >= wanted, timeout_s):
            raise TimeoutError("a dashboard refresh did not finish")
        if self._held:
            for held in self._held:  # one slot: every page's panels, back to back
                held.run_all()
        self.settle(timeout_s)

    def settle(self, timeout_s: float = 30.0) -> None:
        """Until every queued redraw ran and the event loop had turns to paint it."""
        wait_until(lambda: all(p._redraws.pending() == 0 for p in self.pages), timeout_s)
        run_event_loop(SETTLE_S)

    def close(self, runner: TaskRunner) -> None:
        self.theme.deleteLater()
        for page in self.pages:
            page.deactivate()
        runner.wait_idle(30)
        self.session.detach()
        self.window.close()
        self.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@contextmanager
def simulated_time(clock: SimulatedClock) -> Iterator[None]:
    """The Overview reads ``clock`` as its time while inside (its tails follow the clock)."""
    names = vars(overview)  # the module's own ``time``, as ``time.time()`` there reads it
    real = names["time"]
    names["time"] = clock
    try:
        yield
    finally:
        names["time"] = real


@contextmanager
def dashboard(pages: int = 6, *, one_slot: bool = False, shown: bool = True) -> Iterator[Dashboard]:
    """A loaded dashboard and its own task runner, closed and joined afterwards."""
    application()
    runner = TaskRunner(short_threads=4, long_threads=2)
    board = Dashboard(runner, pages, one_slot=one_slot, shown=shown)
    try:
        with simulated_time(board.clock):
            board.open()
            yield board
    finally:
        board.close(runner)
        runner.shutdown(timeout_s=10.0)


def rss_kib() -> int:
    """This process' resident set (VmRSS), in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def run_alone(prog: str, measure: Callable[[bool, int], Sequence[Figure]]) -> None:
    """``python -m bench.runtime_…``: one group of figures, printed as the bench prints them."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke test")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median shown)")
    args = parser.parse_args()
    print_table(list(measure(args.quick, args.runs)))


__all__ = ["median"]  # the bench modules take it from here
