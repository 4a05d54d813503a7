"""The four golden-signal charts of the selected services, cut from the overview's store.

Latency (p50, p95 and p99 in ms), traffic (req/s), errors (% with the SLO's threshold) and
saturation (cpu, memory and queue in %), on one linked time axis. Each chart redraws as
its own job, so a page can hand them to the event loop one per turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.annotations import Annotation
from ...core.golden import LATENCY_SIGNALS
from ...core.golden_store import GoldenStore
from ...core.slo import SloDefinition
from ..models.service_health import error_threshold
from ..theme import StatusColours
from .group import ChartGroup
from .line import Line
from .timeseries import TimeSeriesChart
from .units import Unit, line_colour

CHARTS = (
    ("latency", "Latency", Unit.MS, tuple(LATENCY_SIGNALS)),
    ("traffic", "Traffic", Unit.PER_SECOND, ("traffic",)),
    ("errors", "Errors", Unit.PERCENT, ("error_ratio",)),
    ("saturation", "Saturation", Unit.PERCENT, ("saturation",)),
)
PICK_A_SERVICE = "Select a service in the table"


def _short(signal: str) -> str:
    return signal.removeprefix("latency_")


class GoldenCharts(QWidget):
    """Four linked charts and the header above them.

    Signals:
        annotation_clicked(Annotation): a change marker was clicked, on any chart.
    """

    annotation_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = ChartGroup(self)
        self.charts: dict[str, TimeSeriesChart] = {}
        self._signals: dict[str, tuple[str, ...]] = {}
        self.showing = QLabel(self)
        self.showing.setObjectName("charts-showing")
        font = QFont(self.showing.font())
        font.setBold(True)
        self.showing.setFont(font)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.showing, 1)
        self.live_button = self.group.live_button(self)
        header.addWidget(self.live_button)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        for number, (key, title, unit, signals) in enumerate(CHARTS):
            chart = TimeSeriesChart(title, unit, self)
            chart.annotation_clicked.connect(self.annotation_clicked)
            self.group.add(chart)
            self.charts[key] = chart
            self._signals[key] = signals
            grid.addWidget(chart, number // 2, number % 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(header)
        column.addLayout(grid, 1)

    def redraw_jobs(
        self,
        store: GoldenStore,
        services: Sequence[str],
        slos: Sequence[SloDefinition],
        warnings: dict[str, tuple[str, ...]],
    ) -> list[tuple[str, Callable[[], None]]]:
        """One job per chart, each drawing the selected ``services`` from ``store``."""
        self.showing.setText(f"Charts for {', '.join(services)}" if services else "")
        jobs: list[tuple[str, Callable[[], None]]] = []
        promql = store.plan.queries_for(services) if store.plan and services else {}
        for key, chart in self.charts.items():
            found = [w for s in self._signals[key] for w in warnings.get(s, ())]
            chart.promql = "\n".join(promql[s] for s in self._signals[key] if s in promql)

            def job(
                chart: TimeSeriesChart = chart, key: str = key, found: list[str] = found
            ) -> None:
                # Cut when it runs: a queued job draws what the store holds by then.
                lines = self._lines(store, key, services)
                self.group.slide(chart)
                chart.set_window(store.start, store.end, store.plan.step if store.plan else 0.0)
                chart.set_lines(lines)
                chart.set_warnings(found)

            jobs.append((key, job))
        self._set_threshold(slos, services)
        for chart in self.charts.values():
            chart.set_empty_message("No data" if services else PICK_A_SERVICE)
        return jobs

    def _lines(self, store: GoldenStore, key: str, services: Sequence[str]) -> list[Line]:
        lines: list[Line] = []
        several = len(services) > 1
        for service in services:
            for signal in self._signals[key]:
                for detail, window in store.series(signal, service):
                    name = detail or (_short(signal) if key == "latency" else service)
                    if several and name != service:
                        name = f"{service} {name}"
                    lines.append(
                        Line(
                            name,
                            np.array(window.times),  # copies: the store reuses its buffers
                            np.array(window.draw),
                            np.array(window.raw),
                            line_colour(len(lines)),
                        )
                    )
        return lines

    def _set_threshold(self, slos: Sequence[SloDefinition], services: Sequence[str]) -> None:
        chart = self.charts["errors"]
        found = [slo for slo in (error_threshold(slos, s) for s in services) if slo]
        if not found:
            chart.set_threshold(None)
            return
        strictest = min(found, key=lambda slo: slo.error_budget_ratio)
        percent = strictest.error_budget_ratio * 100
        chart.set_threshold(percent, f"SLO {strictest.objective_percent:g} % → {percent:g} %")

    def set_annotations(self, annotations: Sequence[Annotation]) -> None:
        for chart in self.charts.values():
            chart.set_annotations(annotations)

    def set_stale(self, since: datetime | None) -> None:
        for chart in self.charts.values():
            chart.set_stale(since)

    def set_colours(self, colours: StatusColours) -> None:
        for chart in self.charts.values():
            chart.set_colours(colours)
