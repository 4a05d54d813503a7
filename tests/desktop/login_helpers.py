"""Building blocks for the login tests: a working keyring, a flow over the real control
plane, and a dialog to type into."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import keyring
import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.login import LoginFlow
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.login import LoginDialog
from desktop.keyrings import MemoryKeyring
from harness import Cluster, TestUser

WAIT_MS = 15_000


@pytest.fixture
def desktop_keyring() -> Iterator[MemoryKeyring]:
    """A working keyring for the test, set as keyring's backend; the previous one after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@dataclass
class Login:
    """A flow, its session and its dialog, over the real control plane."""

    cluster: Cluster
    runner: TaskRunner
    session: Session
    flow: LoginFlow
    dialog: LoginDialog

    def context(self, user: TestUser | None = None, **changes: object) -> Context:
        fields: dict[str, object] = {
            "name": "lab",
            "control_plane_url": self.cluster.url,
            "prometheus_url": "http://127.0.0.1:9",
            "username": user.name if user else "",
        }
        fields.update(changes)
        return Context(**fields).check()  # type: ignore[arg-type]

    def open_for(self, qtbot: QtBot, context: Context) -> None:
        """Start a login and wait for the dialog to ask."""
        with qtbot.waitSignal(self.flow.prompt, timeout=WAIT_MS):
            self.flow.start(context)
        qtbot.waitUntil(self.dialog.isVisible, timeout=WAIT_MS)

    def type_login(self, qtbot: QtBot, password: str | None, code: str) -> None:
        """Type the password (when given) and the code; the sixth digit sends it."""
        if password is not None:
            self.dialog.password.clear()
            qtbot.keyClicks(self.dialog.password, password)
        qtbot.keyClicks(self.dialog.code, code)

    def close(self) -> None:
        connection = self.session.connection
        self.dialog.close()
        self.runner.shutdown(5.0)
        if connection is not None:
            connection.close()
        shiboken6.delete(self.runner)


def make_login(qtbot: QtBot, cluster: Cluster, **flow_kwargs: object) -> Login:
    runner = TaskRunner()
    session = Session()
    flow = LoginFlow(runner, session, **flow_kwargs)  # type: ignore[arg-type]
    dialog = LoginDialog(flow)
    qtbot.addWidget(dialog)
    return Login(cluster, runner, session, flow, dialog)


def steal_session(cluster: Cluster, connection: Connection) -> None:
    """Someone replays the refresh token: the server takes it as theft and ends the session
    (the app finds out at its next request)."""
    tokens = connection.cluster.tokens
    assert tokens is not None
    for _ in range(2):
        httpx.post(f"{cluster.api}/auth/refresh", json={"refresh_token": tokens.refresh_token})
