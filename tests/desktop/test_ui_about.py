"""Help → About shows the one version number, the one ``--version`` prints."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.about import AboutDialog
from aioke_desktop.ui.main_window import MainWindow
from desktop.ui_helpers import HOUR, FetchingPage, light_theme

# The offscreen platform says so for every dialog; Xvfb does not.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _about(qtbot: QtBot) -> AboutDialog:
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), AboutDialog), timeout=3000)
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, AboutDialog)
    return dialog


def test_help_about_shows_the_installed_version_and_the_icon(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    # One simple page: the window's menu is what is under test, not the pages.
    page = FetchingPage(runner, light_theme(), lambda view: lambda: "answer")
    window = MainWindow(pages=[page], theme=light_theme(), view=HOUR)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.actions()] == ["About Aioke"]

    help_menu.actions()[0].trigger()
    dialog = _about(qtbot)
    assert dialog.version.text() == f"Version {version('aioke-desktop')}"
    assert "Qt 6." in dialog.runtime.text()
    assert "Python 3.11" in dialog.runtime.text()
    icon = dialog.icon.pixmap()
    assert not icon.isNull()
    assert icon.width() == 96

    dialog.reject()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=3000)
