"""A chart's refresh reuses its plot items (pyqtgraph leaks destroyed ones under PySide6)
and draws with the cheap settings: downsampled by peaks and clipped to the view, as set on
the PlotItem, one pixel wide, without antialiasing."""

from __future__ import annotations

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from desktop.test_overview_charts import charts, line

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_refreshes_reuse_the_plot_items_and_keep_the_cheap_settings(qtbot: QtBot) -> None:
    _group, (chart,) = charts(qtbot)
    items_before = set(map(id, chart.plot.listDataItems()))
    seen: set[int] = set()
    rng = np.random.default_rng(5)
    for refresh in range(60):
        count = 1 + refresh % 3  # series come and go: p50 alone, then p50 to p99
        chart.set_lines([line(f"p{n}", rng.random(120) * 100, n) for n in range(count)])
        seen |= set(map(id, chart.plot.listDataItems()))
    # Three lines at most were ever shown: three items, made once, plus the chart's own.
    assert len(seen - items_before) == 3
    assert len(chart.plot.listDataItems()) == len(items_before) + 3
    for item in chart._items:
        assert item.opts["autoDownsample"] is True
        assert item.opts["downsampleMethod"] == "peak"
        assert item.opts["clipToView"] is True
        assert item.opts["antialias"] is False
        assert item.opts["pen"].width() <= 1
