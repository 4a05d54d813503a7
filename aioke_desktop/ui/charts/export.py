"""A chart's right-click menu: copy its PromQL, its data as CSV, or its picture.

To the clipboard rather than to a file: nothing to ask, nothing written to disk from the
GUI thread, and a paste lands where the user wants it (a ticket, a sheet, a chat).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from .line import Line
    from .timeseries import TimeSeriesChart


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "NaN" if math.isnan(value) else repr(value)


def csv_text(lines: Sequence[Line]) -> str:
    """``series,time,value`` rows (RFC 3339 UTC times, values as Prometheus writes them)."""
    rows = ["series,time,value"]
    for line in lines:
        label = line.label.replace('"', '""')
        for when, value in zip(line.times, line.raw, strict=True):
            stamp = datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")
            rows.append(f'"{label}",{stamp},{_number(float(value))}')
    return "\n".join(rows) + "\n"


class ChartMenu(QMenu):
    """The menu; its actions are attributes so that shortcuts and tests can reach them."""

    def __init__(self, chart: TimeSeriesChart) -> None:
        super().__init__(chart)
        self._chart = chart
        self.copy_promql = QAction("Copy PromQL", self)
        self.copy_csv = QAction("Copy data as CSV", self)
        self.copy_image = QAction("Copy image", self)
        self.copy_promql.triggered.connect(self._copy_promql)
        self.copy_csv.triggered.connect(self._copy_csv)
        self.copy_image.triggered.connect(self._copy_image)
        self.addActions([self.copy_promql, self.copy_csv, self.copy_image])
        self.aboutToShow.connect(self._enable)
        view = chart.plot_widget
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda at: self.popup(view.mapToGlobal(QPoint(at))))

    def _enable(self) -> None:
        self.copy_promql.setEnabled(bool(self._chart.promql))
        self.copy_csv.setEnabled(bool(self._chart.lines))

    def _copy_promql(self) -> None:
        QGuiApplication.clipboard().setText(self._chart.promql)

    def _copy_csv(self) -> None:
        QGuiApplication.clipboard().setText(csv_text(self._chart.lines))

    def _copy_image(self) -> None:
        QGuiApplication.clipboard().setImage(self._chart.grab().toImage())
