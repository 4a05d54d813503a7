"""A click on a change marked on a chart opens what changed: its page, with it selected
(here the Flags page over the real control plane, loading or already loaded)."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.core.annotations import Annotation
from aioke_desktop.runtime.session import Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.change_links import open_change
from aioke_desktop.ui.main_window import MainWindow
from aioke_desktop.ui.pages.base import PageState
from aioke_desktop.ui.pages.flags import FlagsPage
from desktop.ops_helpers import connect
from desktop.ui_helpers import HOUR, light_theme
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def change_to(resource: str) -> Annotation:
    return Annotation("audit:1", time.time(), "flag.update", resource, "dana", "flag.update")


def test_a_marker_click_opens_the_changed_flag_selected(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster
) -> None:
    operator = cluster.user("operator")
    keys = [f"linked-{n}-{time.time_ns()}" for n in range(2)]
    for key in keys:
        made = operator.post(
            "/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key}
        )
        assert made.status_code == 201, made.text
    session = Session()
    theme = light_theme()
    flags = FlagsPage(runner, theme, session)
    window = MainWindow(pages=[flags], theme=theme, view=HOUR)
    qtbot.addWidget(window)
    connect(cluster, session, "viewer")
    window.show()
    qtbot.waitExposed(window)
    try:
        # The page has not loaded yet: the flag is selected when its rows arrive.
        open_change(window, change_to(f"flag/{keys[0]}"))
        assert window.current_page() is flags
        qtbot.waitUntil(lambda: getattr(flags.selected_flag(), "key", None) == keys[0])
        assert flags.state is PageState.DATA
        # Loaded: at once.
        open_change(window, change_to(f"flag/{keys[1]}"))
        selected = flags.selected_flag()
        assert selected is not None
        assert selected.key == keys[1]
    finally:
        flags.deactivate()
        assert runner.wait_idle(10)
        session.detach()
