"""A service on the map: a box with a status stripe, its name and its numbers, and the
colours the map draws with.

Items are built once per topology and updated in place on every refresh (only the text,
colours and tooltips change), so a refresh never rebuilds the scene.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsObject,
    QStyleOptionGraphicsItem,
    QWidget,
)

from ...core.service_map import Level, MapNode
from ..charts.units import Unit, format_value
from ..theme import StatusColours

NODE_WIDTH = 176.0
NODE_HEIGHT = 74.0
ARROW = 9.0


@dataclass(frozen=True)
class MapColours:
    """The map's colours: status fills from the theme, the rest from the palette."""

    fills: dict[Level, QColor]
    texts: dict[Level, QColor]
    box: QColor
    text: QColor
    muted: QColor
    line: QColor
    highlight: QColor

    @classmethod
    def of(cls, colours: StatusColours) -> MapColours:
        palette = QApplication.palette()
        fills: dict[Level, QColor] = {
            "ok": QColor(colours.ok_fill),
            "warning": QColor(colours.warning_fill),
            "danger": QColor(colours.danger_fill),
            "unknown": QColor(colours.unknown),
        }
        texts: dict[Level, QColor] = {
            "ok": QColor(colours.ok),
            "warning": QColor(colours.warning),
            "danger": QColor(colours.danger),
            "unknown": QColor(colours.muted_text),
        }
        return cls(
            fills=fills,
            texts=texts,
            box=palette.base().color(),
            text=palette.text().color(),
            muted=QColor(colours.muted_text),
            line=_translucent(colours.muted_text, 150),
            highlight=palette.highlight().color(),
        )


def node_lines(node: MapNode) -> tuple[str, str]:
    """The two lines under a service's name: traffic and errors, then p99 and instances."""
    signals = node.signals
    traffic = signals.traffic.last if signals.traffic else None
    errors = signals.errors.last * 100 if signals.errors else None
    p99 = signals.p99.last * 1000 if signals.p99 else None
    service = node.service
    up = f"{service.healthy_instances}/{len(service.instances)} up"
    return (
        f"{format_value(traffic, Unit.PER_SECOND)} · {format_value(errors, Unit.PERCENT)} err",
        f"p99 {format_value(p99, Unit.MS)} · {up}",
    )


class NodeItem(QGraphicsObject):
    """A service: a rounded box with a status stripe, its name and its numbers.

    Signals:
        clicked(str): the service's name.
    """

    clicked = Signal(str)

    def __init__(self, node: MapNode, colours: MapColours) -> None:
        super().__init__()
        self.node = node
        self._colours = colours
        self.selected = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(2)
        self.update_node(node)

    @property
    def name(self) -> str:
        return self.node.name

    def update_node(self, node: MapNode) -> None:
        self.node = node
        lines = [f"{node.name}: {node.level}", *node.reasons, *node_lines(node)]
        self.setToolTip("\n".join(lines))
        self.update()

    def set_colours(self, colours: MapColours) -> None:
        self._colours = colours
        self.update()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(-NODE_WIDTH / 2 - 3, -NODE_HEIGHT / 2 - 3, NODE_WIDTH + 6, NODE_HEIGHT + 6)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colours = self._colours
        level = self.node.level
        box = QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = colours.highlight if self.selected else colours.fills[level]
        painter.setPen(QPen(border, 3.0 if self.selected else 2.0))
        painter.setBrush(QBrush(colours.box))
        painter.drawRoundedRect(box, 8, 8)
        stripe = QRectF(box.left() + 1, box.top() + 1, 8, box.height() - 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colours.fills[level]))
        painter.drawRoundedRect(stripe, 4, 4)
        text_left = box.left() + 16
        width = box.width() - 22
        title = QFont(painter.font())
        title.setBold(True)
        title.setPointSizeF(max(8.0, title.pointSizeF() * 1.05))
        painter.setFont(title)
        painter.setPen(colours.text)
        metrics = QFontMetricsF(title)
        name = metrics.elidedText(self.node.name, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QPointF(text_left, box.top() + 8 + metrics.ascent()), name)
        small = QFont(painter.font())
        small.setBold(False)
        small.setPointSizeF(max(7.0, title.pointSizeF() * 0.85))
        painter.setFont(small)
        painter.setPen(colours.muted)
        line_height = QFontMetricsF(small).height()
        top = box.top() + 8 + metrics.height() + 4
        for i, line in enumerate(node_lines(self.node)):
            shown = QFontMetricsF(small).elidedText(line, Qt.TextElideMode.ElideRight, width)
            painter.drawText(QPointF(text_left, top + QFontMetricsF(small).ascent()), shown)
            top += line_height + (1 if i == 0 else 0)

    def mousePressEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        self.clicked.emit(self.node.name)


def _translucent(colour: str, alpha: int) -> QColor:
    """The colour with ``alpha``: calls read as lines behind the boxes in both themes."""
    found = QColor(colour)
    found.setAlpha(alpha)
    return found
