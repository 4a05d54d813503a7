"""A chaos launch whose answer is lost is retried with the same Idempotency-Key: one run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.chaos import ChaosPage
from desktop.ops_helpers import NO_POLLING, Dialogs, DropsTheFirstAnswer, shown_page
from desktop.sim_cluster import answer_step_up, fill_latency, open_launch, simulated_cluster
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with simulated_cluster(tmp_path_factory.mktemp("chaos-retry")) as cluster:
        yield cluster


def test_a_launch_whose_answer_was_lost_is_retried_with_the_same_key_and_runs_once(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    lossy = DropsTheFirstAnswer("/chaos/runs")
    no_retries = HttpPolicy(max_attempts=1)  # so that the dialog's own Retry is what repeats
    with shown_page(
        qtbot,
        ChaosPage,
        runner,
        sim,
        "chaos",
        view=NO_POLLING,
        transport=lossy,
        policy=no_retries,
    ) as (page, user):
        dialog = open_launch(qtbot, page)
        fill_latency(dialog, "gateway", 90)
        dialogs = Dialogs(dialog.action_runner)
        with qtbot.waitSignal(dialog.action_runner.failed, timeout=10_000):
            dialog.launch_button.click()
            answer_step_up(qtbot, sim, user, dialogs)
        status = dialog.action_runner.status
        assert status.text().startswith("Could not launch latency on gateway for 1 min 30 s: ")
        assert status.retry_button.isVisible()
        assert dialog.isVisible()  # the form is kept for another try

        with qtbot.waitSignal(dialog.launched, timeout=10_000) as launched:
            status.retry_button.click()
        assert len(lossy.keys) == 2
        assert lossy.keys[0] == lossy.keys[1]
        run_id = launched.args[0].id
        reader = sim.user("viewer")
        on_gateway = [r for r in reader.get("/chaos/runs").json() if r["target"] == "gateway"]
        assert [str(r["id"]) for r in on_gateway] == [run_id]
        audit = reader.get("/audit", params={"resource": f"chaos/runs/{run_id}"}).json()
        assert [row["action"] for row in audit] == ["chaos.launch"]
        qtbot.waitUntil(lambda: page.model.find(run_id) is not None, timeout=10_000)
