"""After a full login (with enrolment), a token refresh, a step-up and a context saved with a
TOTP secret, neither the log (captured at DEBUG, every library included) nor any file in the
config directory holds a password, a TOTP code or secret, or a token."""

from __future__ import annotations

import logging
from pathlib import Path

import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.app import Options, build, make_application
from aioke_desktop.config import AppConfig, ConfigStore, Settings
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.session import Connection
from desktop.keyrings import MemoryKeyring
from desktop.login_helpers import WAIT_MS, desktop_keyring
from harness import Cluster

__all__ = ["desktop_keyring"]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_no_secret_reaches_the_log_or_the_config_files(
    qtbot: QtBot,
    tmp_path: Path,
    cluster: Cluster,
    desktop_keyring: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    user = cluster.new_user("chaos", enrolled=False)
    lab = Context("lab", cluster.url, "http://127.0.0.1:9", username=user.name)
    ConfigStore(tmp_path / "config.toml").save(AppConfig((lab,), Settings(active_context="lab")))
    shell = build(make_application(), Options(config_dir=tmp_path))
    qtbot.addWidget(shell.window)
    controls = shell.controls
    assert controls is not None
    secrets: list[str] = [user.password]
    try:
        # Log in: password (remembered), then enrolment with the QR code and a first code.
        controls.log_in_to(shell.active)
        dialog = controls.login_dialog
        qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
        dialog.remember.setChecked(True)
        qtbot.keyClicks(dialog.password, user.password)
        with qtbot.waitSignal(controls.flow.enrolling, timeout=WAIT_MS) as enrolling:
            qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        totp = pyotp.TOTP(enrolling.args[0].secret)
        secrets.append(enrolling.args[0].secret)
        pending = controls.flow._enrollment  # the one-time enrolment token, to look for
        assert pending is not None
        secrets.append(pending[0].token)
        code = totp.at(cluster.clock.now())
        secrets.append(code)
        with qtbot.waitSignal(controls.flow.logged_in, timeout=WAIT_MS) as logged_in:
            qtbot.keyClicks(dialog.enrolment.code, code)
        connection: Connection = logged_in.args[0]
        first = connection.cluster.tokens
        assert first is not None
        secrets += [first.access_token, first.refresh_token]

        # A refresh in the middle of the session.
        cluster.clock.advance(11 * 60)
        assert connection.cluster.me().name == user.name
        second = connection.cluster.tokens
        assert second is not None
        assert second != first
        secrets += [second.access_token, second.refresh_token]

        # A step-up before a destructive action.
        answers: list[bool] = []
        parent = QWidget()
        qtbot.addWidget(parent)
        with qtbot.waitSignal(controls.step_up.dialog_opened, timeout=WAIT_MS) as opened:
            controls.step_up(parent, connection, "Halt all chaos.", answers.append)
        cluster.next_step()
        step_code = totp.at(cluster.clock.now())
        secrets.append(step_code)
        qtbot.keyClicks(opened.args[0].code, step_code)
        qtbot.waitUntil(lambda: answers == [True], timeout=WAIT_MS)

        # The context editor: keep the TOTP secret (it goes to the keyring, not the file).
        shell.window.contexts_action.trigger()
        editor = controls.editor
        assert editor is not None
        editor.form.setCurrentIndex(1)
        editor.form.remember_totp.setChecked(True)
        qtbot.keyClicks(editor.form.totp_secret, totp.secret)
        with qtbot.waitSignal(controls.config_changed, timeout=WAIT_MS):
            qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(desktop_keyring.entries) == 2, timeout=WAIT_MS)
        assert shell.session.connection is connection  # same addresses: the session goes on
        assert connection.context.remember_totp_secret
    finally:
        shell.window.close()
        shell.shutdown(save=True)

    log = caplog.text
    assert "logged in to lab as" in log  # the log is not empty: it was written, and read
    assert "/auth/step-up" in log
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "config.toml" for p in files)
    for secret in secrets:
        assert secret not in log, "a secret is in the log"
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"a secret is in {path.name}"
    assert user.password in desktop_keyring.entries.values()  # where it belongs
