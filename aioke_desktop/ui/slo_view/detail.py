"""One SLO up close: its error budget over the period, and its burn rate against the alert
thresholds, with the cluster's changes marked on both ("what changed just before?")."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.annotations import Annotation
from ...core.golden import Floats, choose_step, with_gaps
from ...core.series import Series
from ...core.slo_history import BudgetHistory, burn_rate_queries
from ...core.slo_status import SloStatus
from ..charts.timeseries import THRESHOLD_POINTS, Line, TimeSeriesChart
from ..charts.units import Unit, line_colour
from ..theme import StatusColours

# The multi-window thresholds, as Sloth's alerts use them over a 30-day period.
BURN_THRESHOLDS = (
    (14.4, "14.4× page (1 h)", "danger"),
    (6.0, "6× page (6 h)", "danger"),
    (3.0, "3× ticket (1 d)", "warning"),
    (1.0, "1× ticket (3 d)", "muted_text"),
)
WINDOW_LABELS = {"5m": "burn over 5 min", "1h": "burn over 1 h"}
WINDOW_COLOURS = {"5m": line_colour(1), "1h": line_colour(0)}  # orange and blue: apart
# The burn-rate axis is logarithmic: 0.1× and 100× both matter, and so do the thresholds
# between them. A burn of 0 (no errors) is drawn at this floor; the readout says 0.
BURN_FLOOR = 0.01
HEADROOM = 30.0  # burn: room above the 14.4× page line for its label
BUDGET_FLOOR = -10.0  # budget %: room below 0 for the "budget spent" label


@dataclass(frozen=True)
class SloDetail:
    """What the charts of one SLO show, read at one moment."""

    slo_id: str
    budget: BudgetHistory
    burn: dict[str, Series]
    start: float
    end: float
    annotations: tuple[Annotation, ...] = ()


def _line(
    label: str, times: Sequence[float] | Floats, values: Sequence[float] | Floats, colour: str
) -> Line:
    t = np.asarray(times, dtype=np.float64)
    raw = np.asarray(values, dtype=np.float64)
    shown = np.where(np.isfinite(raw), raw, np.nan)
    return Line(label, t, shown, raw, colour)


class Headroom:
    """An invisible line at ``value`` that autorange keeps in view, so that a label next
    to the outermost threshold is not cut off by the edge of the plot."""

    def __init__(self, chart: TimeSeriesChart, value: float) -> None:
        self.value = value
        # Drawn in a transparent pen: an item without a pen is left out of autorange.
        self._item = pg.PlotDataItem(pen=pg.mkPen(QColor(0, 0, 0, 0)), antialias=False)
        chart.plot.addItem(self._item)

    def set_window(self, start: float, end: float) -> None:
        self._item.setData([start, end], [self.value, self.value])


class ThresholdLines:
    """Horizontal dashed lines at the burn-rate thresholds, labelled at the right end.

    Drawn as points over the window (like the chart's own threshold) so that autorange
    keeps them in view: how far the burn is from paging is the point of the chart.
    """

    def __init__(self, chart: TimeSeriesChart) -> None:
        self._items: list[tuple[float, pg.PlotDataItem, pg.TextItem, str]] = []
        self._headroom = Headroom(chart, HEADROOM)
        for value, label, tone in BURN_THRESHOLDS:
            item = pg.PlotDataItem(antialias=False)
            # Page labels sit above their line, ticket labels below: 6× and 3× are close.
            text = pg.TextItem(label, anchor=(1, 1) if "page" in label else (1, 0))
            chart.plot.addItem(item)
            chart.plot.addItem(text, ignoreBounds=True)
            self._items.append((value, item, text, tone))

    def set_window(self, start: float, end: float) -> None:
        times = np.linspace(start, end, THRESHOLD_POINTS)
        self._headroom.set_window(start, end)
        for value, item, text, _tone in self._items:
            item.setData(times, np.full(THRESHOLD_POINTS, value))
            text.setPos(end, math.log10(value))  # a log axis places items by the exponent

    def set_colours(self, colours: StatusColours) -> None:
        for _value, item, text, tone in self._items:
            colour = getattr(colours, tone)
            item.setPen(pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine))
            text.setColor(colour)


class SloDetailView(QWidget):
    """The selected SLO's title and its two charts."""

    def __init__(self, colours: StatusColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("slo-detail")
        self.title = QLabel("Select an SLO to see its budget and burn rate over time.", self)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.budget_chart = TimeSeriesChart("Error budget left", Unit.PERCENT, self)
        self.budget_chart.setObjectName("chart:budget")
        self.burn_chart = TimeSeriesChart("Burn rate", Unit.TIMES, self)
        self.burn_chart.setObjectName("chart:burn")
        self.burn_chart.plot.setLogMode(y=True)
        self.thresholds = ThresholdLines(self.burn_chart)
        self.budget_floor = Headroom(self.budget_chart, BUDGET_FLOOR)
        charts = QHBoxLayout()
        charts.addWidget(self.budget_chart, 1)
        charts.addWidget(self.burn_chart, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(charts, 1)
        self.set_colours(colours)
        self.detail: SloDetail | None = None

    def show_status(self, status: SloStatus | None) -> None:
        """The SLO the charts are about (its numbers come with :meth:`show_detail`)."""
        if status is None:
            self.title.setText("Select an SLO to see its budget and burn rate over time.")
            return
        slo = status.slo
        # "Copy PromQL": the queries behind each chart (the budget's come with its data).
        self.burn_chart.promql = "\n".join(burn_rate_queries(slo).values())
        self.title.setText(
            f"{slo.service} · {slo.name}: {slo.objective_percent:g} % over {slo.period}"
            + (f" · {slo.description}" if slo.description else "")
        )

    def show_detail(self, detail: SloDetail) -> None:
        self.detail = detail
        curve = detail.budget.burndown
        self.budget_chart.promql = detail.budget.query
        self.budget_chart.set_lines(
            [
                _line(
                    "budget left",
                    curve.timestamps,
                    [r * 100 for r in curve.remaining],
                    line_colour(0),
                )
            ]
        )
        if curve.timestamps:
            first, last = curve.timestamps[0], curve.timestamps[-1]
            self.budget_chart.set_window(first, last)
            self.budget_chart.set_threshold(0.0, "budget spent")
            self.budget_floor.set_window(first, last)
            self.budget_chart.plot.setXRange(first, last, padding=0)
        step = choose_step(detail.end - detail.start)
        lines = []
        for window in ("5m", "1h"):
            series = detail.burn.get(window)
            if series is None:
                continue
            times, values = with_gaps(
                np.asarray(series.timestamps, dtype=np.float64),
                np.asarray(series.values, dtype=np.float64),
                step,
            )
            line = _line(WINDOW_LABELS[window], times, values, WINDOW_COLOURS[window])
            floored = np.where(line.values < BURN_FLOOR, BURN_FLOOR, line.values)  # NaN stays
            lines.append(replace(line, values=floored))
        self.burn_chart.set_lines(lines)
        self.burn_chart.set_window(detail.start, detail.end)
        self.thresholds.set_window(detail.start, detail.end)
        self.burn_chart.plot.setXRange(detail.start, detail.end, padding=0)
        self.set_annotations(detail.annotations)

    def set_annotations(self, annotations: Iterable[Annotation]) -> None:
        shown = list(annotations)
        self.budget_chart.set_annotations(shown)
        self.burn_chart.set_annotations(shown)

    def set_colours(self, colours: StatusColours) -> None:
        for chart in (self.budget_chart, self.burn_chart):
            chart.set_colours(colours)
        self.thresholds.set_colours(colours)


def merge_annotations(*groups: Iterable[Annotation | None]) -> tuple[Annotation, ...]:
    """One marker per change (a change read from the audit and the feed has one key)."""
    found: dict[str, Annotation] = {}
    for group in groups:
        for annotation in group:
            if annotation is not None:
                found[annotation.key] = annotation
    return tuple(sorted(found.values(), key=lambda a: a.time))
