"""The points the overview holds: one fixed-size window per series, merged on each refresh.

Each :class:`SeriesWindow` owns three arrays sized once (twice the window, so that the
points in view are always one contiguous slice the chart can draw without a copy); a refresh
overwrites the overlap, appends the tail and drops what slid out of view. Nothing grows with
the hours an on-call screen stays open. The merge itself runs on the fetch's worker
(:meth:`GoldenStore.prepare`, into buffers not shown); the GUI thread only swaps them in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields

import numpy as np

from .golden import OVERLAP_STEPS, Floats, GoldenFetch, GoldenPlan

SeriesKey = tuple[str, str, str]  # (signal, service, detail)


class SeriesWindow:
    """The points of one series inside the view's window.

    Each array is sized once, twice the window: a merge (:meth:`prepare`, on the fetch's
    worker) writes the next points into the half not shown, and :meth:`commit` (on the GUI
    thread) shows that half. The GUI thread never waits for a merge, and never reads a
    half-written window.

    Attributes:
        times: Unix seconds (a view into the buffer; valid until the next commit).
        raw: values as Prometheus gave them, ``inf`` included (readouts show "∞").
        draw: the same with ``±inf`` as NaN: a line breaks at NaN, and an infinite value
            must not stretch the y axis to nothing.
    """

    def __init__(self, capacity: int, step: float) -> None:
        self.capacity = capacity
        self.step = step
        self._half = capacity + 1  # one spare point: the NaN that marks a hole
        self._t = np.full(2 * self._half, np.nan)
        self._raw = np.full(2 * self._half, np.nan)
        self._draw = np.full(2 * self._half, np.nan)
        self._lo = self._hi = 0  # what is shown: inside one half

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
        self._hi = self._lo

    def merge(self, times: Floats, values: Floats, window_start: float) -> None:
        """Replace what the new points cover, append them, drop points before the window."""
        self.commit(self.prepare(times, values, window_start))

    def prepare(
        self, times: Floats, values: Floats, window_start: float, *, cleared: bool = False
    ) -> tuple[int, int]:
        """:meth:`merge` into the half not shown; returns where it lies, for :meth:`commit`.
        ``cleared``: merge into nothing (a full fetch) instead of what is shown."""
        keep = np.searchsorted(times, window_start, "left")
        times, values = times[keep:], values[keep:]
        if len(times) > self.capacity:
            times, values = times[-self.capacity :], values[-self.capacity :]
        lo, hi = self._lo, self._lo if cleared else self._hi
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
        start = self._half if self._lo < self._half else 0  # the other half
        end = start + hi - lo
        for array in (self._t, self._raw, self._draw):
            array[start:end] = array[lo:hi]
        if hole:
            self._t[end] = self._t[end - 1] + self.step
            self._raw[end] = self._draw[end] = math.nan
            end += 1
        new = slice(end, end + len(times))
        self._t[new] = times
        self._raw[new] = values
        draw = self._draw[new]
        draw[:] = values
        draw[np.isinf(draw)] = np.nan
        return start, new.stop

    def commit(self, merged: tuple[int, int]) -> None:
        """Show what :meth:`prepare` merged (GUI thread)."""
        self._lo, self._hi = merged

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


@dataclass(frozen=True)
class MergedFetch(GoldenFetch):
    """A fetch and its merge, prepared on the worker for :meth:`GoldenStore.commit` (the
    page's poller hands it on as the fetch it is).

    Attributes:
        generation: the store's state it was merged against.
        merged: each series' window and where its merged points lie.
        ok: False when the fetch was for another plan.
    """

    generation: int = -1
    merged: Mapping[SeriesKey, tuple[SeriesWindow, tuple[int, int]]] = field(default_factory=dict)
    ok: bool = False


class GoldenStore:
    """Every series of the current plan, kept up to date by :meth:`merge`.

    Workers read :meth:`since` (a single tuple read) to know where their tail starts and
    :meth:`prepare` their merge; only the GUI thread calls the rest.
    """

    def __init__(self) -> None:
        self.plan: GoldenPlan | None = None
        self.start = self.end = math.nan
        self.warnings: dict[str, tuple[str, ...]] = {}
        self._series: dict[SeriesKey, SeriesWindow] = {}
        self._mark: tuple[GoldenPlan | None, float | None] = (None, None)
        self._generation = 0  # moves on with every reset and commit

    def reset(self, plan: GoldenPlan) -> None:
        """Forget everything: another window, step or query (the next fetch is full)."""
        self.plan = plan
        self._series = {}
        self._generation += 1
        self._mark = (plan, None)
        self.start = self.end = math.nan
        self.warnings = {}

    def since(self, plan: GoldenPlan) -> float | None:
        """The time of the last point held for ``plan``; None means fetch it all."""
        held_plan, last = self._mark
        return last if held_plan == plan else None

    def merge(self, fetch: GoldenFetch) -> bool:
        """Take in a fetch for the current plan; False (and nothing changed) for another."""
        return self.commit(self.prepare(fetch))

    def prepare(self, fetch: GoldenFetch) -> MergedFetch:
        """Merge ``fetch`` into buffers not shown (on the worker that fetched it: the GUI
        thread then only swaps them in). A page's fetches never overlap, so two prepares
        never run at once; the GUI thread meanwhile only reads the buffers shown."""
        plan, generation = self.plan, self._generation
        series = dict(self._series)  # one atomic copy: the GUI thread may reset the dict
        if plan is None or fetch.plan != plan:
            return _merged(fetch, generation, {}, ok=False)
        start = fetch.end - (plan.points - 1) * plan.step
        capacity = plan.points + plan.points // 4 + OVERLAP_STEPS + 2
        merged: dict[SeriesKey, tuple[SeriesWindow, tuple[int, int]]] = {}
        for points in fetch.series:
            window = series.get(points.key)
            if window is None:
                window = SeriesWindow(capacity, plan.step)
            where = window.prepare(points.times, points.values, start, cleared=fetch.full)
            merged[points.key] = (window, where)
        empty = np.empty(0)
        for key, window in series.items():
            if key not in merged:
                merged[key] = (window, window.prepare(empty, empty, start, cleared=fetch.full))
        return _merged(fetch, generation, merged, ok=True)

    def commit(self, prepared: MergedFetch) -> bool:
        """Show a prepared merge (GUI thread); False when it was for another plan, or the
        store started over since (nothing changed)."""
        if not prepared.ok or prepared.generation != self._generation or self.plan is None:
            return False
        plan = self.plan
        series: dict[SeriesKey, SeriesWindow] = {}
        for key, (window, (lo, hi)) in prepared.merged.items():
            window.commit((lo, hi))
            if hi > lo:
                series[key] = window
        self._series = series
        self.start, self.end = prepared.end - (plan.points - 1) * plan.step, prepared.end
        self.warnings = dict(prepared.warnings)
        self._mark = (plan, prepared.end)
        self._generation += 1  # a merge prepared before this one is now stale
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


def _merged(
    fetch: GoldenFetch,
    generation: int,
    merged: Mapping[SeriesKey, tuple[SeriesWindow, tuple[int, int]]],
    *,
    ok: bool,
) -> MergedFetch:
    given = {f.name: getattr(fetch, f.name) for f in fields(GoldenFetch) if f.init}
    return MergedFetch(**given, generation=generation, merged=merged, ok=ok)
