"""The window paints before any page is built: pages are built on first visit or on idle
turns afterwards, and none of the heavy libraries is imported before the first paint."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aioke_desktop.app import Options, Shell, finish, make_application, show_first_page, start
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages import PAGE_KEYS, PAGES, page_type
from desktop.ui_helpers import light_theme

HEAVY = ("pyqtgraph", "numpy", "httpx", "jsonschema", "keyring", "segno", "dateparser")


def test_the_first_paint_imports_none_of_the_heavy_libraries() -> None:
    code = (
        "import sys; import aioke_desktop.app; "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


@pytest.fixture
def shell(qtbot: QtBot, tmp_path: Path) -> Iterator[Shell]:
    started = start(make_application(), Options(config_dir=tmp_path, page="slos"))
    qtbot.addWidget(started.window)
    # Before the rest of startup: every page is in the sidebar, none is built yet.
    assert started.window.sidebar.count() == len(PAGES)
    assert started.window.navigator.pages == ()
    made = finish(started)
    yield made
    made.window.close()
    made.shutdown(save=False)


def test_only_the_page_shown_is_built_then_the_rest_on_visit_or_when_idle(
    qtbot: QtBot, shell: Shell
) -> None:
    window = shell.window
    show_first_page(shell)
    assert [page.key for page in window.navigator.pages] == ["slos"]
    assert window.stack.currentWidget() is window.current_page()

    window.sidebar.page_chosen.emit(PAGE_KEYS.index("audit"))  # a click on Audit
    assert window.current_page().key == "audit"
    assert window.stack.currentWidget() is window.current_page()

    with qtbot.waitSignal(window.all_pages_built, timeout=60_000):
        window.build_pages_when_idle()
    assert [page.key for page in window.navigator.pages] == list(PAGE_KEYS)
    assert [window.stack.widget(i) for i in range(len(PAGES))] == list(window.navigator.pages)
    assert window.current_page().key == "audit"  # building did not move the user
    assert window.stack.currentWidget() is window.current_page()


def test_every_page_builds_for_a_session_already_logged_in(
    qapp: QApplication, runner: TaskRunner
) -> None:
    # Built lazily, a page may first be made after the login: its role gates ask at once.
    session = Session()
    lab = Context("lab", "http://127.0.0.1:9", "http://127.0.0.1:9")
    connection = Connection.open(lab, session)
    connection.roles = ("admin",)
    session.attach(connection)
    theme = light_theme()
    try:
        for info in PAGES:
            page = page_type(info.key)(runner, theme, session)
            assert (page.key, page.title) == (info.key, info.title)  # the sidebar's, before
            page.deleteLater()
    finally:
        session.detach()
