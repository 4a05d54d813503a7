"""A session over time: a token that expires mid-work, a session the server ends, and the
factors asked for again without losing what the page shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.ui.pages import PageState
from desktop.login_helpers import (
    WAIT_MS,
    Login,
    MemoryKeyring,
    desktop_keyring,
    log_in,
    make_login,
    page_of_services,
    steal_session,
)
from harness import Cluster

__all__ = ["desktop_keyring"]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def login(qtbot: QtBot, cluster: Cluster, desktop_keyring: MemoryKeyring) -> Iterator[Login]:
    made = make_login(qtbot, cluster)
    yield made
    made.close()


def test_an_access_token_expiring_mid_session_is_refreshed_once_silently(
    qtbot: QtBot, login: Login
) -> None:
    user = login.cluster.new_user("viewer")
    connection = log_in(qtbot, login, user)
    page = page_of_services(qtbot, login)
    shown = page.shown.text()
    assert "checkout" in shown
    login.cluster.clock.advance(11 * 60)  # access tokens live 10 minutes
    with (
        qtbot.assertNotEmitted(login.session.ended),
        qtbot.assertNotEmitted(login.flow.prompt),
        qtbot.assertNotEmitted(page.state_changed),  # never an error, never "loading"
        qtbot.waitSignal(page.poller.data, timeout=WAIT_MS),
    ):
        page.refresh()
    assert connection.cluster.auth.refreshes == 1
    assert page.shown.text() == shown
    assert login.session.connection is connection
    page.deactivate()


def test_a_session_the_server_ended_asks_only_for_the_code_and_keeps_the_page(
    qtbot: QtBot, login: Login
) -> None:
    user = login.cluster.new_user("viewer")
    connection = log_in(qtbot, login, user, remember=True)
    page = page_of_services(qtbot, login)
    shown = page.shown.text()
    steal_session(login.cluster, connection)
    with (
        qtbot.assertNotEmitted(login.session.disconnected),
        qtbot.waitSignal(login.flow.prompt, timeout=WAIT_MS) as prompted,
    ):
        page.refresh()
    assert prompted.args[0].resume
    qtbot.waitUntil(login.dialog.isVisible, timeout=WAIT_MS)
    assert not login.dialog.password.isVisibleTo(login.dialog)  # the keyring has it
    assert login.dialog.username.text() == user.name
    assert login.dialog.username.isReadOnly()
    assert page.shown.text() == shown  # the page still shows what it had
    assert page.state is PageState.DATA
    login.cluster.next_step()
    with (
        qtbot.assertNotEmitted(login.session.disconnected),
        qtbot.waitSignal(login.flow.resumed, timeout=WAIT_MS),
    ):
        qtbot.keyClicks(login.dialog.code, login.cluster.code(user))
    assert login.session.connection is connection  # the same connection, logged in again
    assert not login.dialog.isVisible()
    with qtbot.waitSignal(page.poller.data, timeout=WAIT_MS):
        page.refresh()
    assert page.shown.text() == shown
    assert not login.flow.session_ended
    page.deactivate()


def test_without_a_remembered_password_the_ended_session_asks_for_it_too(
    qtbot: QtBot, login: Login
) -> None:
    user = login.cluster.new_user("viewer")
    connection = log_in(qtbot, login, user, remember=False)
    steal_session(login.cluster, connection)
    with qtbot.waitSignal(login.flow.prompt, timeout=WAIT_MS):
        login.runner.run(connection.cluster.me, on_error=lambda _e: None)
    qtbot.waitUntil(login.dialog.isVisible, timeout=WAIT_MS)
    assert login.dialog.password.isVisibleTo(login.dialog)
    assert login.dialog.password.text() == ""
    login.cluster.next_step()
    with qtbot.waitSignal(login.flow.resumed, timeout=WAIT_MS):
        login.type_login(qtbot, user.password, login.cluster.code(user))
    assert login.session.connection is connection
