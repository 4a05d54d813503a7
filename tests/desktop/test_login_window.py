"""The window around the session: the context switcher logs in to the chosen context, the
toolbar's Log in / Log out, the session label, the read-only switch, the connection lights,
and the context editor's changes reaching the settings file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from aioke_desktop.app import Options, Shell, build, make_application
from aioke_desktop.config import AppConfig, ConfigStore, Settings
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.poller import Health
from aioke_desktop.runtime.session import Connection
from desktop.login_helpers import WAIT_MS, MemoryKeyring, desktop_keyring, steal_session
from harness import Cluster, TestUser
from sandbox_harness import Sandbox

__all__ = ["desktop_keyring"]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def _shell(qtbot: QtBot, config_dir: Path, *contexts: Context, active: str) -> Shell:
    config = AppConfig(settings=Settings(active_context=active))
    for context in contexts:
        config = config.with_context(context)
    ConfigStore(config_dir / "config.toml").save(config)
    shell = build(make_application(), Options(config_dir=config_dir))
    qtbot.addWidget(shell.window)
    shell.window.show()
    return shell


@pytest.fixture
def started(
    qtbot: QtBot, tmp_path: Path, cluster: Cluster, desktop_keyring: MemoryKeyring
) -> Iterator[Shell]:
    staging = Context("staging", "https://cp.staging.example:8470", "https://prom.example:9090")
    lab = Context("lab", cluster.url, "http://127.0.0.1:9", username="")
    shell = _shell(qtbot, tmp_path, staging, lab, active="staging")
    yield shell
    shell.shutdown(save=False)


def _type_login(qtbot: QtBot, shell: Shell, user: TestUser, code: str) -> Connection:
    assert shell.controls is not None
    dialog = shell.controls.login_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    qtbot.keyClicks(dialog.username, user.name)
    qtbot.keyClicks(dialog.password, user.password)
    with qtbot.waitSignal(shell.controls.flow.logged_in, timeout=WAIT_MS) as logged_in:
        qtbot.keyClicks(dialog.code, code)
    connection: Connection = logged_in.args[0]
    return connection


def test_choosing_a_context_logs_in_to_it_and_log_out_ends_it(
    qtbot: QtBot, started: Shell, cluster: Cluster
) -> None:
    window, controls = started.window, started.controls
    assert controls is not None
    user = cluster.new_user("operator", "chaos")
    assert window.login_action.text() == "Log in"
    assert window.session.text() == "Not logged in"
    window.contexts.activated.emit(window.contexts.names().index("lab"))
    qtbot.waitUntil(controls.login_dialog.isVisible, timeout=WAIT_MS)
    assert controls.login_dialog.heading.text() == "Log in to lab"
    connection = _type_login(qtbot, started, user, cluster.code(user))
    assert started.session.connection is connection
    assert window.session.text() == f"{user.name} · chaos, operator"
    assert window.login_action.text() == "Log out"
    with qtbot.assertNotEmitted(started.session.disconnected):  # the same one chosen again
        window.contexts.activated.emit(window.contexts.names().index("lab"))
    assert not controls.login_dialog.isVisible()
    qtbot.waitUntil(
        lambda: (
            window.lights["Control plane"].health is not None
            and window.lights["Control plane"].health.health is Health.OK
        ),
        timeout=WAIT_MS,
    )

    with qtbot.waitSignal(started.session.disconnected, timeout=WAIT_MS):
        window.login_action.trigger()
    assert window.session.text() == "Not logged in"
    assert window.login_action.text() == "Log in"
    assert window.lights["Control plane"].health is None  # grey: not connected
    assert controls.endpoints.pollers["Control plane"] is None


def test_a_session_the_server_ended_shows_in_the_toolbar_until_it_is_resumed(
    qtbot: QtBot, started: Shell, cluster: Cluster
) -> None:
    controls = started.controls
    assert controls is not None
    user = cluster.new_user("viewer")
    started.window.contexts.activated.emit(started.window.contexts.names().index("lab"))
    connection = _type_login(qtbot, started, user, cluster.code(user))
    steal_session(cluster, connection)
    with qtbot.waitSignal(controls.flow.prompt, timeout=WAIT_MS):
        controls.endpoints.refresh_now()  # the control plane light asks /me
    assert started.window.session.text() == f"{user.name} · viewer · session ended"
    assert started.window.login_action.text() == "Log in again"
    qtbot.waitUntil(controls.login_dialog.isVisible, timeout=WAIT_MS)
    cluster.next_step()
    dialog = controls.login_dialog
    qtbot.keyClicks(dialog.password, user.password)  # not remembered: asked again
    with qtbot.waitSignal(controls.flow.resumed, timeout=WAIT_MS):
        qtbot.keyClicks(dialog.code, cluster.code(user))
    assert started.session.connection is connection
    assert started.window.session.text() == f"{user.name} · viewer"
    assert started.window.login_action.text() == "Log out"


def test_the_read_only_switch_holds_every_change_back(
    qtbot: QtBot, started: Shell, cluster: Cluster
) -> None:
    user = cluster.new_user("operator")
    started.window.contexts.activated.emit(started.window.contexts.names().index("lab"))
    _type_login(qtbot, started, user, cluster.code(user))
    assert started.session.why_not("operator") is None
    qtbot.mouseClick(started.window.read_only, Qt.MouseButton.LeftButton)
    assert started.session.read_only
    assert started.session.why_not("operator") == (
        "This is a read-only session: turn read-only off to change anything."
    )
    assert started.session.why_not("viewer", mutating=False) is None  # reading goes on
    started.session.set_read_only(False)  # from elsewhere (the tray): the switch follows
    assert not started.window.read_only.isChecked()


def test_a_context_added_in_the_editor_is_saved_and_logged_in_to(
    qtbot: QtBot, tmp_path: Path, cluster: Cluster, desktop_keyring: MemoryKeyring
) -> None:
    shell = build(make_application(), Options(config_dir=tmp_path))  # a fresh install
    qtbot.addWidget(shell.window)
    try:
        assert shell.controls is not None
        shell.controls.log_in_to(None)
        assert shell.window.notice.text() == "No cluster is set up yet: add one to log in."
        shell.window.contexts_action.trigger()
        editor = shell.controls.editor
        assert editor is not None
        qtbot.waitUntil(editor.isVisible, timeout=WAIT_MS)
        user = cluster.new_user("viewer")
        qtbot.keyClicks(editor.form.name, "lab")
        qtbot.keyClicks(editor.form.control_plane, cluster.url)
        qtbot.keyClicks(editor.form.prometheus, "http://127.0.0.1:9")
        qtbot.keyClicks(editor.form.username, user.name)
        with qtbot.waitSignal(shell.controls.config_changed, timeout=WAIT_MS):
            qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        saved = ConfigStore(tmp_path / "config.toml").load()
        assert [c.name for c in saved.contexts] == ["lab"]
        assert shell.window.contexts.names() == ["lab"]
        dialog = shell.controls.login_dialog
        qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)  # straight on to logging in
        assert dialog.username.text() == user.name
    finally:
        shell.shutdown(save=False)


@pytest.mark.slow
def test_all_three_lights_go_green_against_the_sandbox(
    qtbot: QtBot, tmp_path: Path, sandbox: Sandbox, desktop_keyring: MemoryKeyring
) -> None:
    status = sandbox.status
    context = Context(
        "sandbox",
        status["control_plane_url"],
        status["prometheus_url"],
        alertmanager_url=status["alertmanager_url"],
    )
    shell = _shell(qtbot, tmp_path, context, active="sandbox")
    try:
        assert shell.controls is not None
        user = sandbox.new_user("viewer")
        shell.controls.log_in_to(shell.active)
        test_user = TestUser(user.name, user.password, ("viewer",), user.totp_secret)
        _type_login(qtbot, shell, test_user, pyotp.TOTP(user.totp_secret).now())
        for light in shell.window.lights.values():
            qtbot.waitUntil(
                lambda light=light: light.health is not None and light.health.health is Health.OK,
                timeout=WAIT_MS,
            )
    finally:
        shell.shutdown(save=False)
