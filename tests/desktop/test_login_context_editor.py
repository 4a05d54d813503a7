"""The context editor as a user meets it: a new context, plain-sentence mistakes, warnings
for the risky switches, a removal that asks twice, and a rename."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from aioke_desktop.config import AppConfig
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.promql import GoldenSignalTemplates
from aioke_desktop.ui.dialogs.context_editor import ContextEditor

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

STAGING = Context("staging", "https://cp.staging.example:8470", "https://prom.example:9090")


def _editor(qtbot: QtBot, config: AppConfig, selected: str | None = None) -> ContextEditor:
    editor = ContextEditor(config, selected)
    qtbot.addWidget(editor)
    editor.show()
    return editor


def _click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_a_new_context_is_checked_and_saved_with_default_queries(qtbot: QtBot) -> None:
    editor = _editor(qtbot, AppConfig())
    form = editor.form
    assert not form.remember_totp.isChecked()  # off by default
    assert not form.insecure.isChecked()
    qtbot.keyClicks(form.name, "lab")
    qtbot.keyClicks(form.control_plane, "cp.lab.example")  # no scheme: a mistake
    qtbot.keyClicks(form.prometheus, "https://prom.lab.example:9090")
    with qtbot.assertNotEmitted(editor.saved):
        _click(qtbot, editor.save_button)
    assert editor.error.text() == (
        "The control plane URL must look like https://host:port, not 'cp.lab.example'."
    )
    form.control_plane.setText("https://cp.lab.example:8470/")
    with qtbot.waitSignal(editor.saved) as saved:
        _click(qtbot, editor.save_button)
    config, before = saved.args
    assert before is None
    (lab,) = config.contexts
    assert lab.control_plane_url == "https://cp.lab.example:8470"  # tidied
    assert lab.queries == GoldenSignalTemplates()
    assert editor.error.text() == ""


def test_risky_switches_show_their_warnings_while_ticked(qtbot: QtBot) -> None:
    editor = _editor(qtbot, AppConfig((STAGING,)), "staging")
    form = editor.form
    form.setCurrentIndex(1)
    warnings = (form.insecure_warning, form.plain_http_warning, form.totp_warning)
    assert not any(w.isVisible() for w in warnings)
    for box in (form.insecure, form.plain_http, form.remember_totp):
        _click(qtbot, box)
    assert all(w.isVisible() for w in warnings)
    assert "anyone on the network path" in form.insecure_warning.text()
    assert form.totp_warning.text().startswith("Both factors then live on this machine")
    assert form.totp_secret.isEnabled()
    _click(qtbot, form.insecure)
    assert not form.insecure_warning.isVisible()


def test_a_query_template_with_an_unknown_placeholder_is_refused(qtbot: QtBot) -> None:
    editor = _editor(qtbot, AppConfig((STAGING,)), "staging")
    editor.form.templates["traffic"].setPlainText('sum(rate(requests{job="$job"}[$window]))')
    with qtbot.assertNotEmitted(editor.saved):
        assert not editor.save()
    assert editor.error.text() == "The traffic query uses $job; it may use $service, $window."


def test_unsaved_changes_hold_the_selection_until_saved_or_reverted(qtbot: QtBot) -> None:
    lab = Context("lab", "https://cp.lab.example:8470", "https://prom.lab.example:9090")
    editor = _editor(qtbot, AppConfig((STAGING, lab)), "staging")
    qtbot.keyClicks(editor.form.username, "alice")
    editor.list.setCurrentRow(1)
    assert editor.form.name.text() == "staging"  # still the edited one
    assert editor.error.text() == "Save or revert this context first."
    _click(qtbot, editor.revert_button)
    assert editor.form.username.text() == ""
    editor.list.setCurrentRow(1)
    assert editor.form.name.text() == "lab"


def test_removing_asks_twice_and_renaming_forgets_the_old_name(qtbot: QtBot) -> None:
    lab = Context("lab", "https://cp.lab.example:8470", "https://prom.lab.example:9090")
    editor = _editor(qtbot, AppConfig((STAGING, lab)), "lab")
    with qtbot.assertNotEmitted(editor.removed):
        _click(qtbot, editor.remove_button)
    assert editor.remove_button.text() == "Remove “lab”? Click again"
    with qtbot.waitSignal(editor.removed) as removed:
        _click(qtbot, editor.remove_button)
    assert removed.args == [lab]
    assert [c.name for c in editor.config.contexts] == ["staging"]

    editor.form.name.setText("staging-eu")
    with qtbot.waitSignal(editor.removed) as renamed, qtbot.waitSignal(editor.saved):
        _click(qtbot, editor.save_button)
    assert renamed.args == [STAGING]  # its keyring entries were under the old name
    assert [c.name for c in editor.config.contexts] == ["staging-eu"]
