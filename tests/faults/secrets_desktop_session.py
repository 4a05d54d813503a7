"""The desktop session that ``test_secrets_desktop.py`` runs in a child pytest, inside a private
D-Bus session with gnome-keyring (not collected on its own: the name has no ``test_`` prefix).

The real app (``build``) logs a new user in with "remember password" (the password goes to the
Secret Service), enrols TOTP through the QR step, is refreshed, steps up, halts and resumes
chaos with that step-up, keeps the TOTP secret in the keyring from the context editor and logs
out. Every logger writes at DEBUG to ``$AIOKE_SECRETS_LOG``; the secrets used are written to
``$AIOKE_SECRETS_OUT`` (outside ``$HOME``) for the parent to look for.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.app import Options, build, make_application
from aioke_desktop.config import AppConfig, ConfigStore, Settings, config_dir
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.session import Connection
from harness import Cluster

# Not desktop.login_helpers' WAIT_MS: importing it defines the test keyrings, and keyring
# counts every backend class it has seen; its fake plain-file one would be chosen here.
WAIT_MS = 15_000

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def debug_log() -> Iterator[logging.FileHandler]:
    """Every logger at DEBUG into the log file, as a user running with AIOKE_LOG_LEVEL=DEBUG."""
    handler = logging.FileHandler(os.environ["AIOKE_SECRETS_LOG"], encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
    handler.close()


def test_a_whole_desktop_session(
    qtbot: QtBot, cluster: Cluster, debug_log: logging.FileHandler
) -> None:
    used: dict[str, list[str]] = {}
    user = cluster.new_user("chaos", enrolled=False)
    lab = Context("lab", cluster.url, "http://127.0.0.1:9", username=user.name)
    ConfigStore(config_dir() / "config.toml").save(
        AppConfig((lab,), Settings(active_context="lab"))
    )
    shell = build(make_application(), Options())  # the config directory from the environment
    qtbot.addWidget(shell.window)
    controls = shell.controls
    assert controls is not None
    try:
        # Log in: the password, remembered, then enrolment: the QR code's secret and a code.
        controls.log_in_to(shell.active)
        dialog = controls.login_dialog
        qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
        dialog.remember.setChecked(True)
        wrong_password = user.password[::-1]  # an error path first: a mistyped password
        qtbot.keyClicks(dialog.password, wrong_password)
        with qtbot.waitSignal(controls.flow.failed, timeout=WAIT_MS):
            qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        dialog.password.clear()
        qtbot.keyClicks(dialog.password, user.password)
        with qtbot.waitSignal(controls.flow.enrolling, timeout=WAIT_MS) as enrolling:
            qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
        used["password"] = [user.password, wrong_password]
        seed = enrolling.args[0]
        totp = pyotp.TOTP(seed.secret)
        pending = controls.flow._enrollment  # the one-time enrolment token, to look for
        assert pending is not None
        used["totp secret"] = [seed.secret]
        used["enrolment token"] = [pending[0].token]
        code = totp.at(cluster.clock.now())
        with qtbot.waitSignal(controls.flow.logged_in, timeout=WAIT_MS) as logged_in:
            qtbot.keyClicks(dialog.enrolment.code, code)
        connection: Connection = logged_in.args[0]
        first = connection.cluster.tokens
        assert first is not None

        # A refresh: the access token is past its life.
        cluster.clock.advance(11 * 60)
        assert connection.cluster.me().name == user.name
        second = connection.cluster.tokens
        assert second is not None
        assert second != first

        # A step-up with a fresh code, then the change that needs it.
        answers: list[bool] = []
        parent = QWidget()
        qtbot.addWidget(parent)
        with qtbot.waitSignal(controls.step_up.dialog_opened, timeout=WAIT_MS) as opened:
            controls.step_up(parent, connection, "Halt all chaos.", answers.append)
        step_up = opened.args[0]
        cluster.next_step()
        wrong_code = totp.at(cluster.clock.now() + 600)  # refused by the server: an error path
        qtbot.keyClicks(step_up.code, wrong_code)
        qtbot.waitUntil(
            lambda: step_up.code.isEnabled() and not step_up.code.text(), timeout=WAIT_MS
        )
        assert step_up.error.isVisible()
        assert answers == []
        step_code = totp.at(cluster.clock.now())
        qtbot.keyClicks(step_up.code, step_code)
        qtbot.waitUntil(lambda: answers == [True], timeout=WAIT_MS)
        assert connection.cluster.chaos.halt("secrets test")["halted"]["by"] == user.name
        connection.cluster.chaos.resume()
        assert connection.cluster.chaos.halt_state() is None
        used["totp code"] = [code, wrong_code, step_code]
        used["access token"] = [first.access_token, second.access_token]
        used["refresh token"] = [first.refresh_token, second.refresh_token]

        # The context editor keeps the TOTP secret: in the keyring, not in the file.
        shell.window.contexts_action.trigger()
        editor = controls.editor
        assert editor is not None
        editor.form.setCurrentIndex(1)
        editor.form.remember_totp.setChecked(True)
        qtbot.keyClicks(editor.form.totp_secret, totp.secret)
        with qtbot.waitSignal(controls.config_changed, timeout=WAIT_MS):
            qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

        # Log out: the server revokes the last tokens (in the background).
        last = connection.cluster.tokens
        assert last is not None
        used["access token"].append(last.access_token)
        used["refresh token"].append(last.refresh_token)
        controls.toggle_login()
        assert shell.session.connection is None
        shell.runner.wait_idle(10)
        refresh = httpx.post(
            f"{cluster.api}/auth/refresh", json={"refresh_token": last.refresh_token}
        )
        assert refresh.status_code == 401
    finally:
        shell.window.close()
        shell.shutdown(save=True)

    # Both secrets are in the keyring, which is gnome-keyring's Secret Service.
    backend = keyring.get_keyring()
    found = controls.flow.secrets.find(shell.config.context("lab"), user.name)
    out = {
        "backend": f"{type(backend).__module__}.{type(backend).__name__}",
        "app's backend": controls.flow.secrets.store().verdict.backend,
        "password in keyring": found.password == user.password,
        "totp secret in keyring": found.totp_secret == seed.secret,
        "used": used,
    }
    Path(os.environ["AIOKE_SECRETS_OUT"]).write_text(json.dumps(out))
