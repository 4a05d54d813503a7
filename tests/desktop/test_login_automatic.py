"""Logins with both factors kept (``--demo``, ``--screenshot``): no dialog to fall back on."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop.keyrings import MemoryKeyring
from desktop.login_helpers import WAIT_MS, desktop_keyring, make_login
from harness import Cluster

__all__ = ["desktop_keyring"]  # the fixture, used by name

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_a_second_app_in_the_same_totp_step_still_logs_in(
    qtbot: QtBot, fresh_cluster: Cluster, desktop_keyring: MemoryKeyring
) -> None:
    """Two demo windows started within 30 s: the first spends this step's code, so the
    second must use the next step's, which the server also accepts."""
    login = make_login(qtbot, fresh_cluster)
    try:
        user = fresh_cluster.new_user("viewer")
        fresh_cluster.login(user)  # the other app: this step's code is now spent
        with (
            qtbot.assertNotEmitted(login.flow.failed),
            qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS),
        ):
            login.flow.start(
                login.context(user),
                password=user.password,
                totp_secret=user.totp_secret,
                interactive=False,
            )
    finally:
        login.close()


def test_an_automatic_login_that_fails_says_why_instead_of_waiting(
    qtbot: QtBot, fresh_cluster: Cluster, desktop_keyring: MemoryKeyring
) -> None:
    login = make_login(qtbot, fresh_cluster)
    try:
        user = fresh_cluster.new_user("viewer")
        said: list[str] = []
        login.flow.notice.connect(said.append)  # the window shows it as a banner
        with (
            qtbot.assertNotEmitted(login.flow.prompt),
            # three refusals at most, and one wait for a new 30 s TOTP step between them
            qtbot.waitSignal(login.flow.failed, timeout=WAIT_MS + 35_000),
        ):
            login.flow.start(
                login.context(user),
                password="not the password",
                totp_secret=user.totp_secret,
                interactive=False,
            )
        assert said == ["The username, password or code is wrong."]
        assert login.session.connection is None
        assert not login.dialog.isVisible()
    finally:
        login.close()
