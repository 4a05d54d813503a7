"""B5: memory over 2,000 refreshes after warm-up, and the refcount of None.

One real Overview page (its four charts, table, store and clients) refreshes on a simulated
clock against the synthetic Prometheus (:mod:`bench.runtime_dashboard`), 5 s of simulated
time a refresh, so 720 refreshes are an hour. It is not painted, which keeps 2,000 refreshes
within minutes (the desktop load test, tests/faults/test_desktop_load.py, paints 24 charts).
RSS comes from ``/proc/self/status``. ``sys.getrefcount(None)`` must stay steady: PySide6
6.12 loses a reference to None on some calls until Python aborts.

    python -m bench.runtime_memory [--quick] [--runs N]
"""

from __future__ import annotations

import gc
import sys

from .figures import Figure
from .runtime_dashboard import REFRESHES_PER_HOUR, dashboard, rss_kib, run_alone

REFRESHES = 2000
QUICK_REFRESHES = 200
WARM_UP = 200
QUICK_WARM_UP = 50
TARGET_MIB_PER_HOUR = 1.0


def per_hour_mib(kib: float, refreshes: int) -> float:
    return kib / 1024 / refreshes * REFRESHES_PER_HOUR


def measure(quick: bool, runs: int) -> list[Figure]:
    total = QUICK_REFRESHES if quick else REFRESHES
    segments = max(1, min(runs, total // 50))
    per_segment = total // segments
    growth: list[float] = []
    with dashboard(pages=1, shown=False) as board:
        for _ in range(QUICK_WARM_UP if quick else WARM_UP):
            board.refresh()
        gc.collect()
        none_before = sys.getrefcount(None)
        first = rss_kib()
        for _ in range(segments):
            before = rss_kib()
            for _ in range(per_segment):
                board.refresh()
            growth.append(per_hour_mib(rss_kib() - before, per_segment))
        gc.collect()
        value = per_hour_mib(rss_kib() - first, segments * per_segment)
        none_drift = sys.getrefcount(None) - none_before
    refreshes = segments * per_segment
    return [
        Figure(
            "B5",
            f"RSS growth over {refreshes:,} refreshes after warm-up, per simulated hour "
            f"(1 Overview page, 5 s refresh; runs: {segments} stretches of {per_segment})",
            value, "MiB/h", f"≤ {TARGET_MIB_PER_HOUR:g} MB per simulated hour",
            value <= TARGET_MIB_PER_HOUR, runs=tuple(growth),
        ),
        Figure(
            "B5b",
            f"change of sys.getrefcount(None) over the same {refreshes:,} refreshes",
            float(none_drift), "refs", "steady (|change| < refreshes / 10)",
            abs(none_drift) < refreshes / 10, runs=(float(none_drift),),
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    run_alone("bench.runtime_memory", measure)
