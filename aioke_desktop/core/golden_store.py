"""The points the overview holds: one fixed-size window per series, merged on each refresh.

Each :class:`SeriesWindow` owns three arrays sized once (twice the window, so that the
points in view are always one contiguous slice the chart can draw without a copy); a refresh
overwrites the overlap, appends the tail and drops what slid out of view. Nothing grows with
the hours an on-call screen stays open. All of it runs on the GUI thread: workers only fetch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .golden import OVERLAP_STEPS, Floats, GoldenFetch, GoldenPlan

SeriesKey = tuple[str, str, str]  # (signal, service, detail)


class SeriesWindow:
    """The points of one series inside the view's window.

    Attributes:
        times: Unix seconds (a view into the buffer; valid until the next merge).
        raw: values as Prometheus gave them, ``inf`` included (readouts show "∞").
        draw: the same with ``±inf`` as NaN: a line breaks at NaN, and an infinite value
            must not stretch the y axis to nothing.
    """

    def __init__(self, capacity: int, step: float) -> None:
        self.capacity = capacity
        self.step = step
        self._t = np.full(2 * capacity, np.nan)
        self._raw = np.full(2 * capacity, np.nan)
        self._draw = np.full(2 * capacity, np.nan)
        self._lo = self._hi = 0

    def __len__(self) -> int:
        return self._hi - self._lo

    @property
    def times(self) -> Floats:
        return self._t[self._lo : self._hi]

    @property
    def raw(self) -> Floats:
        return self._raw[self._lo : self._hi]

    @property
    def draw(self) -> Floats:
        return self._draw[self._lo : self._hi]

    def clear(self) -> None:
        self._lo = self._hi = 0

    def merge(self, times: Floats, values: Floats, window_start: float) -> None:
        """Replace what the new points cover, append them, drop points before the window."""
        keep = np.searchsorted(times, window_start, "left")
        times, values = times[keep:], values[keep:]
        if len(times) > self.capacity:
            times, values = times[-self.capacity :], values[-self.capacity :]
        lo, hi = self._lo, self._hi
        if len(times):
            hi = lo + int(np.searchsorted(self._t[lo:hi], times[0], "left"))
        lo += int(np.searchsorted(self._t[lo:hi], window_start, "left"))
        # A hole between what we hold and what came: one NaN point breaks the line there.
        hole = bool(hi > lo and len(times) and times[0] - self._t[hi - 1] > 1.5 * self.step)
        overflow = (hi - lo) + len(times) + hole - self.capacity
        if overflow >= hi - lo:  # the new points alone fill the window
            lo, hole = hi, False
        elif overflow > 0:
            lo += overflow
        if hi + len(times) + hole > len(self._t):  # slide what is kept to the front
            kept = hi - lo
            for array in (self._t, self._raw, self._draw):
                array[:kept] = array[lo:hi]
            lo, hi = 0, kept
        if hole:
            self._t[hi] = self._t[hi - 1] + self.step
            self._raw[hi] = self._draw[hi] = math.nan
            hi += 1
        end = hi + len(times)
        self._t[hi:end] = times
        self._raw[hi:end] = values
        draw = self._draw[hi:end]
        draw[:] = values
        draw[np.isinf(draw)] = np.nan
        self._lo, self._hi = lo, end

    def latest(self, not_before: float) -> float:
        """The newest value if it is at least as new as ``not_before``, else NaN."""
        if self._hi > self._lo and self._t[self._hi - 1] >= not_before:
            return float(self._raw[self._hi - 1])
        return math.nan

    def value_at(self, when: float) -> float:
        """The value of the point nearest ``when`` (within half a step), else NaN."""
        times = self.times
        if not len(times):
            return math.nan
        index = int(np.searchsorted(times, when))
        best = min(
            (i for i in (index - 1, index) if 0 <= i < len(times)),
            key=lambda i: abs(times[i] - when),
        )
        return float(self.raw[best]) if abs(times[best] - when) <= self.step / 2 else math.nan


class GoldenStore:
    """Every series of the current plan, kept up to date by :meth:`merge`.

    Workers read :meth:`since` (a single tuple read) to know where their tail starts; only
    the GUI thread calls the rest.
    """

    def __init__(self) -> None:
        self.plan: GoldenPlan | None = None
        self.start = self.end = math.nan
        self.warnings: dict[str, tuple[str, ...]] = {}
        self._series: dict[SeriesKey, SeriesWindow] = {}
        self._mark: tuple[GoldenPlan | None, float | None] = (None, None)

    def reset(self, plan: GoldenPlan) -> None:
        """Forget everything: another window, step or query (the next fetch is full)."""
        self.plan = plan
        self._series.clear()
        self._mark = (plan, None)
        self.start = self.end = math.nan
        self.warnings = {}

    def since(self, plan: GoldenPlan) -> float | None:
        """The time of the last point held for ``plan``; None means fetch it all."""
        held_plan, last = self._mark
        return last if held_plan == plan else None

    def merge(self, fetch: GoldenFetch) -> bool:
        """Take in a fetch for the current plan; False (and nothing changed) for another."""
        plan = self.plan
        if plan is None or fetch.plan != plan:
            return False
        if fetch.full:
            for window in self._series.values():
                window.clear()
        start = fetch.end - (plan.points - 1) * plan.step
        capacity = plan.points + plan.points // 4 + OVERLAP_STEPS + 2
        arrived: set[SeriesKey] = set()
        for points in fetch.series:
            if points.key not in self._series:
                self._series[points.key] = SeriesWindow(capacity, plan.step)
            window = self._series[points.key]
            window.merge(points.times, points.values, start)
            arrived.add(points.key)
        empty = np.empty(0)
        for key, window in list(self._series.items()):
            if key not in arrived:
                window.merge(empty, empty, start)
            if not len(window):
                del self._series[key]
        self.start, self.end = start, fetch.end
        self.warnings = dict(fetch.warnings)
        self._mark = (plan, fetch.end)
        return True

    def services(self) -> list[str]:
        return sorted({service for _signal, service, _detail in self._series if service})

    def series(self, signal: str, service: str) -> Iterator[tuple[str, SeriesWindow]]:
        """``(detail, window)`` of ``signal`` for ``service`` (detail: the resource)."""
        for (sig, svc, detail), window in sorted(self._series.items()):
            if sig == signal and svc == service:
                yield detail, window

    def latest(self, signal: str, service: str) -> float:
        """The service's newest value of ``signal`` (the worst resource for saturation);
        NaN when it has none within two steps of the end."""
        not_before = self.end - 2 * (self.plan.step if self.plan else 0.0)
        values = [w.latest(not_before) for _detail, w in self.series(signal, service)]
        finite = [v for v in values if not math.isnan(v)]
        return max(finite) if finite else math.nan

    def points_held(self) -> int:
        return sum(len(w) for w in self._series.values())
