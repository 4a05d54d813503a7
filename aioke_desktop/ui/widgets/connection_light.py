"""A connection light: one endpoint's health as a coloured dot, with the reason and a retry.

Green: answering. Amber: "stale since 14:02" (no answer for two refresh intervals). Red: the
last request failed; the menu shows the error in one sentence and offers "Retry now".
Grey: not connected (no context, or not logged in yet).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from ...runtime.poller import Health, PollHealth
from ..theme import StatusColours

_DOT = 12
_GAP = 4  # transparent space right of the dot, before the text


def outline(colour: str) -> QColor:
    """The dot's rim: darker, so that even amber stands out from a light grey toolbar."""
    return QColor(colour).darker(130)


def _dot(colour: str) -> QIcon:
    """A filled circle, at 1x and 2x so that it stays sharp on HiDPI screens."""
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(QSize((_DOT + _GAP) * scale, _DOT * scale))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(outline(colour))
        painter.setBrush(QColor(colour))
        painter.drawEllipse(scale, scale, (_DOT - 2) * scale, (_DOT - 2) * scale)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def describe(endpoint: str, health: PollHealth | None) -> tuple[str, str]:
    """The light's short text and its tooltip, in plain words."""
    if health is None:
        return endpoint, f"{endpoint}: not connected."
    since = health.last_success.strftime("%H:%M:%S") if health.last_success else None
    since_short = health.last_success.strftime("%H:%M") if health.last_success else None
    latency = f" in {health.latency_s * 1000:.0f} ms" if health.latency_s is not None else ""
    match health.health:
        case Health.OK:
            return endpoint, f"{endpoint}: answering (last answer at {since}{latency})."
        case Health.STALE:
            return (
                f"{endpoint} · stale since {since_short}",
                f"{endpoint}: no answer since {since}; the data shown is older than two "
                "refresh intervals.",
            )
        case Health.FAILING:
            last = f" Last good answer at {since}." if since else ""
            return f"{endpoint} · error", f"{endpoint}: {health.error}{last}"
        case _:
            return endpoint, f"{endpoint}: connecting…"


class ConnectionLight(QToolButton):
    """Shows a :class:`PollHealth`; its menu explains it and offers a retry.

    Args:
        endpoint: the endpoint's name as the user knows it ("Prometheus").
        colours: status colours of the current theme.

    Signals:
        retry_requested(): the user asked to try the endpoint again now.
    """

    retry_requested = Signal()

    def __init__(
        self, endpoint: str, colours: StatusColours, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.endpoint = endpoint
        self.setObjectName(f"light:{endpoint}")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setIconSize(QSize(_DOT + _GAP, _DOT))
        self._colours = colours
        self._health: PollHealth | None = None
        self._menu = QMenu(self)
        self._detail = QAction(self)
        self._detail.setEnabled(False)
        self._retry = QAction("Retry now", self)
        self._retry.triggered.connect(self.retry_requested)
        self._menu.addAction(self._detail)
        self._menu.addSeparator()
        self._menu.addAction(self._retry)
        # Popped up by hand rather than with setMenu(): a menu button draws an arrow that
        # only adds noise next to the dot and its text.
        self.clicked.connect(self._open_menu)
        self._render()

    @property
    def health(self) -> PollHealth | None:
        return self._health

    def colour(self) -> str:
        """The colour the dot is drawn in now."""
        colours = self._colours
        if self._health is None:
            return colours.unknown
        return {
            Health.OK: colours.ok_fill,
            Health.STALE: colours.warning_fill,
            Health.FAILING: colours.danger_fill,
            Health.UNKNOWN: colours.unknown,
        }[self._health.health]

    def show_health(self, health: PollHealth | None) -> None:
        """Show an endpoint's health; ``None`` is "not connected"."""
        self._health = health
        self._render()

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self._render()

    def menu_actions(self) -> list[QAction]:
        """The menu's entries: the explanation (not clickable) and "Retry now"."""
        return [self._detail, self._retry]

    def _open_menu(self) -> None:
        self._menu.popup(self.mapToGlobal(self.rect().bottomLeft()))

    def _render(self) -> None:
        text, tooltip = describe(self.endpoint, self._health)
        self.setText(text)
        self.setToolTip(tooltip)
        self.setAccessibleDescription(tooltip)
        self._detail.setText(tooltip)
        self._retry.setEnabled(self._health is not None)
        self.setIcon(_dot(self.colour()))
