"""Light and dark themes that follow the system, and status colours readable in both.

The scheme comes from ``QStyleHints.colorScheme()`` and follows it when the desktop
switches. ``AIOKE_THEME=light|dark`` overrides it (screenshots, or a desktop that reports
nothing, as the offscreen platform does). Status colours are chosen per scheme: the same
green that reads well on white is too dark on a dark grey.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

ENV_THEME = "AIOKE_THEME"


@dataclass(frozen=True)
class StatusColours:
    """Colours that carry meaning; each reads on the scheme's window background.

    Attributes:
        ok: healthy, connected (a light, a chart line).
        warning: stale, degraded, burning budget.
        danger: failing, firing, destructive.
        unknown: not connected yet, no data.
        ok_fill, warning_fill, danger_fill: brighter versions for filled shapes (a light's
            dot), where text contrast does not apply but the hue must be unmistakable.
        banner_danger_bg: the background of a red banner; ``banner_text`` is drawn on it.
        banner_warning_bg: the background of an amber banner.
        muted_text: secondary text (descriptions, hints).
    """

    ok: str
    warning: str
    danger: str
    unknown: str
    ok_fill: str
    warning_fill: str
    danger_fill: str
    banner_danger_bg: str
    banner_warning_bg: str
    banner_text: str
    muted_text: str


# After GitHub Primer's functional colours, darkened where needed: tests check WCAG AA
# contrast (4.5:1) of each text colour on its scheme's window background.
LIGHT = StatusColours(
    ok="#116329",
    warning="#7d4e00",
    danger="#cf222e",
    unknown="#6e7781",
    ok_fill="#2da44e",
    warning_fill="#e3a008",
    danger_fill="#d1242f",
    banner_danger_bg="#b42318",
    banner_warning_bg="#8a5a00",
    banner_text="#ffffff",
    muted_text="#57606a",
)
DARK = StatusColours(
    ok="#3fb950",
    warning="#d29922",
    danger="#f85149",
    unknown="#8b949e",
    ok_fill="#3fb950",
    warning_fill="#d29922",
    danger_fill="#f85149",
    banner_danger_bg="#b42318",
    banner_warning_bg="#8a5a00",
    banner_text="#ffffff",
    muted_text="#9aa4ae",
)


def _dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1f2328",
        QPalette.ColorRole.WindowText: "#e6edf3",
        QPalette.ColorRole.Base: "#161b22",
        QPalette.ColorRole.AlternateBase: "#21262d",
        QPalette.ColorRole.ToolTipBase: "#2d333b",
        QPalette.ColorRole.ToolTipText: "#e6edf3",
        QPalette.ColorRole.PlaceholderText: "#8b949e",
        QPalette.ColorRole.Text: "#e6edf3",
        QPalette.ColorRole.Button: "#2d333b",
        QPalette.ColorRole.ButtonText: "#e6edf3",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#1f6feb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#58a6ff",
        QPalette.ColorRole.Mid: "#30363d",
        QPalette.ColorRole.Dark: "#0d1117",
        QPalette.ColorRole.Light: "#3d444d",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6e7681"))
    return palette


class Theme(QObject):
    """Applies the light or dark palette to the app and keeps following the system.

    Args:
        app: the application to style.
        override: ``"light"`` or ``"dark"`` to ignore the system; defaults to
            ``$AIOKE_THEME``.

    Signals:
        changed(StatusColours): the scheme switched; widgets drawing status colours redraw.
    """

    changed = Signal(object)

    def __init__(self, app: QApplication, override: str | None = None) -> None:
        super().__init__(app)
        self._app = app
        self._override = (override or os.environ.get(ENV_THEME, "")).strip().lower() or None
        if self._override not in (None, "light", "dark"):
            log.warning(
                "%s=%r is neither light nor dark; following the system", ENV_THEME, self._override
            )
            self._override = None
        self._dark = False
        # Fusion draws the same on every platform and honours a custom palette fully.
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._follow_system)
        self._apply(self._wants_dark())

    @property
    def dark(self) -> bool:
        return self._dark

    @property
    def colours(self) -> StatusColours:
        return DARK if self._dark else LIGHT

    def _wants_dark(self) -> bool:
        if self._override is not None:
            return self._override == "dark"
        return self._app.styleHints().colorScheme() == Qt.ColorScheme.Dark

    def _follow_system(self, _scheme: Qt.ColorScheme) -> None:
        dark = self._wants_dark()
        if dark != self._dark:
            self._apply(dark)

    def _apply(self, dark: bool) -> None:
        self._dark = dark
        style = self._app.style()
        self._app.setPalette(_dark_palette() if dark else style.standardPalette())
        log.info("theme: %s", "dark" if dark else "light")
        self.changed.emit(self.colours)
