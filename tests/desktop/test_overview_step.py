"""The Overview's step as Grafana chooses it: no more points than its charts have pixels,
never below the scrape interval, on a grid of whole steps (no request is sent here)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context
from aioke_desktop.core.golden import MAX_POINTS, choose_step
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import ViewSettings
from aioke_desktop.ui.pages.overview import OverviewPage
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import light_theme

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

DAY = ViewSettings(TimeRange.last("24h"), 0)


def planned_step(page: OverviewPage) -> float:
    assert page.make_fetch(DAY) is not None  # builds the plan; the fetch is not run
    assert page.store.plan is not None
    return page.store.plan.step


def test_wider_charts_get_a_finer_step_and_narrow_ones_a_coarser(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    session = Session()
    page = OverviewPage(runner, light_theme(), session)
    qtbot.addWidget(page)
    context = Context("lab", "http://127.0.0.1:9", "http://127.0.0.1:9")
    connection = Connection.open(context, session)
    session.attach(connection)
    try:
        page.resize(120, 600)  # not laid out yet: at most MAX_POINTS
        assert planned_step(page) == choose_step(86_400, max_points=MAX_POINTS)
        steps = {}
        for width in (1000, 2600):
            page.resize(width, 800)
            page.show()
            qtbot.waitExposed(page)
            pixels = page.chart_pixels()
            assert width / 2 - 100 < pixels < width / 2  # two charts a row, less their axes
            steps[width] = planned_step(page)
            assert 86_400 / steps[width] <= pixels  # at most a point a pixel...
            assert steps[width] >= 5  # ...never below the scrape interval
            start, end = page.store.plan.bounds(1_767_801_601.0)  # type: ignore[union-attr]
            assert start % steps[width] == end % steps[width] == 0  # caches hit
        assert steps[2600] < steps[1000]
    finally:
        session.detach()
        connection.close()
