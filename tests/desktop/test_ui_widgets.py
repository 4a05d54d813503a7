"""The toolbar's small widgets, the theme's colours, and the window state file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.poller import Health, PollHealth
from aioke_desktop.ui.theme import DARK, LIGHT, Theme
from aioke_desktop.ui.widgets.connection_light import describe, outline
from aioke_desktop.ui.widgets.refresh_picker import RefreshIntervalPicker
from aioke_desktop.ui.widgets.refresh_status import describe_refresh
from aioke_desktop.ui.widgets.time_range import TimeRange, TimeRangePicker
from aioke_desktop.ui.window_state import WindowState, load_window_state, save_window_state

# The offscreen platform cannot size or raise a dialog's own window; Qt says so, harmlessly.
offscreen_dialog = pytest.mark.qt_log_ignore(r"This plugin does not support")


def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two colours."""

    def luminance(colour: str) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        q = QColor(colour)
        return (
            0.2126 * channel(q.redF()) + 0.7152 * channel(q.greenF()) + 0.0722 * channel(q.blueF())
        )

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_status_colours_are_readable_on_their_scheme(qapp: QApplication, scheme: str) -> None:
    colours = Theme(qapp, scheme).colours
    background = qapp.palette().color(QPalette.ColorRole.Window).name()
    Theme(qapp, "light")  # the other tests draw in the light scheme
    for name in ("ok", "warning", "danger", "muted_text"):  # text: 4.5:1 (WCAG 1.4.3)
        ratio = _contrast(getattr(colours, name), background)
        assert ratio >= 4.5, f"{name} on {background}: {ratio:.2f}"
    for name in ("ok_fill", "warning_fill", "danger_fill"):  # shapes: 3:1 (WCAG 1.4.11)
        fill = getattr(colours, name)
        ratio = max(_contrast(fill, background), _contrast(outline(fill).name(), background))
        assert ratio >= 3.0, f"{name} on {background}: {ratio:.2f}"
    for banner in (colours.banner_danger_bg, colours.banner_warning_bg):
        assert _contrast(colours.banner_text, banner) >= 4.5


def test_the_theme_follows_an_explicit_choice(qapp: QApplication) -> None:
    dark = Theme(qapp, "dark")
    assert dark.colours is DARK
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    light = Theme(qapp, "light")
    assert light.colours is LIGHT
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180


def test_a_light_explains_itself_in_plain_words() -> None:
    at = datetime(2026, 3, 1, 14, 2, 5).astimezone()
    assert describe("Prometheus", None) == ("Prometheus", "Prometheus: not connected.")
    text, tip = describe("Prometheus", PollHealth(Health.STALE, at))
    assert text == "Prometheus · stale since 14:02"
    assert "older than two refresh intervals" in tip
    text, tip = describe("Prometheus", PollHealth(Health.FAILING, at, "It timed out."))
    assert text == "Prometheus · error"
    assert tip == "Prometheus: It timed out. Last good answer at 14:02:05."
    _, tip = describe("Prometheus", PollHealth(Health.OK, at, None, 0.0421))
    assert tip == "Prometheus: answering (last answer at 14:02:05 in 42 ms)."


def test_the_status_line_reads_naturally() -> None:
    at = datetime(2026, 3, 1, 9, 30, 0).astimezone()
    assert describe_refresh(None) == "Not refreshed yet"
    assert describe_refresh(PollHealth(Health.OK, at, None, 0.25)) == (
        "Last refresh 09:30:00 · query 250 ms"
    )
    assert describe_refresh(PollHealth(Health.STALE, at, None, 0.25)).startswith(
        "Stale since 09:30:00"
    )
    assert describe_refresh(PollHealth(Health.FAILING, None, "No route.")) == (
        "Refresh failed: No route."
    )


def test_presets_are_live_and_a_custom_range_is_fixed() -> None:
    hour = TimeRange.last("1h")
    assert hour.live
    assert hour.duration_s == 3600
    assert hour.label() == "Last 1 hour"
    end = datetime(2026, 3, 1, 12, 0).astimezone()
    custom = TimeRange.between(end - timedelta(hours=2), end)
    assert not custom.live
    assert custom.bounds(datetime.now().astimezone()) == (end - timedelta(hours=2), end)
    with pytest.raises(ValueError, match="after its start"):
        TimeRange.between(end, end)


@offscreen_dialog
def test_custom_range_dialog_refuses_an_end_before_the_start_then_applies(
    qtbot: QtBot,
) -> None:
    picker = TimeRangePicker()
    qtbot.addWidget(picker)
    dialog = picker.open_custom()
    ok = dialog._buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.end_edit.setDateTime(dialog.start_edit.dateTime().addSecs(-60))
    assert not ok.isEnabled()
    dialog.end_edit.setDateTime(dialog.start_edit.dateTime().addSecs(30 * 60))
    assert ok.isEnabled()
    with qtbot.waitSignal(picker.range_changed, timeout=1000) as chosen:
        ok.click()
    chosen_range = chosen.args[0]
    assert not chosen_range.live
    assert chosen_range.duration_s == 30 * 60
    assert picker.currentText() == chosen_range.label()


@offscreen_dialog
def test_cancelling_the_custom_range_keeps_the_previous_one(qtbot: QtBot) -> None:
    picker = TimeRangePicker()
    qtbot.addWidget(picker)
    picker.setCurrentIndex(picker.count() - 1)
    dialog = picker.open_custom()
    with qtbot.assertNotEmitted(picker.range_changed):
        dialog.reject()
    assert picker.current_range() == TimeRange.last("1h")
    assert picker.currentText() == "Last 1 hour"


def test_the_refresh_picker_offers_off_to_a_minute(qtbot: QtBot) -> None:
    picker = RefreshIntervalPicker()
    qtbot.addWidget(picker)
    texts = [picker.itemText(i) for i in range(picker.count())]
    assert texts == ["Refresh: off", "Every 5 s", "Every 15 s", "Every 30 s", "Every 1 min"]
    with qtbot.waitSignal(picker.interval_changed, timeout=1000) as chosen:
        picker.choose(None)
    assert chosen.args == [None]
    picker.set_interval(29)
    assert picker.interval() == 30


def test_window_state_survives_a_round_trip_and_a_damaged_file(tmp_path: Path) -> None:
    assert load_window_state(tmp_path) == WindowState()
    save_window_state(tmp_path, WindowState(geometry=b"\x01\xd9\xd0\xcb geometry"))
    assert load_window_state(tmp_path).geometry == b"\x01\xd9\xd0\xcb geometry"
    (tmp_path / "window-state.json").write_text("{not json", encoding="utf-8")
    assert load_window_state(tmp_path) == WindowState()
