"""The two tables beside the map: a service's golden signals, and its instances."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from ...core.cluster import Instance
from ...core.series import Series
from ...core.service_map import GoldenSignals
from ..charts.sparkline import TREND_ROLE, polylines, trend
from ..charts.units import Unit, format_value
from ..models.rows import Column, Index, KeyedRowsModel
from ..theme import StatusColours

HIGH_SATURATION = 0.8
TREND_COLUMN = 2


class TrendDelegate(QStyledItemDelegate):
    """Paints a sparkline across the whole cell (the chart package's delegate keeps a
    narrow one beside a number; here the trend has a column of its own)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        super().paint(painter, option, index)
        values = index.data(TREND_ROLE)
        if not isinstance(values, np.ndarray):
            return
        painter.save()
        colour = option.palette.color(QPalette.ColorRole.Link)
        painter.setPen(QPen(colour, 1))
        area = option.rect.adjusted(4, 5, -4, -5)
        for run in polylines(values, area):
            painter.drawPolyline(run)
        painter.restore()


@dataclass(frozen=True)
class SignalRow:
    """One golden signal of the selected service: what it is, its value now, its trend."""

    key: str
    label: str
    now: str
    trend: tuple[float, ...]
    tone: str | None = None
    help: str = ""


def _values(series: Series | None, scale: float) -> tuple[float, ...]:
    if series is None:
        return ()
    return tuple(v * scale for v in series.values)


def _last(values: tuple[float, ...]) -> float | None:
    """The newest value; None when there is none, so the cell says "—" and not 0."""
    return values[-1] if values else None


def signal_rows(signals: GoldenSignals, error_budget_percent: float | None) -> list[SignalRow]:
    """Traffic, errors, p99 and each saturation resource, in display units."""
    traffic = _values(signals.traffic, 1.0)
    errors = _values(signals.errors, 100.0)
    p99 = _values(signals.p99, 1000.0)
    error_now = _last(errors)
    error_tone = None
    if error_budget_percent is not None and error_now is not None and error_now > 0:
        error_tone = "danger" if error_now > error_budget_percent else None
    rows = [
        SignalRow(
            "traffic",
            "Traffic",
            format_value(_last(traffic), Unit.PER_SECOND),
            traffic,
            help="Requests per second.",
        ),
        SignalRow(
            "errors",
            "Errors",
            format_value(error_now, Unit.PERCENT),
            errors,
            error_tone,
            "Share of requests answered with a 5xx"
            + (
                f"; the SLO allows {error_budget_percent:g} %."
                if error_budget_percent is not None
                else "."
            ),
        ),
        SignalRow(
            "p99",
            "Latency p99",
            format_value(_last(p99), Unit.MS),
            p99,
            help="The 99th percentile of request latency.",
        ),
    ]
    for resource, series in sorted(signals.saturation.items()):
        values = _values(series, 100.0)
        now = _last(values)
        high = now is not None and now >= HIGH_SATURATION * 100
        rows.append(
            SignalRow(
                f"saturation:{resource}",
                f"Saturation {resource}",
                format_value(now, Unit.PERCENT),
                values,
                "warning" if high else None,
                f"How full the {resource} is.",
            )
        )
    if not signals.saturation:
        rows.append(SignalRow("saturation", "Saturation", format_value(None, Unit.PERCENT), ()))
    return rows


class SignalsModel(KeyedRowsModel[SignalRow]):
    """Signal name, its value now, and its trend over the page's range (:data:`TREND_ROLE`
    in the last column, painted by :class:`TrendDelegate`)."""

    def __init__(self, colours: StatusColours, parent: QObject | None = None) -> None:
        columns: list[Column[SignalRow]] = [
            Column("Signal", lambda r, _now: r.label, tooltip=lambda r, _now: r.help),
            Column(
                "Now",
                lambda r, _now: r.now,
                sort=lambda r, _now: r.trend[-1] if r.trend else -math.inf,
                tone=lambda r: r.tone,
                tooltip=lambda r, _now: r.help,
                numeric=True,
            ),
            Column(
                "Trend",
                lambda r, _now: "" if len(r.trend) > 1 else "no data",
                sort=lambda r, _now: len(r.trend),
                tone=lambda _r: "muted_text",
            ),
        ]
        super().__init__(columns, lambda r: r.key, colours, parent=parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == TREND_ROLE:
            if not index.isValid() or index.column() != TREND_COLUMN:
                return None
            if index.row() >= self.rowCount():
                return None
            values = self.item(index.row()).trend
            return trend(np.asarray(values, dtype=np.float64)) if len(values) > 1 else None
        return super().data(index, role)


class InstancesModel(KeyedRowsModel[Instance]):
    """A service's instances: id, zone and whether it is healthy."""

    def __init__(self, colours: StatusColours, parent: QObject | None = None) -> None:
        columns: list[Column[Instance]] = [
            Column("Instance", lambda i, _now: i.id),
            Column("Zone", lambda i, _now: i.zone or "—"),
            Column(
                "Health",
                lambda i, _now: "healthy" if i.healthy else "unhealthy",
                sort=lambda i, _now: float(i.healthy),
                tone=lambda i: "ok" if i.healthy else "danger",
            ),
        ]
        super().__init__(columns, lambda i: i.id, colours, parent=parent)
