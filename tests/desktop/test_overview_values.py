"""NaN, infinity, emptiness and warnings as the Overview shows them.

The real Prometheus makes the first three when the context's query templates ask for them
(0/0, x/0, a metric nobody exports); only warnings, which a stock Prometheus cannot be made
to send, come from a canned answer through an httpx MockTransport.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import numpy as np
import pytest
from PySide6.QtGui import QPainterPath
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.promql import GoldenSignalTemplates
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import PageState
from aioke_desktop.ui.pages.overview import OverviewPage
from desktop.overview_helpers import FIFTEEN_MINUTES, row_values, shown_overview
from desktop.ui_helpers import light_theme
from sandbox_harness import Sandbox

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

COUNT = 'http_server_request_duration_seconds_count{service=~"$service"}'
BUCKETS = 'http_server_request_duration_seconds_bucket{service=~"$service"}'
NOTHING = 'sum by (service) (rate(nobody_exports_this_total{service=~"$service"}[$window]))'
# 1 in the second half of each minute, 0 in the first: x*0/0 is NaN there.
HALF_MINUTES = "(time() % 60 >= bool 30)"
ODD = GoldenSignalTemplates().with_changes(
    traffic=NOTHING,
    error_ratio=(f"sum by (service) (rate({COUNT}[$window])) * {HALF_MINUTES} / {HALF_MINUTES}"),
    # p99 divided by zero (0.99 > 0.99 is false): +Inf; p50 and p95 divided by one.
    latency=(
        f"histogram_quantile($quantile, sum by (service, le) (rate({BUCKETS}[$window])))"
        " / (0.99 > bool $quantile)"
    ),
)


def subpaths(path: QPainterPath) -> int:
    return sum(path.elementAt(i).isMoveTo() for i in range(path.elementCount()))


def test_nan_is_a_gap_inf_reads_infinite_and_an_empty_answer_reads_no_data(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    with shown_overview(qtbot, runner, sandbox, queries=ODD) as page:
        page.select_services(["checkout"])
        charts = page.charts.charts

        # Empty: "No data" on the chart and "—" in the table, never a zero.
        assert charts["traffic"].lines == []
        assert charts["traffic"].no_data.isVisible()
        assert charts["traffic"].no_data.text() == "No data"
        traffic = page.proxy.index(0, 1)
        assert traffic.data() == "—"
        assert "No data" in traffic.data(3)  # ToolTipRole

        # NaN: the errors line breaks into one piece per half minute with values.
        errors = charts["errors"]
        values = errors.lines[0].values
        assert np.isnan(values).any()
        assert np.isfinite(values).any()
        assert subpaths(errors._items[0].curve.getPath()) >= 5

        # +Inf: p99 has nothing to draw, yet reads "∞" in the readout and the table.
        latency = charts["latency"]
        p99 = next(line for line in latency.lines if line.label == "p99")
        assert np.isinf(p99.raw).all()
        assert np.isnan(p99.values).all()
        assert "p99 ∞" in latency.readout.text()
        assert latency.has_data()  # p50 and p95 are finite
        values_by_column = row_values(page, "checkout")
        assert math.isinf(values_by_column[4])
        row = page.proxy.mapFromSource(page.model.index(page.model.row_of("checkout"), 5))
        assert row.data() == "∞"


def test_a_window_without_any_series_is_an_honest_no_data(
    qtbot: QtBot, runner: TaskRunner, sandbox: Sandbox
) -> None:
    nothing = GoldenSignalTemplates().with_changes(
        traffic=NOTHING,
        error_ratio=NOTHING,
        latency=f"histogram_quantile($quantile, {NOTHING})",
        saturation=NOTHING,
    )
    with shown_overview(qtbot, runner, sandbox, queries=nothing) as page:
        assert page.state is PageState.EMPTY
        assert page._message.headline.text() == "No data"
        assert "no golden-signal series" in page._message.detail.text()


def _canned_prometheus(request: httpx.Request) -> httpx.Response:
    """A Prometheus-compatible answer with a warning, as Thanos sends for a partial answer."""
    params = parse_qs(request.url.query.decode())
    if request.url.path.endswith("/query_range"):
        start, end, step = (float(params[k][0]) for k in ("start", "end", "step"))
        times = np.arange(start, end + step / 2, step)
        values = [[t, "0.25"] for t in times]
        body = {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {"metric": {"service": "checkout", "resource": "cpu"}, "values": values}
                ],
            },
            "warnings": ["partial response: store eu-west-2 did not answer"],
        }
    else:
        body = {"status": "success", "data": {"resultType": "vector", "result": []}}
    return httpx.Response(200, content=json.dumps(body).encode())


def _canned_control_plane(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[])  # no SLOs, no past changes


@pytest.fixture
def canned_page(qtbot: QtBot, runner: TaskRunner) -> Iterator[OverviewPage]:
    session = Session()
    page = OverviewPage(runner, light_theme(), session)
    qtbot.addWidget(page)
    page.resize(1112, 740)
    page.show()
    context = Context("canned", "http://cp.test", "http://prom.test")
    policy = HttpPolicy(deadline_seconds=5, max_attempts=1)
    prometheus = PrometheusSource(
        "http://prom.test", transport=httpx.MockTransport(_canned_prometheus), policy=policy
    )
    cluster = ClusterClient(
        context,
        transport=httpx.MockTransport(_canned_control_plane),
        policy=policy,
        on_session_change=session.tokens_changed_from_worker,
    )
    session.attach(Connection(context, cluster, prometheus, None, "alice", ("viewer",)))
    with qtbot.waitSignal(page.first_data_ready, timeout=10_000):
        page.activate(FIFTEEN_MINUTES)
    yield page
    page.deactivate()
    runner.wait_idle(10)
    session.detach()


def test_prometheus_warnings_show_as_a_warning_icon_with_their_text(
    canned_page: OverviewPage,
) -> None:
    page = canned_page
    assert page.selected_services() == ["checkout"]
    for chart in page.charts.charts.values():
        assert chart.warning.isVisible(), chart.objectName()
        assert "store eu-west-2 did not answer" in chart.warning.toolTip()
