"""The tray icon's picture: a disc in the colour of the worst firing alert, a count badge.

Drawn with QPainter at every size the tray may ask for, so the badge stays readable at 22 px
instead of being a 64 px picture scaled down. The colours are the theme's fill colours; an
unknown state (not logged in, or the last read failed) is grey with a question mark, so the
icon never looks "OK" when the app does not know.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap

from ..core.alert_state import AlertSummary, Severity
from .theme import StatusColours

SIZES = (16, 22, 24, 32, 48, 64)
INFO_FILL = "#0969da"
BADGE_FILL = "#1f2328"
WHITE = QColor("#ffffff")


def disc_colour(summary: AlertSummary, colours: StatusColours) -> QColor:
    if not summary.known:
        return QColor(colours.unknown)
    fill = {
        Severity.CRITICAL: colours.danger_fill,
        Severity.WARNING: colours.warning_fill,
        Severity.INFO: INFO_FILL,
    }.get(summary.worst, colours.ok_fill)
    return QColor(fill)


def _glyph(painter: QPainter, summary: AlertSummary, box: QRectF) -> None:
    """A tick for OK, ``!`` for a firing alert, ``?`` for unknown, drawn in white."""
    side = box.width()
    pen = QPen(WHITE, max(1.5, side * 0.13))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    c = box.center()
    if summary.known and summary.worst is Severity.NONE:
        path = QPainterPath(QPointF(c.x() - side * 0.22, c.y() + side * 0.02))
        path.lineTo(c.x() - side * 0.06, c.y() + side * 0.18)
        path.lineTo(c.x() + side * 0.24, c.y() - side * 0.16)
        painter.drawPath(path)
        return
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(8, int(side * 0.62)))
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "!" if summary.known else "?")


def _badge(painter: QPainter, text: str, size: int) -> None:
    """The count, top right, white on near-black with a white rim (reads on any panel)."""
    radius = size * 0.27
    centre = QPointF(size - radius - size * 0.02, radius + size * 0.02)
    painter.setPen(QPen(WHITE, max(1.0, size / 24)))
    painter.setBrush(QColor(BADGE_FILL))
    painter.drawEllipse(centre, radius, radius)
    painter.setPen(WHITE)
    _text(painter, text, QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius))


def _text(painter: QPainter, text: str, box: QRectF) -> None:
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(7, int(box.height() * (0.66 if len(text) == 1 else 0.5))))
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _pause_mark(painter: QPainter, size: int) -> None:
    """Two bars top-left: notifications are paused."""
    radius = size * 0.22
    centre = QPointF(radius, radius)
    painter.setPen(QPen(WHITE, max(1.0, size / 32)))
    painter.setBrush(QColor(BADGE_FILL))
    painter.drawEllipse(centre, radius, radius)
    bar_w, bar_h = radius * 0.28, radius * 0.9
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(WHITE)
    for dx in (-radius * 0.32, radius * 0.32):
        painter.drawRect(QRectF(centre.x() + dx - bar_w / 2, centre.y() - bar_h / 2, bar_w, bar_h))


def render(
    summary: AlertSummary, colours: StatusColours, size: int, *, paused: bool = False
) -> QPixmap:
    """The icon at ``size`` pixels: the disc in the worst severity's colour, and the number
    of firing alerts (in the disc below 32 px, where a badge would hide everything; as a
    badge from 32 px), or a tick or a question mark; two bars when notifications pause."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    count = summary.firing if summary.known else 0
    label = str(count) if count < 10 else "9+"
    small = size < 32
    margin = size * 0.04
    disc = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    if count and not small:  # room for the badge at the top right
        disc = QRectF(margin, size * 0.18, size * 0.80, size * 0.80)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(disc_colour(summary, colours))
    painter.drawEllipse(disc)
    if count and small:
        painter.setPen(WHITE)
        _text(painter, label, disc)
    else:
        _glyph(painter, summary, disc)
    if count and not small:
        _badge(painter, label, size)
    if paused:
        _pause_mark(painter, size)
    painter.end()
    return pixmap


def tray_icon(summary: AlertSummary, colours: StatusColours, *, paused: bool = False) -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(render(summary, colours, size, paused=paused))
    return icon
