"""Building blocks for the Overview's tests: a desktop session on the real sandbox (control
plane with its workload, Prometheus with a day of history), and the page shown over it."""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context
from aioke_desktop.core.golden import GoldenFetch
from aioke_desktop.core.promql import GoldenSignalTemplates
from aioke_desktop.runtime.event_feed import EventFeed
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import PageState, ViewSettings
from aioke_desktop.ui.pages.overview import OverviewPage
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import light_theme
from sandbox_harness import Sandbox

# Short windows keep the full fetch quick; one-second refreshes keep the tests short.
FIFTEEN_MINUTES = ViewSettings(TimeRange.last("15m"), 1)


def connect(
    sandbox: Sandbox,
    session: Session,
    *roles: str,
    queries: GoldenSignalTemplates | None = None,
) -> Connection:
    """A new user logged in through the desktop's own clients, attached to ``session``."""
    user = sandbox.new_user(*(roles or ("viewer",)))
    context = Context(
        "sandbox",
        sandbox.status["control_plane_url"],
        sandbox.prometheus_url,
        username=user.name,
        queries=queries or GoldenSignalTemplates(),
    ).check()
    connection = Connection.open(context, session)
    code = pyotp.TOTP(user.totp_secret).now()
    logged_in = connection.cluster.login(user.name, user.password, code)
    connection.username, connection.roles = logged_in.name, logged_in.roles
    session.attach(connection)
    return connection


@contextmanager
def shown_overview(
    qtbot: QtBot,
    runner: TaskRunner,
    sandbox: Sandbox,
    view: ViewSettings = FIFTEEN_MINUTES,
    queries: GoldenSignalTemplates | None = None,
    *,
    follow: bool = True,
) -> Iterator[OverviewPage]:
    """The Overview shown at the size it has in a 1280x800 window, loaded from the sandbox
    and following its event feed (unless not ``follow``); stopped and drained afterwards."""
    session = Session()
    page = OverviewPage(runner, light_theme(), session)
    feed = EventFeed(runner, session, wait_seconds=1) if follow else None
    if feed is not None:
        page.follow(feed)
    qtbot.addWidget(page)
    page.resize(1112, 740)
    page.show()
    connect(sandbox, session, queries=queries)
    with qtbot.waitSignal(page.first_data_ready, timeout=30_000):
        page.activate(view)
    try:
        yield page
    finally:
        page.deactivate()
        if feed is not None:
            feed.stop()
        runner.wait_idle(40)
        session.detach()


def fetches(page: OverviewPage) -> list[GoldenFetch]:
    """Every answer the page receives from now on."""
    seen: list[GoldenFetch] = []
    page.poller.data.connect(lambda data: seen.append(data))
    return seen


def row_values(page: OverviewPage, service: str) -> tuple[float, ...]:
    rows = {row.service: row for row in page.model.rows}
    return rows[service].values if service in rows else ()


def all_numbers(values: tuple[float, ...]) -> bool:
    return bool(values) and all(math.isfinite(v) for v in values)


def prometheus_pid(url: str) -> int:
    """The pid of the Prometheus listening at ``url`` (read from /proc, no extra package)."""
    wanted = f"--web.listen-address=127.0.0.1:{urlsplit(url).port}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in args:
            return int(proc.name)
    raise AssertionError(f"no Prometheus process listens at {url}")


@contextmanager
def prometheus_stopped(url: str) -> Iterator[None]:
    """Prometheus frozen with SIGSTOP (it hangs, as a stuck server does); resumed after."""
    pid = prometheus_pid(url)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def eventually(check: Callable[[], object]) -> Callable[[], bool]:
    """``check`` as a waitUntil predicate that treats exceptions as "not yet"."""

    def predicate() -> bool:
        try:
            return bool(check())
        except (KeyError, IndexError, ValueError):
            return False

    return predicate


__all__ = ["FIFTEEN_MINUTES", "PageState"]
