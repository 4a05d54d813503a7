"""The Chaos page against a real control plane: launch after a step-up, the countdown, abort,
a halt's banner and resume (HALT ALL itself is the window's: test_ops_pages), refusals in the
server's words, dry runs, role gating."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QAbstractButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_cluster.chaos import ChaosEngine
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.action_prompts import ConfirmChangeDialog
from aioke_desktop.ui.dialogs.chaos_controls import SafetyDialog
from aioke_desktop.ui.dialogs.chaos_launch import ChaosLaunchDialog
from aioke_desktop.ui.models.chaos_table import ENDS_IN_COLUMN
from aioke_desktop.ui.pages.chaos import ChaosPage
from desktop.ops_helpers import NO_POLLING, Dialogs, shown_page
from desktop.sim_cluster import (
    answer_step_up,
    fill_latency,
    launch_behind_the_page,
    open_launch,
    simulated_cluster,
)
from harness import Cluster, TestUser

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with simulated_cluster(tmp_path_factory.mktemp("chaos")) as cluster:
        yield cluster


def active_run_ids(cluster: Cluster) -> set[str]:
    engine: ChaosEngine = cluster.app.state.services.chaos
    return {str(f.run_id) for f in engine.active_faults(cluster.clock.now())}


def launch(qtbot: QtBot, sim: Cluster, user: TestUser, dialog: ChaosLaunchDialog) -> str:
    dialogs = Dialogs(dialog.action_runner)
    assert dialog.launch_button.isEnabled(), dialog.problem_text()
    with qtbot.waitSignal(dialog.launched, timeout=10_000) as launched:
        dialog.launch_button.click()
        answer_step_up(qtbot, sim, user, dialogs)
    return str(launched.args[0].id)


def test_a_launch_after_a_step_up_counts_down_and_abort_ends_it(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner, qtmodeltester: ModelTester
) -> None:
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos", view=NO_POLLING) as (page, user):
        dialog = open_launch(qtbot, page)
        fill_latency(dialog, "inventory", 120)
        assert "Inject +120 ms latency into 10 % of inventory's traffic for 2 min" in (
            dialog.preview.text()
        )
        run_id = launch(qtbot, sim, user, dialog)
        assert run_id in active_run_ids(sim)

        qtbot.waitUntil(lambda: page.model.find(run_id) is not None, timeout=10_000)
        row = page.model.row_of(run_id)
        assert row is not None
        first = page.model.index(row, ENDS_IN_COLUMN).data()
        assert first.startswith(("1 min", "2 min")), first
        qtbot.waitUntil(
            lambda: page.model.index(row, ENDS_IN_COLUMN).data() != first, timeout=5_000
        )
        qtmodeltester.check(page.model)
        qtmodeltester.check(page.proxy)

        page.select(run_id)
        assert page.abort_button.isEnabled(), page.abort_button.toolTip()
        page.abort_button.click()
        qtbot.waitUntil(lambda: (r := page.model.find(run_id)) is not None and not r.active)
        run = page.model.find(run_id)
        assert run is not None
        assert run.state == "aborted"
        assert run_id not in active_run_ids(sim)
        assert not page.abort_button.isEnabled()


def test_a_halt_shows_who_and_why_blocks_launches_and_resume_asks_first(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    other = sim.user("chaos")
    sim.step_up(other)
    runs = {launch_behind_the_page(other, "search"), launch_behind_the_page(other, "auth")}
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos", view=NO_POLLING) as (page, _):
        qtbot.waitUntil(lambda: all(page.model.find(r) for r in runs), timeout=10_000)
        # Halting is the window's (on every page): this page has no second HALT button.
        assert "HALT ALL CHAOS" not in {b.text() for b in page.findChildren(QAbstractButton)}
        halted = other.post("/chaos/halt", json={"reason": "checkout is paging"})
        assert halted.status_code == 200, halted.text

        # The event feed brings the halt: the banner says by whom and why.
        qtbot.waitUntil(lambda: page.halt_banner.isVisible(), timeout=10_000)
        assert f"halted by {other.user.name}" in page.halt_text.text()
        assert "checkout is paging" in page.halt_text.text()
        qtbot.waitUntil(lambda: all(not page.model.find(r).active for r in runs), timeout=10_000)
        assert not active_run_ids(sim) & runs
        assert not page.launch_button.isEnabled()
        assert "resume it before launching" in page.launch_button.toolTip()
        refused = other.post(
            "/chaos/runs",
            json={"fault": "cpu", "target": "auth", "params": {"saturation": 0.5},
                  "duration_seconds": 60},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        assert refused.status_code == 409

        dialogs = Dialogs(page.chaos_actions.runner)
        assert page.resume_button.isVisible()
        page.resume_button.click()
        confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
        assert "can be launched again" in confirm.question.text()
        confirm.reject()  # declined: still halted
        assert sim.user("viewer").get("/chaos/halt").json()["halted"] is not None
        page.resume_button.click()
        dialogs.wait_for(qtbot, ConfirmChangeDialog).accept()
        qtbot.waitUntil(lambda: not page.halt_banner.isVisible(), timeout=10_000)
        assert page.launch_button.isEnabled(), page.launch_button.toolTip()


def test_a_refused_launch_shows_the_servers_reason_and_the_dialog_stays(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    reader = sim.user("viewer")
    before = len(reader.get("/chaos/runs").json())
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos", view=NO_POLLING) as (page, user):
        dialog = open_launch(qtbot, page)
        fill_latency(dialog, "payments", 60)
        dialog.guard_box.setChecked(True)
        dialog.guard_box.slo.setCurrentIndex(1)  # this control plane has no Prometheus to watch it
        dialogs = Dialogs(dialog.action_runner)
        with qtbot.waitSignal(dialog.action_runner.failed, timeout=10_000) as failed:
            dialog.launch_button.click()
            answer_step_up(qtbot, sim, user, dialogs)
        assert failed.args[0] == (
            "This run names a guard, but no Prometheus is configured, so the guard cannot be "
            "evaluated."
        )
        assert failed.args[0] in dialog.action_runner.status.text()
        assert dialog.isVisible()
        assert len(reader.get("/chaos/runs").json()) == before


def test_a_dry_run_is_recorded_and_injects_nothing(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos", view=NO_POLLING) as (page, _):
        active = active_run_ids(sim)
        dialog = open_launch(qtbot, page)
        fill_latency(dialog, "recommendations", 60)
        dialog.dry_run.setChecked(True)
        assert not dialog.confirm.isVisible()
        assert dialog.preview.text().startswith("Rehearse (nothing changes)")
        with qtbot.waitSignal(dialog.launched, timeout=10_000) as launched:
            dialog.launch_button.click()  # no step-up: a rehearsal changes nothing
        run_id = str(launched.args[0].id)
        qtbot.waitUntil(lambda: page.model.find(run_id) is not None, timeout=10_000)
        row = page.model.row_of(run_id)
        assert row is not None
        assert page.model.index(row, 0).data() == "● Dry run"
        assert active_run_ids(sim) == active


def test_parameters_that_break_the_faults_schema_are_shown_before_anything_is_sent(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos", view=NO_POLLING) as (page, _):
        dialog = open_launch(qtbot, page)
        dialog.fault.setCurrentIndex(dialog.fault.findData("error"))
        dialog.target.setCurrentText("search")
        params = dialog.params
        assert params is not None
        assert params.errors() == {"rate_percent": "is required"}
        params.set_value("rate_percent", "150")
        assert params.error_labels["rate_percent"].text() == "Rate percent must be at most 100."
        params.set_value("status", "abc")
        assert params.errors()["status"] == "must be a whole number"
        assert not dialog.launch_button.isEnabled()
        with qtbot.assertNotEmitted(dialog.action_runner.started, wait=200):
            dialog.launch()
        params.set_value("status", 500)
        params.set_value("rate_percent", 30)
        assert dialog.problem_text() == "Choose a duration: every run ends by itself."
        dialog.duration.setValue(10 * 3600)  # the safety settings cap it
        assert dialog.duration.value() == dialog.duration.maximum() <= 1800
        dialog.duration.setValue(60)
        assert dialog.problem_text() == "Type search to confirm the target."
        dialog.confirm.setText("searc")
        assert not dialog.launch_button.isEnabled()
        dialog.confirm.setText("search")
        assert dialog.launch_button.isEnabled(), dialog.problem_text()
        dialog.reject()


def test_roles_and_read_only_decide_which_levers_are_enabled(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, ChaosPage, runner, sim, "viewer") as (page, _):
        assert not page.launch_button.isEnabled()
        assert page.launch_button.toolTip() == "This needs the chaos role; you are viewer."
        assert page.chaos_actions.open_launch() is None
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos") as (page, _):
        assert page.launch_button.isEnabled()
        assert not page.safety_button.isEnabled()
        assert page.safety_button.toolTip() == "This needs the admin role; you are chaos."
        page.session.set_read_only(True)
        assert not page.launch_button.isEnabled()
        assert "read-only" in page.launch_button.toolTip()
    with shown_page(qtbot, ChaosPage, runner, sim, "admin", view=NO_POLLING) as (page, _):
        assert page.safety_button.isEnabled(), page.safety_button.toolTip()
        for percent in (50, 100):  # and back, for the other tests
            page.safety_button.click()
            safety = page.chaos_actions.dialog
            assert isinstance(safety, SafetyDialog)
            safety.max_blast.setValue(percent)
            safety.save_button.click()
            qtbot.waitUntil(
                lambda p=percent: f"blast radius up to {p} %" in page.safety_text.text(),
                timeout=10_000,
            )


def test_a_production_context_asks_before_aborting(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    other = sim.user("chaos")
    sim.step_up(other)
    run_id = launch_behind_the_page(other, "checkout")
    with shown_page(qtbot, ChaosPage, runner, sim, "chaos", production=True) as (page, _):
        qtbot.waitUntil(lambda: page.model.find(run_id) is not None, timeout=10_000)
        dialogs = Dialogs(page.chaos_actions.runner)
        page.select(run_id)
        with qtbot.assertNotEmitted(page.chaos_actions.runner.started, wait=100):
            page.abort_button.click()
            confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
            assert "“live” is a production context" in confirm.question.text()
            confirm.reject()
        assert run_id in active_run_ids(sim)
        page.abort_button.click()
        dialogs.wait_for(qtbot, ConfirmChangeDialog).accept()
        qtbot.waitUntil(lambda: run_id not in active_run_ids(sim), timeout=10_000)
