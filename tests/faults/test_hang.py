"""Item 2: Prometheus hangs for 30 s, or drips one byte a second, under a shown panel.

The real Prometheus (the sandbox's) sits behind the fault proxy. The panel refreshes every
second with a 3 s overall deadline: its data must turn stale (greyed, "Stale since …"),
then show the error sentence once the deadline abandons the request, while the window
stays responsive. The API-level deadline in every phase is tests/desktop/test_api_faults.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from faults.proxy import Fault, FaultProxy
from pytestqt.qtbot import QtBot

from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.runtime.lateness import LatenessProbe
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import PageState, ViewSettings
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.conftest import _nothing_left_running  # noqa: F401 (autouse fixture)
from desktop.ui_helpers import FetchingPage, light_theme
from sandbox_harness import Sandbox

# The offscreen platform's harmless note when a top-level page resizes itself.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

DEADLINE_S = 3.0
EVERY_SECOND = ViewSettings(TimeRange.last("15m"), 1)


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=sandbox.prometheus_url) as running:
        yield running


@pytest.mark.parametrize("fault", [Fault.hang(30), Fault.drip(1)], ids=["hang-30s", "drip-1Bps"])
def test_a_stalled_prometheus_turns_the_panel_stale_then_shows_the_error_at_the_deadline(
    qtbot: QtBot, runner: TaskRunner, proxy: FaultProxy, fault: Fault
) -> None:
    source = PrometheusSource(proxy.url, policy=HttpPolicy(deadline_seconds=DEADLINE_S))
    page = FetchingPage(runner, light_theme(), lambda view: lambda: source.query("up"))
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    with qtbot.waitSignal(page.first_data_ready, timeout=10_000):
        page.activate(EVERY_SECOND)
    stale = page._stale
    started: list[float] = []
    failed: list[float] = []
    page._poller.fetch_started.connect(lambda: started.append(time.monotonic()))
    page._poller.failed.connect(lambda _error: failed.append(time.monotonic()))

    with LatenessProbe() as probe:
        proxy.set(fault)
        qtbot.waitUntil(lambda: stale.isVisible(), timeout=5_000)
        assert stale.text().startswith("Stale since ")
        assert ":" not in stale.text().removeprefix("Stale since ")[8:]  # no error yet
        assert not page._content.isEnabled()  # greyed: old numbers do not pass for new
        qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    abandoned_after = failed[0] - started[0]
    report = probe.report()
    print(
        f"{fault.kind}: abandoned after {abandoned_after:.2f} s "
        f"(deadline {DEADLINE_S:g} s); {report}"
    )
    assert "did not answer completely within 3 s" in stale.text()
    assert page.state is PageState.DATA  # the old data stays, marked stale
    assert abs(abandoned_after - DEADLINE_S) <= 1.0
    assert report.max_ms < 100, report

    proxy.clear()  # back to normal: fresh again by itself
    qtbot.waitUntil(lambda: not stale.isVisible(), timeout=10_000)
    page.deactivate()
    proxy.close()  # ends the hang or the drip now
    runner.wait_idle(10)
    source.close()
