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
from aioke_desktop.ui.pages import PageState, ViewSettings
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.keyrings import MemoryKeyring
from desktop.ui_helpers import FetchingPage, light_theme
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


def log_in(qtbot: QtBot, login: Login, user: TestUser, remember: bool = True) -> Connection:
    """Log ``user`` in through the dialog and return the connection the flow made."""
    login.open_for(qtbot, login.context(user))
    login.dialog.remember.setChecked(remember)
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in:
        login.type_login(qtbot, user.password, login.cluster.code(user))
    connection: Connection = logged_in.args[0]
    return connection


def page_of_services(qtbot: QtBot, login: Login) -> FetchingPage:
    """A page showing the services, fetched through the session's connection."""

    def fetch(_view: ViewSettings) -> object:
        def services() -> str:
            connection = login.session.connection
            assert connection is not None
            return ", ".join(sorted(s.name for s in connection.cluster.services()))

        return services

    page = FetchingPage(login.runner, light_theme(), fetch)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.first_data_ready, timeout=WAIT_MS):
        page.activate(ViewSettings(TimeRange.last("1h"), None))
    assert page.state is PageState.DATA
    return page


def steal_session(cluster: Cluster, connection: Connection) -> None:
    """Someone replays the refresh token after using the pair it gave them: the server takes
    it as theft and ends the session (the app finds out at its next request). A replay alone,
    while that pair is unused, would pass for the retry of a lost answer."""
    tokens = connection.cluster.tokens
    assert tokens is not None
    refresh = f"{cluster.api}/auth/refresh"
    stolen = httpx.post(refresh, json={"refresh_token": tokens.refresh_token}).json()
    httpx.post(refresh, json={"refresh_token": stolen["refresh_token"]})
    ended = httpx.post(refresh, json={"refresh_token": tokens.refresh_token})
    assert ended.status_code == 401
