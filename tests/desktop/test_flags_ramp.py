"""The Flags page's rollout ramp against the real control plane: started from the "Ramp…"
dialog, followed through the event feed as it advances and steps back, stopped, and
out of a viewer's reach.

The control plane here has no Prometheus, so its ramp engine is handed each burn rate
(``FlagRamps.decide``); reading the real burn rate is proven in
tests/cluster/test_flags_ramp_live.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.action_prompts import ConfirmChangeDialog
from aioke_desktop.ui.dialogs.flag_ramp import FlagRampDialog
from aioke_desktop.ui.pages.flags import FlagsPage
from desktop.ops_helpers import NO_POLLING, Dialogs, shown_page
from harness import Cluster, UserClient

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

RAMP_COLUMN = 9


def create_flag(client: UserClient) -> str:
    key = f"ramp-{uuid.uuid4().hex[:6]}"
    reply = client.post(
        "/flags", json={"key": key, "owner": "sre"}, headers={"Idempotency-Key": key}
    )
    assert reply.status_code == 201, reply.text
    return key


def cell(page: FlagsPage, key: str, column: int) -> Any:
    row = page.model.row_of(key)
    assert row is not None, f"{key} is not in the table"
    return page.model.index(row, column).data()


def decisions(page: FlagsPage) -> list[str]:
    model = page.ramp_view.model
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def test_a_ramp_started_from_the_page_advances_steps_back_and_stops_live(
    qtbot: QtBot, fresh_cluster: Cluster, runner: TaskRunner
) -> None:
    operator = fresh_cluster.user("operator")
    key = create_flag(operator)
    engine = fresh_cluster.app.state.ramps
    with shown_page(qtbot, FlagsPage, runner, fresh_cluster, "operator", view=NO_POLLING) as (
        page,
        me,
    ):
        dialogs = Dialogs(page.flag_actions.actions)
        page.select(key)
        assert not page.stop_ramp_button.isEnabled()
        assert page.stop_ramp_button.toolTip() == "This flag has no running ramp."
        page.session.set_read_only(True)
        assert not page.ramp_button.isEnabled()
        assert "read-only session" in page.ramp_button.toolTip()
        page.session.set_read_only(False)
        page.ramp_button.click()
        dialog = dialogs.wait_for(qtbot, FlagRampDialog)
        dialog.service.setCurrentText("checkout")
        dialog.steps.setText("50, 10")
        assert dialog.problem.text() == "Steps must increase, e.g. 5, 25, 50, 100."
        assert not dialog.start_button.isEnabled()
        dialog.steps.setText("10, 50, 100")
        dialog.interval.setValue(60)
        assert dialog.preview.text() == (
            f"Roll {key} out 10 → 50 → 100 % every 1 min while checkout's 1 h burn rate "
            "stays ≤ 1×; step back otherwise."
        )
        with qtbot.waitSignal(dialog.finished, timeout=10_000):
            dialog.start_button.click()

        on_server = operator.get(f"/flags/{key}/ramp").json()
        assert (on_server["state"], on_server["started_by"]) == ("running", me.name)
        qtbot.waitUntil(lambda: cell(page, key, 3) == "10 %", timeout=10_000)
        assert cell(page, key, RAMP_COLUMN).startswith("ramping 10 % → 50 % in ")
        qtbot.waitUntil(lambda: decisions(page) == ["started"], timeout=10_000)
        assert not page.ramp_button.isEnabled()
        # Each second the page counts down to the next decision, in the table and below it.
        state = page.ramp_view.state
        qtbot.waitUntil(lambda: " s. " in state.text(), timeout=5_000)  # "… 50 % in 58 s. …"
        shown = state.text()
        with qtbot.waitSignal(page.model.dataChanged, timeout=5_000) as redrawn:
            qtbot.waitUntil(lambda: state.text() != shown, timeout=5_000)
        assert redrawn.args[0].column() == RAMP_COLUMN

        engine.decide(key, 0.4, None)  # the 1 h burn rate the control plane read
        qtbot.waitUntil(lambda: cell(page, key, 3) == "50 %", timeout=10_000)
        assert cell(page, key, RAMP_COLUMN).startswith("ramping 50 % → 100 %")
        qtbot.waitUntil(lambda: decisions(page) == ["started", "advanced"], timeout=10_000)

        engine.decide(key, 2.5, None)
        qtbot.waitUntil(lambda: cell(page, key, 3) == "10 %", timeout=10_000)
        assert cell(page, key, RAMP_COLUMN) == "stepped back to 10 % (burn 2.5×)"
        qtbot.waitUntil(lambda: len(decisions(page)) == 3, timeout=10_000)
        why = page.ramp_view.model.index(2, 5).data()
        assert why == "checkout's 1 h burn rate is 2.50×, above 1×"

        engine.decide(key, None, "Prometheus cannot be read: refused")
        qtbot.waitUntil(
            lambda: cell(page, key, RAMP_COLUMN) == "held at 10 %: burn rate unknown",
            timeout=10_000,
        )

        assert page.stop_ramp_button.isEnabled(), page.stop_ramp_button.toolTip()
        page.stop_ramp_button.click()
        confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
        confirm.confirm_button.click()
        qtbot.waitUntil(
            lambda: cell(page, key, RAMP_COLUMN) == "ramp stopped at 10 %", timeout=10_000
        )
        assert operator.get(f"/flags/{key}/ramp").json()["state"] == "stopped"
        assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 10
        assert page.ramp_button.isEnabled()
        assert page.ramp_button.toolTip() == (
            "Roll out step by step while a service's burn rate stays low"
        )


def test_a_viewer_sees_the_ramp_but_cannot_start_or_stop_it(
    qtbot: QtBot, qtmodeltester: Any, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = create_flag(operator)
    etag = operator.get(f"/flags/{key}").headers["ETag"]
    started = operator.put(
        f"/flags/{key}/ramp",
        json={"steps": [5, 100], "interval_seconds": 600, "service": "search"},
        headers={"If-Match": etag, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert started.status_code == 201, started.text
    with shown_page(qtbot, FlagsPage, runner, cluster, "viewer") as (page, _me):
        assert cell(page, key, RAMP_COLUMN) == "ramping 5 % → 100 % in 10 min"
        page.select(key)
        for button in (page.ramp_button, page.stop_ramp_button):
            assert not button.isEnabled()
            assert "operator" in button.toolTip()
        qtbot.waitUntil(lambda: decisions(page) == ["started"], timeout=10_000)
        assert "gated on search's 1 h burn rate ≤ 1×" in page.ramp_view.title.text()
        qtmodeltester.check(page.ramp_view.model)
        qtmodeltester.check(page.model)
