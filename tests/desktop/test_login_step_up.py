"""The step-up dialog the operations pages open before a destructive action, against the
real control plane: a used code explained, a refused one counted once, a kept secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.session import Connection
from aioke_desktop.runtime.step_up import StepUps
from aioke_desktop.ui.dialogs.step_up import StepUpDialog, StepUpPrompter
from desktop.login_helpers import WAIT_MS, Login, MemoryKeyring, desktop_keyring, make_login
from harness import Cluster, TestUser

__all__ = ["desktop_keyring"]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

REASON = "Halt all chaos experiments: this needs a fresh code."


@pytest.fixture
def login(qtbot: QtBot, cluster: Cluster, desktop_keyring: MemoryKeyring) -> Iterator[Login]:
    made = make_login(qtbot, cluster)
    yield made
    made.close()


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def _logged_in(qtbot: QtBot, login: Login, user: TestUser) -> tuple[Connection, str]:
    login.open_for(qtbot, login.context(user))
    code = login.cluster.code(user)
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in:
        login.type_login(qtbot, user.password, code)
    connection: Connection = logged_in.args[0]
    return connection, code


def _ask(
    qtbot: QtBot, prompter: StepUpPrompter, parent: QWidget, connection: Connection
) -> tuple[StepUpDialog, list[bool]]:
    answers: list[bool] = []
    with qtbot.waitSignal(prompter.dialog_opened, timeout=WAIT_MS) as opened:
        prompter(parent, connection, REASON, answers.append)
    dialog: StepUpDialog = opened.args[0]
    assert dialog.isVisible()
    assert dialog.reason.text() == REASON
    return dialog, answers


def _failed_logins(cluster: Cluster, name: str) -> int:
    row = cluster.sql().execute("SELECT failed_logins FROM users WHERE name = ?", (name,))
    return int(row.fetchone()[0])


def test_the_login_code_again_is_explained_then_a_fresh_one_steps_up(
    qtbot: QtBot, login: Login, parent: QWidget
) -> None:
    user = login.cluster.new_user("chaos")
    connection, login_code = _logged_in(qtbot, login, user)
    prompter = StepUpPrompter(StepUps(login.runner, login.flow.codes))
    dialog, answers = _ask(qtbot, prompter, parent, connection)
    qtbot.keyClicks(dialog.code, login_code)  # the sixth digit sends it
    assert dialog.error.text() == "That code was already used; wait for the next one."
    assert dialog.isVisible()
    assert answers == []
    login.cluster.next_step()
    qtbot.keyClicks(dialog.code, login.cluster.code(user))
    qtbot.waitUntil(lambda: answers == [True], timeout=WAIT_MS)
    assert connection.cluster.me().stepped_up
    assert _failed_logins(login.cluster, user.name) == 0
    # Still stepped up: the next destructive action does not ask again.
    with qtbot.assertNotEmitted(prompter.dialog_opened):
        prompter(parent, connection, REASON, answers.append)
    assert answers == [True, True]


def test_a_refused_code_is_said_plainly_and_counts_once(
    qtbot: QtBot, login: Login, parent: QWidget
) -> None:
    user = login.cluster.new_user("chaos")
    connection, login_code = _logged_in(qtbot, login, user)
    prompter = StepUpPrompter(StepUps(login.runner, login.flow.codes))
    dialog, answers = _ask(qtbot, prompter, parent, connection)
    wrong = f"{(int(login_code) + 7) % 1_000_000:06d}"
    qtbot.keyClicks(dialog.code, wrong)
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    assert dialog.error.text() == (
        "That code was refused: it is wrong, or it was already used; wait for the next one."
    )
    assert _failed_logins(login.cluster, user.name) == 1  # one wrong code, one failure
    assert connection.cluster.auth.refreshes == 0  # and no token was spent on it
    dialog.reject()
    assert answers == [False]


def test_a_context_that_keeps_its_totp_secret_logs_in_and_steps_up_by_itself(
    qtbot: QtBot, fresh_cluster: Cluster, desktop_keyring: MemoryKeyring, parent: QWidget
) -> None:
    # A control plane of its own: its clock is the real one, as the sandbox's is.
    login = make_login(qtbot, fresh_cluster)
    try:
        user = fresh_cluster.new_user("chaos")
        context = login.context(user, remember_totp_secret=True)
        with (
            qtbot.assertNotEmitted(login.flow.prompt),
            qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in,
        ):
            login.flow.start(context, password=user.password, totp_secret=user.totp_secret)
        connection: Connection = logged_in.args[0]
        assert connection.username == user.name
        assert desktop_keyring.entries == {}  # demo factors stay in memory
        prompter = StepUpPrompter(StepUps(login.runner, login.flow.codes))
        answers: list[bool] = []
        prompter(parent, connection, REASON, answers.append)
        qtbot.waitUntil(lambda: answers == [True], timeout=WAIT_MS)
        assert connection.cluster.me().stepped_up
    finally:
        login.close()
