"""Help → About: the app's name and version (from the package metadata) and what it runs on.

The version is the one ``--version`` prints and the installers are named after, so a user
reporting a problem can quote it from here.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ... import __version__

APP_ID = "org.aioke.Desktop"  # the icon's name in the desktop's icon theme


def _resources_dir() -> Path:
    # A PyInstaller bundle unpacks resources/ beside its modules; a source tree has it at the top.
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def app_icon() -> QIcon:
    """The app's icon: the installed one from the icon theme, else the SVG shipped with it."""
    shipped = _resources_dir() / "icons" / f"{APP_ID}.svg"
    fallback = QIcon(str(shipped)) if shipped.is_file() else QIcon()
    return QIcon.fromTheme(APP_ID, fallback)


def runtime_details() -> str:
    """One line a bug report can quote: Qt, PySide6, Python and the platform."""
    platform_name = QGuiApplication.platformName() or "?"
    return (
        f"Qt {qVersion()} · PySide6 {PySide6.__version__} · Python {platform.python_version()}"
        f" · {platform.system()} ({platform_name})"
    )


class AboutDialog(QDialog):
    """The About box: icon, name, version, what it is for, licence and runtime versions.

    Args:
        parent: the main window.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about-dialog")
        self.setWindowTitle("About Aioke")

        self.icon = QLabel(self)
        self.icon.setPixmap(app_icon().pixmap(96, 96))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        name = QLabel("<h2>Aioke</h2>", self)
        name.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.version = QLabel(f"Version {__version__}", self)
        self.version.setObjectName("about-version")
        self.version.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        summary = QLabel(
            "An operations console for on-call engineers: golden signals, SLOs and alerts, "
            "feature flags, circuit breakers, chaos experiments and runbooks.",
            self,
        )
        summary.setWordWrap(True)
        summary.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        licence = QLabel("Licensed under the Apache License 2.0.", self)
        licence.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.runtime = QLabel(runtime_details(), self)
        self.runtime.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.runtime.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        column = QVBoxLayout(self)
        column.setContentsMargins(24, 20, 24, 16)
        column.setSpacing(8)
        for widget in (self.icon, name, self.version, summary, licence, self.runtime):
            column.addWidget(widget)
        column.addSpacing(8)
        column.addWidget(buttons)
        self.setMinimumWidth(420)
