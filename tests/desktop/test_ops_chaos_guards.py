"""The Chaos page against a control plane whose guards ask a real Prometheus (the one the
control plane's own guard tests use): a running run's guard now against the threshold that would
abort it, and a run its guard auto-aborted, with the server's reason and the value it saw."""

from __future__ import annotations

import time

import prometheus_helpers as stand_ins
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.chaos import ChaosPage
from desktop.ops_helpers import shown_page
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

# A Prometheus evaluating stand-ins for Sloth's rules, and a control plane watching it.
prometheus = stand_ins.prometheus
watched = stand_ins.watched


def cell(page: ChaosPage, run_id: str, title: str) -> str:
    row = page.model.row_of(run_id)
    assert row is not None, f"run {run_id} is not in the table"
    titles = [
        page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())
    ]
    return str(page.model.index(row, titles.index(title)).data())


def test_the_guard_reads_live_against_its_threshold_and_an_auto_abort_says_why(
    qtbot: QtBot, watched: Cluster, prometheus: str, runner: TaskRunner
) -> None:
    other = watched.user("chaos")
    watched.step_up(other)
    calm = stand_ins.launch(other, "search", {"expr": "vector(2)", "threshold": 5})
    assert calm.status_code == 201, calm.text
    calm_id = str(calm.json()["id"])
    try:
        with shown_page(qtbot, ChaosPage, runner, watched, "viewer", prometheus_url=prometheus) as (
            page,
            _,
        ):
            qtbot.waitUntil(lambda: page.model.find(calm_id) is not None, timeout=10_000)
            assert cell(page, calm_id, "Guard") == "PromQL > 5"
            assert cell(page, calm_id, "Guard now") == "query 2 (aborts > 5)"
            page.select(calm_id)
            assert "Guard now: query 2 (aborts > 5)." in page.detail.text()

            breach_at = time.time() + 3  # Prometheus' time() passes it in 3 s
            doomed = stand_ins.launch(other, "search", {"expr": "time()", "threshold": breach_at})
            assert doomed.status_code == 201, doomed.text
            doomed_id = str(doomed.json()["id"])
            # The control plane aborts it; the page hears of it from the event feed.
            qtbot.waitUntil(
                lambda: (
                    (run := page.model.find(doomed_id)) is not None and run.state == "auto_aborted"
                ),
                timeout=20_000,
            )
            assert cell(page, doomed_id, "State") == "● Auto-aborted"
            outcome = cell(page, doomed_id, "Outcome")
            assert outcome.startswith("the guard breached: the guard expression is "), outcome
            assert "(saw 1" in outcome  # the value of time() the guard saw
            assert cell(page, doomed_id, "Guard now") == "—"  # no reading for an ended run
            page.select(doomed_id)
            assert "It ended: the guard breached" in page.detail.text()
            assert cell(page, calm_id, "State") == "● Running"  # the other run goes on
    finally:
        other.post(f"/chaos/runs/{calm_id}/abort", json={"reason": "test over"})
