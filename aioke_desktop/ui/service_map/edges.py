"""A call on the map: a curve from the caller's box to the callee's, an arrowhead, and a
label with its rate, error ratio and breaker state."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from ...core.service_graph import Point
from ...core.service_map import MapEdge
from ..charts.units import Unit, format_value
from ..models.breakers_table import state_word
from .items import ARROW, NODE_WIDTH, MapColours


def edge_label(edge: MapEdge) -> str:
    """``4.0/s · 0.18 %``, and the breaker's state when it is not closed."""
    rates = edge.rates
    if rates is None:
        text = "no data"
    else:
        ratio = rates.error_ratio
        errors = format_value(ratio * 100, Unit.PERCENT)
        text = f"{rates.total:.3g}/s · {errors}"
    state = edge.breaker_state
    if state is not None and state != "CLOSED":
        text += f" · {state_word(state).upper()}"
    return text


def edge_tooltip(edge: MapEdge) -> str:
    lines = [f"{edge.caller} → {edge.callee}" + ("" if edge.critical else " (optional call)")]
    breaker = edge.breaker
    if breaker is not None:
        lines.append(f"Breaker {breaker.name}: {state_word(breaker.state)}")
        if breaker.forced_until:
            lines.append(f"Forced until {breaker.forced_until}")
    rates = edge.rates
    if rates is not None:
        lines.append(
            f"{rates.total:.3g} calls/s over 5 min: {rates.successful:.3g} successful, "
            f"{rates.failed:.3g} failed, {rates.rejected:.3g} rejected by the breaker"
        )
    return "\n".join(lines)


def _curve(points: Sequence[QPointF]) -> QPainterPath:
    """A smooth path through ``points``, leaving and entering each horizontally."""
    path = QPainterPath(points[0])
    for a, b in itertools.pairwise(points):
        half = (b.x() - a.x()) / 2
        path.cubicTo(QPointF(a.x() + half, a.y()), QPointF(b.x() - half, b.y()), b)
    return path


class EdgeItem(QGraphicsPathItem):
    """A call: a curve from the caller's box to the callee's, an arrowhead, a label."""

    def __init__(self, edge: MapEdge, route: Sequence[Point], colours: MapColours) -> None:
        super().__init__()
        self.edge = edge
        self._colours = colours
        self.setZValue(1)
        points = [QPointF(p.x, p.y) for p in route]
        forward = 1.0 if points[-1].x() >= points[0].x() else -1.0
        points[0] = points[0] + QPointF(forward * NODE_WIDTH / 2, 0)
        points[-1] = points[-1] - QPointF(forward * (NODE_WIDTH / 2 + ARROW), 0)
        self._tip = points[-1] + QPointF(forward * ARROW, 0)
        self._forward = forward
        self.setPath(_curve(points))
        self.label = EdgeLabel(self)
        self.update_edge(edge)

    def update_edge(self, edge: MapEdge) -> None:
        self.edge = edge
        self.label.set_text(edge_label(edge))
        self.setToolTip(edge_tooltip(edge))
        self.label.setToolTip(self.toolTip())
        self._restyle()

    def set_colours(self, colours: MapColours) -> None:
        self._colours = colours
        self._restyle()

    @property
    def colour(self) -> QColor:
        level = self.edge.level
        return self._colours.line if level == "ok" else self._colours.fills[level]

    def _restyle(self) -> None:
        rates = self.edge.rates
        busy = 0.0 if rates is None else math.log10(1 + rates.total)
        pen = QPen(self.colour, 1.5 + min(2.0, busy))
        if self.edge.is_open or self.edge.breaker_state == "DISABLED":
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.label.set_colours(self._colours, self.colour if self.edge.level != "ok" else None)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return super().boundingRect().united(QRectF(self._tip, self._tip).adjusted(-12, -8, 12, 8))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        super().paint(painter, option, widget)
        tip, back = self._tip, -self._forward * ARROW
        head = [tip, tip + QPointF(back, -ARROW / 2), tip + QPointF(back, ARROW / 2)]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(self.colour))
        painter.drawPolygon(head)

    def label_anchor(self) -> QPointF:
        return self.path().pointAtPercent(0.5)


class EdgeLabel(QGraphicsItem):
    """The call's rate, error ratio and breaker state on a small plate over the curve."""

    def __init__(self, edge: EdgeItem) -> None:
        super().__init__(edge)
        self._text = ""
        self._colours: MapColours | None = None
        self._accent: QColor | None = None
        self.setZValue(3)

    @property
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        self.prepareGeometryChange()
        self._text = text
        parent = self.parentItem()
        if isinstance(parent, EdgeItem):
            self.setPos(parent.label_anchor())
        self.update()

    def set_colours(self, colours: MapColours, accent: QColor | None) -> None:
        self._colours, self._accent = colours, accent
        self.update()

    def _font(self) -> QFont:
        font = QFont(QApplication.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        font.setBold(self._accent is not None)
        return font

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        metrics = QFontMetricsF(self._font())
        width = metrics.horizontalAdvance(self._text) + 10
        height = metrics.height() + 4
        return QRectF(-width / 2, -height / 2, width, height)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self._colours is None:
            return
        rect = self.boundingRect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self._accent or self._colours.line, 1))
        painter.setBrush(QBrush(self._colours.box))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(self._font())
        painter.setPen(self._accent or self._colours.muted)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._text)
