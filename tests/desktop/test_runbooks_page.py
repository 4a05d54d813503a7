"""The Runbooks page against a real control plane: the run dialog's schema form, dry runs,
a live execution (steps, a growing log, confirm, cancel) and role gating."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.core.runbooks import RunbookExecution
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.runbook_run import RunbookRunDialog
from aioke_desktop.ui.pages.runbooks import RunbooksPage
from desktop.ops_helpers import NO_POLLING, shown_page
from desktop.sim_cluster import simulated_cluster, wait_for_runbook_threads
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with simulated_cluster(tmp_path_factory.mktemp("runbooks")) as cluster:
        yield cluster


def instances(cluster: Cluster, service: str) -> int:
    reader = cluster.user("viewer")
    found = {s["name"]: s for s in reader.get("/services").json()}
    return len(found[service]["instances"])


def open_run(qtbot: QtBot, page: RunbooksPage, runbook_id: str) -> RunbookRunDialog:
    page.select_runbook(runbook_id)
    assert page.run_button.isEnabled(), page.run_button.toolTip()
    page.run_button.click()
    dialog = page.dialog
    assert isinstance(dialog, RunbookRunDialog)
    return dialog


def test_a_run_shows_its_steps_live_its_log_growing_and_waits_for_confirmation(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner, qtmodeltester: ModelTester
) -> None:
    with shown_page(qtbot, RunbooksPage, runner, sim, "operator", view=NO_POLLING) as (page, _):
        qtmodeltester.check(page.runbooks)
        dialog = open_run(qtbot, page, "staged-scale")
        dialog.form.set_value("service", "search")
        dialog.form.set_value("instances", 5)
        log_sizes: list[int] = []
        dialog.view.updated.connect(lambda _: log_sizes.append(dialog.view.log.blockCount()))
        with qtbot.waitSignal(dialog.started, timeout=10_000):
            dialog.run_button.click()
        view = dialog.view
        qtbot.waitUntil(lambda: view.confirm_button.isVisible(), timeout=15_000)
        assert "Does the service look healthy after the first stage?" in view.prompt.text()
        assert instances(sim, "search") == 5
        states = [s.state for s in view.steps.items()]
        assert states == ["succeeded", "succeeded", "waiting_for_confirmation", "pending"]
        qtmodeltester.check(view.steps)

        assert view.confirm_button.isEnabled(), view.confirm_button.toolTip()
        with qtbot.waitSignal(view.finished, timeout=15_000) as finished:
            view.confirm_button.click()
        done = finished.args[0]
        assert isinstance(done, RunbookExecution)
        assert done.state == "succeeded"
        assert [s.state for s in view.steps.items()] == ["succeeded"] * 4
        assert instances(sim, "search") == 3
        # Read in pieces as it ran, each line once.
        text = view.log.toPlainText()
        assert len({size for size in log_sizes if size > 1}) >= 2, log_sizes
        assert text.count("step 1/4") == 1
        assert text.rstrip().endswith("succeeded")
        assert not view.cancel_button.isEnabled()
        dialog.close_button.click()

        qtbot.waitUntil(lambda: page.executions.find(done.id) is not None, timeout=10_000)
        qtmodeltester.check(page.executions)
        qtmodeltester.check(page.executions_table.model())  # the sorting proxies too
        qtmodeltester.check(page.runbooks_table.model())
    wait_for_runbook_threads(qtbot)


def test_a_dry_run_changes_nothing_and_a_high_risk_runbook_needs_one_first(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, RunbooksPage, runner, sim, "operator", view=NO_POLLING) as (page, _):
        dialog = open_run(qtbot, page, "failover-payments")
        assert not dialog.run_button.isEnabled()
        assert dialog.problem.text() == "High risk: do a dry run with these parameters first."
        breaker = sim.user("viewer").get("/breakers/checkout->payments").json()["state"]
        with qtbot.waitSignal(dialog.started, timeout=10_000) as started:
            dialog.dry_run_button.click()  # no step-up: it changes nothing
        rehearsal = started.args[0]
        assert rehearsal.dry_run
        qtbot.waitUntil(lambda: dialog.view.steps.rowCount() == 7, timeout=10_000)
        outcome = dialog.view.steps.index(1, 4).data()
        assert outcome.startswith("would "), outcome
        assert sim.user("viewer").get("/breakers/checkout->payments").json()["state"] == breaker
        assert dialog.run_button.isEnabled(), dialog.problem_text(dry_run=False)
        dialog.form.set_value("instances", 6)  # other parameters: rehearse those too
        assert not dialog.run_button.isEnabled()
        dialog.close_button.click()

        before = instances(sim, "auth")
        dialog = open_run(qtbot, page, "scale-service")
        dialog.form.set_value("service", "auth")
        dialog.form.set_value("instances", before + 2)
        with qtbot.waitSignal(dialog.started, timeout=10_000):
            dialog.dry_run_button.click()
        qtbot.waitUntil(lambda: "Succeeded (dry run)" in dialog.view.state.text(), timeout=10_000)
        assert instances(sim, "auth") == before
        dialog.close_button.click()


def test_parameters_are_checked_field_by_field_before_anything_is_sent(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, RunbooksPage, runner, sim, "operator", view=NO_POLLING) as (page, _):
        dialog = open_run(qtbot, page, "scale-service")
        form = dialog.form
        assert form.errors() == {"service": "is required", "instances": "is required"}
        assert not dialog.run_button.isEnabled()
        form.set_value("service", "checkout")
        form.set_value("instances", "twenty")
        assert form.error_labels["instances"].text() == "Instances must be a whole number."
        form.set_value("instances", 25)
        assert form.error_labels["instances"].text() == "Instances must be at most 20."
        assert form.error_labels["instances"].isVisibleTo(dialog)
        assert not form.error_labels["service"].isVisibleTo(dialog)
        with qtbot.assertNotEmitted(dialog.action_runner.started, wait=200):
            dialog.start(dry_run=False)
            dialog.start(dry_run=True)
        form.set_value("instances", 4)
        assert form.errors() == {}
        assert dialog.run_button.isEnabled(), dialog.problem_text(dry_run=False)
        dialog.close_button.click()

        flag = open_run(qtbot, page, "disable-flag")
        flag.form.set_value("flag", "Not A Key!")
        assert flag.form.errors()["flag"].startswith("does not have the expected form")
        flag.close_button.click()


def test_cancel_stops_an_execution_waiting_for_a_person(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, RunbooksPage, runner, sim, "operator", view=NO_POLLING) as (page, _):
        dialog = open_run(qtbot, page, "staged-scale")
        dialog.form.set_value("service", "auth")
        with qtbot.waitSignal(dialog.started, timeout=10_000):
            dialog.run_button.click()
        view = dialog.view
        qtbot.waitUntil(lambda: view.confirm_button.isVisible(), timeout=15_000)
        with qtbot.waitSignal(view.finished, timeout=15_000) as finished:
            view.cancel_button.click()
        assert finished.args[0].state == "cancelled"
        assert "Cancelled" in view.state.text()
        dialog.close_button.click()
    wait_for_runbook_threads(qtbot)


def test_a_viewer_and_a_read_only_session_cannot_run_anything(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, RunbooksPage, runner, sim, "viewer") as (page, _):
        page.select_runbook("scale-service")
        assert not page.run_button.isEnabled()
        assert page.run_button.toolTip() == "This needs the operator role; you are viewer."
        assert page.open_run() is None
        assert not page.view.cancel_button.isEnabled()
    with shown_page(qtbot, RunbooksPage, runner, sim, "operator") as (page, _):
        page.select_runbook("scale-service")
        assert page.run_button.isEnabled()
        page.session.set_read_only(True)
        assert not page.run_button.isEnabled()
        assert "read-only" in page.run_button.toolTip()
