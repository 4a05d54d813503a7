"""A banner across the top of the window for what must not be missed.

The red one says that the active context skips TLS verification: while it shows, anyone
on the network path could read or change what the app sends, tokens included.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ...core.contexts import Context
from ..theme import StatusColours


class BannerKind(enum.Enum):
    DANGER = "danger"
    WARNING = "warning"


def insecure_tls_warning(context: Context | None) -> str | None:
    """The banner's sentence when ``context`` skips TLS verification, else ``None``."""
    if context is None or not context.tls.insecure_skip_tls_verify:
        return None
    return (
        f"TLS verification is off for “{context.name}”: the servers' identity is not "
        "checked, so anyone on the network path could read or change this session."
    )


class Banner(QFrame):
    """A full-width strip with one sentence and an optional action button.

    Args:
        colours: status colours of the current theme.

    Signals:
        action_triggered(): the banner's button was clicked.
    """

    action_triggered = Signal()

    def __init__(self, colours: StatusColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._colours = colours
        self._kind = BannerKind.DANGER
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._button = QPushButton(self)
        self._button.setVisible(False)
        self._button.clicked.connect(self.action_triggered)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._button)
        self.setVisible(False)
        self._restyle()

    def text(self) -> str:
        return self._label.text()

    def show_message(
        self, text: str, kind: BannerKind = BannerKind.DANGER, action: str | None = None
    ) -> None:
        """Show ``text``; ``action`` labels a button that emits ``action_triggered``."""
        self._kind = kind
        self._label.setText(text)
        self._button.setText(action or "")
        self._button.setVisible(action is not None)
        self._restyle()
        self.setVisible(True)

    def clear(self) -> None:
        self._label.clear()
        self.setVisible(False)

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self._restyle()

    def _restyle(self) -> None:
        background = (
            self._colours.banner_danger_bg
            if self._kind is BannerKind.DANGER
            else self._colours.banner_warning_bg
        )
        text = self._colours.banner_text
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; }}"
            f"QFrame#banner QLabel {{ color: {text}; font-weight: 600; }}"
        )


class TlsBanner(Banner):
    """The red banner shown while the active context skips TLS verification."""

    def show_context(self, context: Context | None) -> None:
        warning = insecure_tls_warning(context)
        if warning is None:
            self.clear()
        else:
            self.show_message(warning, BannerKind.DANGER)
