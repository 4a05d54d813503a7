"""Item 7: Prometheus answers "NaN", "+Inf", empty results and warnings, over the wire.

The Overview reads the sandbox's real Prometheus through the fault proxy; after its first
real answer the proxy swaps every range query's answer for one whose values are NaN, +Inf
and numbers, with a warning, then for an empty result. The page must draw gaps, read "∞",
show the warning icon with its text, say "No data" — and raise nothing, on any thread.
(The same values made by real PromQL: tests/desktop/test_overview_values.py.)
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pyotp
import pytest
from faults.proxy import Fault, FaultProxy
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.event_feed import EventFeed
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import PageState, ViewSettings
from aioke_desktop.ui.pages.overview import OverviewPage
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.conftest import _nothing_left_running  # noqa: F401 (autouse fixture)
from desktop.overview_helpers import FIFTEEN_MINUTES
from desktop.ui_helpers import light_theme
from sandbox_harness import Sandbox

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

WARNING = "partial response: store eu-west-2 did not answer"


def _matrix(values: list[str], warnings: list[str]) -> bytes:
    now = time.time()
    # Five-second steps ending a little ahead: the newest value counts as "now".
    samples = [[round(now) + 10 - 5 * (len(values) - 1 - i), v] for i, v in enumerate(values)]
    result = [{"metric": {"service": "checkout", "resource": "cpu"}, "values": samples}]
    body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    return json.dumps({**body, "warnings": warnings}).encode()


def _odd() -> bytes:
    """Numbers, NaN gaps and +Inf as the newest value, with a warning (timed for now)."""
    return _matrix(["0.25", "NaN", "0.5", "NaN", "0.75", "+Inf"], [WARNING])


EMPTY = b'{"status": "success", "data": {"resultType": "matrix", "result": []}}'


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=sandbox.prometheus_url) as running:
        yield running


@pytest.fixture
def errors() -> Iterator[list[BaseException]]:
    """Every exception that escapes, on the GUI thread or any other."""
    seen: list[BaseException] = []
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    sys.excepthook = lambda _t, error, _tb: seen.append(error)
    threading.excepthook = lambda args: seen.append(args.exc_value or RuntimeError())
    yield seen
    sys.excepthook, threading.excepthook = old_hook, old_thread_hook


def test_nan_inf_empty_and_warnings_draw_gaps_infinity_no_data_and_an_icon(
    qtbot: QtBot,
    runner: TaskRunner,
    sandbox: Sandbox,
    proxy: FaultProxy,
    errors: list[BaseException],
) -> None:
    session = Session()
    page = OverviewPage(runner, light_theme(), session)
    feed = EventFeed(runner, session, wait_seconds=1)
    page.follow(feed)
    qtbot.addWidget(page)
    page.resize(1112, 740)
    page.show()
    user = sandbox.new_user("viewer")
    context = Context(
        "values", sandbox.status["control_plane_url"], proxy.url, username=user.name
    ).check()
    connection = Connection.open(context, session)
    logged_in = connection.cluster.login(
        user.name, user.password, pyotp.TOTP(user.totp_secret).now()
    )
    connection.username, connection.roles = logged_in.name, logged_in.roles
    session.attach(connection)
    proxy.set(Fault.body(_odd()).where(path_prefix="/api/v1/query_range"))
    with qtbot.waitSignal(page.first_data_ready, timeout=30_000):
        page.activate(FIFTEEN_MINUTES)
    try:
        page.select_services(["checkout"])
        charts = page.charts.charts
        latency = charts["latency"]
        qtbot.waitUntil(lambda: all(c.warning.isVisible() for c in charts.values()), timeout=10_000)
        for chart in charts.values():
            assert WARNING in chart.warning.toolTip()
        values = charts["errors"].lines[0].values
        assert np.isnan(values).any()  # NaN and +Inf are gaps in the line
        assert np.isfinite(values).any()
        assert "∞" in latency.readout.text()  # the latest value is +Inf

        proxy.set(Fault.body(EMPTY).where(path_prefix="/api/v1/query_range"))
        page.activate(ViewSettings(TimeRange.last("1h"), 1))  # a new window: fetched whole
        # No series at all: the page says "No data" (never a line of zeros).
        qtbot.waitUntil(lambda: page.state is PageState.EMPTY, timeout=10_000)
        assert page._message.headline.text() == "No data"
    finally:
        page.deactivate()
        feed.stop()
        runner.wait_idle(40)
        session.detach()
    print(f"{proxy.stats.body} odd answers served; {len(errors)} exceptions")
    assert errors == []  # 0 exceptions (pytest-qt also fails on one raised in a slot)
