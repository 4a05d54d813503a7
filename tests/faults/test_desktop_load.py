"""Issue 10, item 16: load on the desktop. 24 charts refreshing every 5 s for hours, sped up.

Six real Overview pages (24 charts, their tables, stores, pollers and clients, one task
runner) read a synthetic Prometheus-compatible answer whose timestamps follow a simulated
clock that moves 5 s a refresh (``bench/runtime_dashboard.py``): each refresh fetches a real
tail, merges it and redraws. Refreshes run back to back, so an hour takes 720 refreshes.

Pass figures (the issue's): no crash, RSS growth ≤ 1 MB per simulated hour after warm-up,
event-loop lateness p99 < 16 ms. RSS is read from ``/proc/self/status`` every few refreshes
and its growth is the least-squares slope, which a single noisy reading cannot move much.
Lateness is measured in steady state with the window painted, refreshing at the real 5 s
pace. A refresh of 24 charts costs ~0.2 s of CPU even unpainted, so 8 simulated hours (5,760
refreshes) take over an hour here: by default the memory test covers 10 simulated minutes,
unpainted, to fit the test budget; ``AIOKE_LOAD_HOURS=8`` runs the issue's full 8 hours.
"""

from __future__ import annotations

import gc
import os
import time
from statistics import linear_regression

import pytest

from aioke_desktop.runtime.lateness import LatenessProbe
from aioke_desktop.ui.pages.base import PageState
from bench.runtime_dashboard import (
    REFRESH_S,
    REFRESHES_PER_HOUR,
    Dashboard,
    dashboard,
    rss_kib,
    run_event_loop,
)
from desktop.conftest import _nothing_left_running  # noqa: F401 (fixture)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

HOURS = float(os.environ.get("AIOKE_LOAD_HOURS", str(1 / 6)))  # simulated hours measured
WARM_UP_REFRESHES = 20  # allocator pools, caches and buffers reach their size
RSS_EVERY = 10  # refreshes between two RSS readings
PACED_REFRESHES = 4  # at the real 5 s pace, painted: 20 s of steady state
MIB_PER_HOUR = 1.0
LATENESS_P99_MS = 16.0


def rss_growth_mib_per_hour(board: Dashboard, refreshes: int) -> float:
    done: list[float] = []
    kib: list[float] = []
    for count in range(refreshes + 1):
        if count % RSS_EVERY == 0:
            gc.collect()
            done.append(count)
            kib.append(rss_kib())
        if count < refreshes:
            board.refresh()
    return linear_regression(done, kib).slope * REFRESHES_PER_HOUR / 1024


def paced_lateness_p99(board: Dashboard) -> float:
    """Lateness while the painted dashboard refreshes at the real pace, after two refreshes
    that let the window's first paints and layouts pass."""
    board.window.show()
    for _ in range(2):
        board.refresh()
    with LatenessProbe(interval_ms=10) as probe:
        for _ in range(PACED_REFRESHES):
            began = time.monotonic()
            board.refresh()
            run_event_loop(max(0.0, REFRESH_S - (time.monotonic() - began)))
    print(f"desktop load: {probe.report()}")
    return probe.report().p99_ms


@pytest.mark.slow
@pytest.mark.timeout(int(240 + HOURS * 900))  # 8 h: about two hours here
def test_24_charts_refreshing_for_simulated_hours_keep_memory_flat() -> None:
    refreshes = round(HOURS * REFRESHES_PER_HOUR)
    with dashboard(shown=False) as board:
        assert board.panels == 24
        for _ in range(WARM_UP_REFRESHES):
            board.refresh()
        growth = rss_growth_mib_per_hour(board, refreshes)

        # Every page still shows data up to the simulated now: nothing stalled or crashed.
        for page in board.pages:
            assert page.state is PageState.DATA
            assert all(chart.has_data() for chart in page.charts.charts.values())
            assert board.clock.now - page.store.end < REFRESH_S
    print(
        f"desktop load: {refreshes} refreshes of 24 charts ({HOURS:g} simulated h) after "
        f"{WARM_UP_REFRESHES} of warm-up: RSS {growth:+.3f} MiB per simulated hour"
    )
    assert growth <= MIB_PER_HOUR, f"RSS grows {growth:.2f} MiB per simulated hour"


@pytest.mark.slow
def test_24_charts_refreshing_every_5_s_keep_lateness_p99_under_16_ms() -> None:
    with dashboard(shown=False) as board:
        p99 = paced_lateness_p99(board)
    assert p99 < LATENESS_P99_MS, f"lateness p99 {p99:.1f} ms at a 5 s refresh"
