"""B4: how late a 10 ms precise timer runs during a 24-panel refresh, and while Prometheus hangs.

The dashboard is six real Overview pages (24 charts, :mod:`bench.runtime_dashboard`). Ours:
each page spreads its panels over event-loop turns (``OnePerTurn``). The peers' way: every
panel of every page redrawn in one slot once all the answers are in. The probe runs only
while refreshes run (warm-up excluded). The hang: Prometheus becomes a loopback server that
accepts connections and answers nothing for 30 s (2 s in quick mode), then closes them.

    python -m bench.runtime_lateness [--quick] [--runs N]
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from aioke_desktop.runtime.lateness import LatenessProbe, LatenessReport

from .figures import Figure
from .runtime_dashboard import (
    Dashboard,
    application,
    dashboard,
    median,
    run_alone,
    run_event_loop,
    synthetic_connection,
    wait_until,
)

WARM_UP_REFRESHES = 2
REFRESHES_PER_RUN = 4
QUICK_REFRESHES_PER_RUN = 2
HANG_S = 30.0
QUICK_HANG_S = 2.0
SWITCH_SETTLE_S = 1.0  # after the pages cleared and redrew for the new connection
MIN_TICKS = 2  # fewer: the probe never got a turn, there is no figure
IDLE_S = 3.0


def _refreshes(board: Dashboard, count: int) -> LatenessReport:
    with LatenessProbe(interval_ms=10) as probe:
        for _ in range(count):
            board.refresh()
    return probe.report()


def during_refreshes(runs: int, per_run: int, *, one_slot: bool) -> list[LatenessReport]:
    """One report per run, each over ``per_run`` refreshes of the 24 panels."""
    with dashboard(one_slot=one_slot) as board:
        for _ in range(WARM_UP_REFRESHES):
            board.refresh()
        return [_refreshes(board, per_run) for _ in range(runs)]


@contextmanager
def hanging_server() -> Iterator[tuple[str, threading.Event]]:
    """A loopback "Prometheus" that accepts every connection and answers nothing until the
    event is set, then closes them all (a stuck server, as far as a client can tell)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    release = threading.Event()
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with suppress(TimeoutError):  # wakes every 0.1 s to look at the events
                held.append(server.accept()[0])
            if release.is_set():
                while held:
                    held.pop().close()

    thread = threading.Thread(target=accept, name="hanging-prometheus", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", release
    finally:
        release.set()
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def while_prometheus_hangs(hang_s: float) -> LatenessReport:
    """Lateness over ``hang_s`` seconds of a hanging Prometheus, the dashboard asking again
    every second. The probe starts once the pages have redrawn for the switch to the hanging
    server, and stops before the hang is released (the errors that follow are not the hang)."""
    with dashboard() as board, hanging_server() as (url, release):
        answers = board.answers
        board.session.attach(synthetic_connection(board.session, url))  # pages start over
        board.settle()
        run_event_loop(SWITCH_SETTLE_S)
        with LatenessProbe(interval_ms=10) as probe:
            ends = time.monotonic() + hang_s
            while time.monotonic() < ends:
                for page in board.pages:
                    page.refresh()  # merged into the fetch in flight, as F5 would be
                run_event_loop(min(1.0, max(0.01, ends - time.monotonic())))
        release.set()
        wait_until(lambda: board.answers >= answers + len(board.pages), 60)
        return probe.report()


def _p99(report: LatenessReport) -> float:
    return report.p99_ms if report.samples >= MIN_TICKS else math.nan


def _max(report: LatenessReport) -> float:
    return report.max_ms if report.samples >= MIN_TICKS else math.nan


def at_rest() -> LatenessReport:
    """The floor: the same probe with nothing to do (on a loaded machine it is not zero)."""
    with LatenessProbe(interval_ms=10) as probe:
        run_event_loop(IDLE_S)
    return probe.report()


def measure(quick: bool, runs: int) -> list[Figure]:
    application()  # the probe's timer needs the event loop
    idle = at_rest()
    per_run = QUICK_REFRESHES_PER_RUN if quick else REFRESHES_PER_RUN
    ours = during_refreshes(runs, per_run, one_slot=False)
    peers = during_refreshes(runs, per_run, one_slot=True)
    hang_s = QUICK_HANG_S if quick else HANG_S
    hangs = [while_prometheus_hangs(hang_s) for _ in range(1 if quick else runs)]
    p99 = [_p99(r) for r in ours]
    worst = [_max(r) for r in ours]
    hang_max = [_max(r) for r in hangs]
    return [
        Figure(
            "B4",
            "event-loop lateness p99 during a 24-panel refresh (peer: all panels in one slot)",
            median(p99), "ms", "≤ 16 ms", median(p99) <= 16,
            peer=median([_p99(r) for r in peers]), runs=tuple(p99),
        ),
        Figure(
            "B4b",
            "event-loop lateness max during a 24-panel refresh (peer: all panels in one slot)",
            median(worst), "ms", "≤ 50 ms", median(worst) <= 50,
            peer=median([_max(r) for r in peers]), runs=tuple(worst),
        ),
        Figure(
            "B4c",
            f"event-loop lateness max while Prometheus hangs {hang_s:g} s (24 panels)",
            median(hang_max), "ms", "≤ 100 ms", median(hang_max) <= 100, runs=tuple(hang_max),
        ),
        Figure(
            "B4d",
            f"event-loop lateness p99 with nothing to do (this machine's floor; max "
            f"{idle.max_ms:.0f} ms)",
            _p99(idle), "ms", "none", None, runs=(_p99(idle),),
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("bench.runtime_lateness", measure)
