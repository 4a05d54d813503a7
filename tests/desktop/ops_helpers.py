"""Building blocks for the operations pages' tests: a session logged in to the real control
plane, a page shown over it, and the dialogs its actions open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpx
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.event_feed import EventFeed
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.actions import ActionRunner
from aioke_desktop.ui.pages.base import Page, PageState, ViewSettings
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import HOUR, light_theme
from harness import Cluster, TestUser

# No polling: whatever changes on screen came from the event feed or from an action.
NO_POLLING = ViewSettings(TimeRange.last("1h"), None)

P = TypeVar("P", bound=Page)
D = TypeVar("D", bound=QDialog)


def connect(
    cluster: Cluster,
    session: Session,
    *roles: str,
    production: bool = False,
    transport: httpx.BaseTransport | None = None,
    policy: HttpPolicy | None = None,
    prometheus_url: str = "http://127.0.0.1:9",
) -> TestUser:
    """Log a new user with ``roles`` in through the desktop's own client and attach it
    (with no Prometheus unless ``prometheus_url`` names one)."""
    user = cluster.new_user(*roles)
    context = Context(
        "live" if production else "test",
        cluster.url,
        prometheus_url,
        username=user.name,
        production=production,
    )
    client = ClusterClient(
        context,
        transport=transport,
        policy=policy,
        on_session_change=session.tokens_changed_from_worker,
    )
    connection = Connection(context, client, PrometheusSource(context.prometheus_url), None)
    logged_in = client.login(user.name, user.password, cluster.code(user))
    connection.username, connection.roles = logged_in.name, logged_in.roles
    session.attach(connection)
    return user


@contextmanager
def shown_page(
    qtbot: QtBot,
    page_type: type[P],
    runner: TaskRunner,
    cluster: Cluster,
    *roles: str,
    live: bool = True,
    production: bool = False,
    transport: httpx.BaseTransport | None = None,
    policy: HttpPolicy | None = None,
    view: ViewSettings = HOUR,
    prometheus_url: str = "http://127.0.0.1:9",
) -> Iterator[tuple[P, TestUser]]:
    """``page_type`` shown and loaded for a new user with ``roles`` (following the event
    feed when ``live``); stopped, its work drained and the session closed afterwards."""
    session = Session()
    page = page_type(runner, light_theme(), session)
    feed = EventFeed(runner, session, wait_seconds=1) if live else None
    if feed is not None:
        page.follow(feed)
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    user = connect(
        cluster,
        session,
        *roles,
        production=production,
        transport=transport,
        policy=policy,
        prometheus_url=prometheus_url,
    )
    with qtbot.waitSignal(page.first_data_ready, timeout=10_000):
        page.activate(view)
    assert page.state is PageState.DATA, page._message.detail.text()
    try:
        yield page, user
    finally:
        page.deactivate()
        if feed is not None:
            feed.stop()
        runner.wait_idle(10)
        session.detach()


class DropsTheFirstAnswer(httpx.HTTPTransport):
    """The server acts and answers, then the first answer to a POST to a path ending in
    ``path_end`` is lost on its way back (a fault a real server cannot show on demand).

    Attributes:
        keys: the Idempotency-Key of each such POST, in order.
    """

    def __init__(self, path_end: str) -> None:
        super().__init__()
        self._path_end = path_end
        self.keys: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method != "POST" or not request.url.path.endswith(self._path_end):
            return response
        response.read()
        self.keys.append(request.headers["idempotency-key"])
        if len(self.keys) == 1:
            response.close()
            raise httpx.ReadError("connection reset after the server acted", request=request)
        return response


class Dialogs:
    """Every dialog an action runner opens, in order."""

    def __init__(self, actions: ActionRunner) -> None:
        self.opened: list[QDialog] = []
        actions.dialog_opened.connect(self.opened.append)

    def wait_for(self, qtbot: QtBot, kind: type[D], timeout: int = 10_000) -> D:
        qtbot.waitUntil(lambda: any(isinstance(d, kind) for d in self.opened), timeout=timeout)
        found = [d for d in self.opened if isinstance(d, kind)][-1]
        assert isinstance(found, kind)
        self.opened.remove(found)
        return found
