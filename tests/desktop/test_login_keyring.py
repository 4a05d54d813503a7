"""The keyring guard as the login dialog shows it, in four cases: a working keyring, none, a
plaintext one, a locked one. Backends are set with ``keyring.set_keyring``, as keyring would
pick them on a desktop; the logins go to the real control plane."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from pytestqt.qtbot import QtBot

from aioke_desktop.core.keyring_guard import SERVICE
from aioke_desktop.runtime.session import Connection
from desktop.keyrings import LockedKeyring, MemoryKeyring, PlaintextKeyring
from desktop.login_helpers import WAIT_MS, Login, make_login, steal_session
from harness import Cluster, TestUser

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

IN_MEMORY = "is kept in memory for this session only."
PLAIN_FILE = "The only keyring available would keep your password in a plain file, so it "


@pytest.fixture
def use_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def logins(qtbot: QtBot, cluster: Cluster, use_keyring: None) -> Iterator[list[Login]]:
    """Logins made by the test (each one is an app started afresh); closed afterwards."""
    made: list[Login] = []
    yield made
    for login in made:
        login.close()


def _new_app(qtbot: QtBot, cluster: Cluster, logins: list[Login]) -> Login:
    login = make_login(qtbot, cluster)
    logins.append(login)
    return login


def _log_in(qtbot: QtBot, login: Login, user: TestUser) -> Connection:
    login.dialog.remember.setChecked(True)
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in:
        login.type_login(qtbot, user.password, login.cluster.code(user))
    connection: Connection = logged_in.args[0]
    return connection


def _end_session_and_wait_for_the_prompt(qtbot: QtBot, login: Login, user: TestUser) -> None:
    connection = login.session.connection
    assert connection is not None
    steal_session(login.cluster, connection)
    with qtbot.waitSignal(login.flow.prompt, timeout=WAIT_MS):
        login.runner.run(connection.cluster.me, on_error=lambda _e: None)
    qtbot.waitUntil(login.dialog.isVisible, timeout=WAIT_MS)


def test_a_working_keyring_keeps_the_password_for_the_next_start(
    qtbot: QtBot, cluster: Cluster, logins: list[Login]
) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    user = cluster.new_user("viewer")
    first = _new_app(qtbot, cluster, logins)
    first.open_for(qtbot, first.context(user))
    assert not first.dialog.keyring_note.isVisible()
    _log_in(qtbot, first, user)
    assert backend.entries == {(SERVICE, f"lab/{user.name}"): user.password}

    cluster.next_step()
    second = _new_app(qtbot, cluster, logins)
    second.open_for(qtbot, second.context(user))
    assert second.dialog.password.text() == user.password
    assert second.dialog.remember.isChecked()
    with qtbot.waitSignal(second.flow.logged_in, timeout=WAIT_MS):
        qtbot.keyClicks(second.dialog.code, cluster.code(user))  # only the code is typed


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (fail.Keyring(), "No system keyring is available, so your password " + IN_MEMORY),
        (PlaintextKeyring(), PLAIN_FILE + IN_MEMORY),
    ],
    ids=["none", "plaintext-only"],
)
def test_no_keyring_or_a_plaintext_one_stores_nothing_and_says_why_once(
    qtbot: QtBot,
    cluster: Cluster,
    logins: list[Login],
    backend: KeyringBackend,
    reason: str,
) -> None:
    keyring.set_keyring(backend)
    user = cluster.new_user("viewer")
    login = _new_app(qtbot, cluster, logins)
    login.open_for(qtbot, login.context(user))
    assert login.dialog.keyring_note.isVisible()
    assert login.dialog.keyring_note.text() == reason
    with qtbot.assertNotEmitted(login.flow.notice):  # the dialog said it; once is enough
        _log_in(qtbot, login, user)
    if isinstance(backend, MemoryKeyring):
        assert backend.entries == {}  # not a byte in the plaintext store

    # The password lives in memory for the session: a session that ends asks only the code.
    _end_session_and_wait_for_the_prompt(qtbot, login, user)
    assert not login.dialog.password.isVisibleTo(login.dialog)
    assert not login.dialog.keyring_note.isVisible()  # said once, not again
    login.cluster.next_step()
    with qtbot.waitSignal(login.flow.resumed, timeout=WAIT_MS):
        qtbot.keyClicks(login.dialog.code, cluster.code(user))


def test_a_locked_keyring_is_said_plainly_and_logging_in_still_works(
    qtbot: QtBot, cluster: Cluster, logins: list[Login]
) -> None:
    keyring.set_keyring(LockedKeyring())
    user = cluster.new_user("viewer")
    login = _new_app(qtbot, cluster, logins)
    login.open_for(qtbot, login.context(user))
    assert login.dialog.keyring_note.text() == (
        "The keyring is locked; unlock it or type the password."
    )
    with qtbot.waitSignal(login.flow.notice, timeout=WAIT_MS) as notice:
        connection = _log_in(qtbot, login, user)
    assert notice.args == ["The keyring is locked, so the password was not saved."]
    assert connection.cluster.me().name == user.name
    _end_session_and_wait_for_the_prompt(qtbot, login, user)
    assert not login.dialog.password.isVisibleTo(login.dialog)  # kept for this session
