"""The command palette: every page and action a few keystrokes away."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.command_palette import Command, CommandFilter, CommandModel
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import context, make_window


def test_ctrl_k_opens_the_palette_and_enter_goes_to_the_page_typed(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    window = make_window(qtbot, runner)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    palette = window.command_palette
    qtbot.waitUntil(palette.isVisible, timeout=2000)

    qtbot.keyClicks(palette.search, "go fla")
    assert palette.visible_titles() == ["Go to Flags"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert not palette.isVisible()
    assert window.current_page().key == "flags"


def test_arrow_keys_pick_among_the_matches(qtbot: QtBot, runner: TaskRunner) -> None:
    window = make_window(qtbot, runner)
    palette = window.command_palette
    palette.open_palette()
    qtbot.keyClicks(palette.search, "time range last")
    assert palette.visible_titles()[:2] == [
        "Time range: Last 5 minutes",
        "Time range: Last 15 minutes",
    ]
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert window.navigator.view.time_range == TimeRange.last("15m")
    assert window.time_range.currentText() == "Last 15 minutes"


def test_the_palette_lists_shortcuts_and_contexts(qtbot: QtBot, runner: TaskRunner) -> None:
    contexts = [context("staging"), context("prod-eu")]
    window = make_window(qtbot, runner, contexts=contexts, active=contexts[0])
    model = window.command_palette.model
    by_title = {c.title: c for c in model.commands()}
    assert by_title["Go to Overview"].shortcut == "Ctrl+1"
    assert by_title["Refresh now"].shortcut == "F5"
    with qtbot.waitSignal(window.context_chosen, timeout=1000) as chosen:
        by_title["Switch to context prod-eu"].run()
    assert chosen.args == ["prod-eu"]

    window.show_contexts([context("lab")], None)
    titles = [c.title for c in model.commands()]
    assert "Switch to context lab" in titles
    assert "Switch to context prod-eu" not in titles


def test_the_command_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = CommandModel()
    model.add([Command("Go to Overview", lambda: None, "Pages", "Ctrl+1")])
    qtmodeltester.check(model, force_py=True)
    model.add([Command(f"Go to service {n}", lambda: None, "Services") for n in range(5)])
    model.add([Command("Quit", lambda: None, "Actions")])
    model.add([Command("Go to service late", lambda: None, "Services")])
    model.remove_group("Services")
    assert [c.title for c in model.commands()] == ["Go to Overview", "Quit"]
    assert model.data(model.index(0, 0), CommandModel.ShortcutRole) == "Ctrl+1"
    assert model.data(model.index(7, 0)) is None


def test_the_filter_passes_the_model_tester_while_filtering(qtmodeltester: ModelTester) -> None:
    model = CommandModel()
    model.add(
        [
            Command("Go to Flags", lambda: None, "Pages"),
            Command("Go to Breakers", lambda: None, "Pages"),
            Command("Halt all chaos", lambda: None, "Actions", keywords="stop abort"),
        ]
    )
    proxy = CommandFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_query("abort")
    assert proxy.rowCount() == 1
    assert proxy.index(0, 0).data() == "Halt all chaos"
    proxy.set_query("GO to")
    assert proxy.rowCount() == 2
    proxy.set_query("go b")  # word starts, not any letter anywhere
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["Go to Breakers"]
    proxy.set_query("")
    assert proxy.rowCount() == 3
