"""B3: a chart frame (setData + paint) with the app's real chart, offscreen.

A frame is ``TimeSeriesChart.set_lines`` followed by painting the plot synchronously
(``grab`` renders it into a pixmap, as the screen would get it). The figure is the GUI
thread's CPU time per frame (``thread_time``: the machine is shared, and waiting for a core
is not the chart's cost); the wall time is in the note.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from aioke_desktop.core.golden import Floats

from .figures import Figure, median

FRAME_SIZE = (800, 300)  # about a chart of the overview on a laptop screen
COLOURS = ("#0072b2", "#e69f00", "#d55e00", "#009e73")


def _frame_timer(frame: Callable[[int], object], frames: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per frame."""
    cpu, wall = time.thread_time(), time.perf_counter()
    for n in range(frames):
        frame(n)
    return (
        (time.thread_time() - cpu) / frames * 1000,
        (time.perf_counter() - wall) / frames * 1000,
    )


def measure_render(quick: bool, runs: int) -> list[Figure]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from aioke_desktop.ui.charts.line import Line
    from aioke_desktop.ui.charts.timeseries import TimeSeriesChart
    from aioke_desktop.ui.charts.units import Unit

    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(9)

    def lines(count: int, points: int, shift: int) -> list[Line]:
        times: Floats = 1.7e9 + 5.0 * np.arange(points, dtype=np.float64)
        found = []
        for n in range(count):
            values: Floats = 50 + 10 * np.sin(times / 900 + n + shift) + rng.normal(0, 2, points)
            found.append(Line(f"svc-{n}", times, values, values, COLOURS[n % len(COLOURS)]))
        return found

    def chart(*, downsample: bool = True) -> TimeSeriesChart:
        made = TimeSeriesChart("Latency", Unit.MS)
        if not downsample:  # pyqtgraph's defaults
            made.plot.setDownsampling(ds=1, auto=False)
            made.plot.setClipToView(False)
        made.resize(*FRAME_SIZE)
        made.show()
        app.processEvents()
        return made

    frames = 3 if quick else 30
    # A steady refresh slides the window by a step: frame n shows points n … n + 719.
    history = lines(4, 720 + frames + 1, 0)

    def window(n: int) -> list[Line]:
        cut = slice(n, n + 720)
        return [Line(h.label, h.times[cut], h.values[cut], h.raw[cut], h.colour) for h in history]

    small = [window(n) for n in range(frames + 1)]
    ours = chart()
    plain = pg.PlotWidget()
    plain.resize(*FRAME_SIZE)
    plain.show()

    def our_frame(n: int) -> None:
        ours.set_lines(small[n])
        ours.plot_widget.grab()

    def peer_frame(n: int) -> None:  # new items every refresh, default settings
        item = plain.getPlotItem()
        item.clear()
        for line in small[n]:
            item.plot(line.times, line.values, pen=line.colour)
        plain.grab()

    big_points = 100_000 if quick else 1_000_000
    big = [lines(1, big_points, shift) for shift in range(2)]
    peak, default = chart(), chart(downsample=False)

    def big_frame(target: TimeSeriesChart) -> Callable[[int], None]:
        def frame(n: int) -> None:
            target.set_lines(big[n % 2])
            target.plot_widget.grab()

        return frame

    big_frames = 2 if quick else 5
    results: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("ours", "peer", "peak", "default")
    }
    try:
        for job in (our_frame, peer_frame, big_frame(peak), big_frame(default)):
            job(0)  # warm-up
        for _ in range(runs):
            results["ours"].append(_frame_timer(our_frame, frames))
            results["peer"].append(_frame_timer(peer_frame, frames))
            results["peak"].append(_frame_timer(big_frame(peak), big_frames))
            results["default"].append(_frame_timer(big_frame(default), big_frames))
    finally:
        for widget in (ours, plain, peak, default):
            widget.close()
            widget.deleteLater()
        app.processEvents()
    cpu = {k: [c for c, _w in v] for k, v in results.items()}
    wall = {k: median([w for _c, w in v]) for k, v in results.items()}
    frame_ms = median(cpu["ours"])
    peak_ms, default_ms = median(cpu["peak"]), median(cpu["default"])
    size = f"{FRAME_SIZE[0]}×{FRAME_SIZE[1]} px, offscreen"
    return [
        Figure(
            "B3", "render frame (setData + paint), 4 series × 720 points", frame_ms, "ms",
            "≤ 8 ms", frame_ms <= 8.0, median(cpu["peer"]), tuple(cpu["ours"]),
            "new plot items every refresh, pyqtgraph's defaults",
            f"GUI-thread CPU; wall {wall['ours']:.1f} ms (peers {wall['peer']:.1f} ms); {size}",
        ),
        Figure(
            "B3b", f"render frame, one series of {big_points:,} points, peak downsampling",
            peak_ms, "ms", "≤ 0.3× the default", peak_ms <= 0.3 * default_ms, default_ms,
            tuple(cpu["peak"]), "the same chart without downsampling (pyqtgraph's default)",
            f"GUI-thread CPU; wall {wall['peak']:.0f} ms against {wall['default']:.0f} ms; "
            f"{size}",
        ),
    ]  # fmt: skip
