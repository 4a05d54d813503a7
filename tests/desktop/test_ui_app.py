"""Startup, shutdown and screenshots: the app as a user starts it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from aioke_desktop.__main__ import main
from aioke_desktop.api.errors import Problem, ServerError
from aioke_desktop.app import Options, Shell, StartupError, build, make_application
from aioke_desktop.config import AppConfig, ConfigStore, Settings
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.screenshot import capture
from desktop.ui_helpers import FetchingPage, context, light_theme, make_window


def _distinct_colours(image: QImage) -> int:
    step = 4  # every 4th pixel is plenty to tell a picture from a blank
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    config = AppConfig(settings=Settings(active_context="lab", last_page="alerts", time_range="6h"))
    for ctx in (context("staging"), context("lab", insecure=True)):
        config = config.with_context(ctx)
    ConfigStore(tmp_path / "config.toml").save(config)
    return tmp_path


@pytest.fixture
def started(qtbot: QtBot, config_dir: Path) -> Iterator[Shell]:
    shell = build(make_application(), Options(config_dir=config_dir))
    qtbot.addWidget(shell.window)
    yield shell
    shell.shutdown(save=False)


def test_startup_restores_context_page_and_time_range(started: Shell) -> None:
    window = started.window
    assert window.contexts.names() == ["staging", "lab"]
    assert window.contexts.current_name() == "lab"
    assert window.banner.isVisibleTo(window)  # lab skips TLS verification
    assert window.current_page().key == "alerts"
    assert window.time_range.currentText() == "Last 6 hours"
    assert QApplication.organizationName() == "Aioke"
    assert QApplication.applicationName() == "aioke-desktop"


def test_switching_context_updates_the_title_and_the_banner(started: Shell) -> None:
    started.window.contexts.activated.emit(0)
    assert started.active is not None
    assert started.active.name == "staging"
    assert started.window.windowTitle() == "staging — Aioke"
    assert not started.window.banner.isVisibleTo(started.window)


def test_quitting_remembers_page_range_interval_context_and_geometry(
    qtbot: QtBot, config_dir: Path
) -> None:
    shell = build(make_application(), Options(config_dir=config_dir))
    qtbot.addWidget(shell.window)
    shell.window.resize(777, 555)  # within the offscreen screen (800x600)
    shell.window.show_page("breakers")
    shell.window.refresh_interval.choose(5)
    shell.window.contexts.activated.emit(0)
    shell.window.close()
    shell.shutdown()

    settings = ConfigStore(config_dir / "config.toml").load().settings
    assert (settings.last_page, settings.refresh_interval_seconds) == ("breakers", 5)
    assert settings.active_context == "staging"
    again = build(make_application(), Options(config_dir=config_dir))
    qtbot.addWidget(again.window)
    assert again.window.current_page().key == "breakers"
    assert (again.window.width(), again.window.height()) == (777, 555)
    again.shutdown(save=False)


def test_an_unreadable_settings_file_is_reported_and_left_alone(
    qtbot: QtBot, tmp_path: Path
) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("version = [unclosed", encoding="utf-8")
    shell = build(make_application(), Options(config_dir=tmp_path))
    qtbot.addWidget(shell.window)
    assert shell.window.notice.isVisibleTo(shell.window)
    assert "not valid TOML" in shell.window.notice.text()
    shell.window.show_page("flags")
    shell.shutdown()
    assert broken.read_text(encoding="utf-8") == "version = [unclosed"


def test_an_unknown_context_stops_startup_naming_the_known_ones(
    qtbot: QtBot, config_dir: Path
) -> None:
    with pytest.raises(StartupError, match=r"no context 'prod'.*staging, lab"):
        build(make_application(), Options(config_dir=config_dir, context="prod"))


def test_screenshot_from_the_command_line_is_a_real_picture(tmp_path: Path) -> None:
    png = tmp_path / "shots" / "slos.png"
    env = {
        **os.environ,
        "AIOKE_CONFIG_DIR": str(tmp_path / "config"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    result = subprocess.run(
        [sys.executable, "-m", "aioke_desktop", "--screenshot", str(png), "--page", "SLOs",
         "--size", "1024x640"],
        env=env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1024, 640)
    assert _distinct_colours(image) > 20  # text, sidebar, toolbar: not a blank grey
    assert "startup 3/5: main window" in result.stderr  # the logged order: painted early
    assert not (tmp_path / "config" / "config.toml").exists()  # a screenshot changes nothing


def test_a_page_in_its_error_state_is_saved_but_exits_non_zero(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path
) -> None:
    def broken() -> object:
        raise ServerError(500, Problem(detail="The control plane failed to list the flags."))

    page = FetchingPage(runner, light_theme(), lambda view: broken)
    window = make_window(qtbot, runner, extra=[page])
    window.show_page("fetching")
    png = tmp_path / "error.png"
    assert capture(window, png, size=(900, 600), timeout_s=10) == 1
    assert QImage(str(png)).width() == 900


def test_a_page_that_never_loads_exits_non_zero_at_the_cap(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path
) -> None:
    gate = threading.Event()
    page = FetchingPage(runner, light_theme(), lambda view: lambda: gate.wait(10))
    window = make_window(qtbot, runner, extra=[page])
    window.show_page("fetching")
    assert capture(window, tmp_path / "slow.png", timeout_s=0.3) == 1
    assert (tmp_path / "slow.png").exists()
    gate.set()
    window.close()
    assert runner.wait_idle(10)


def test_the_command_line_refuses_unknown_pages_and_sizes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--page", "dashboards", "--screenshot", "x.png"])
    assert exited.value.code == 2
    assert "the pages are: overview, services, slos" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--size", "big"])
    assert "A size looks like 1280x800" in capsys.readouterr().err
