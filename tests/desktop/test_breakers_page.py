"""The Breakers page against a real control plane whose simulated traffic moves the breakers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.action_prompts import StaleEditDialog
from aioke_desktop.ui.dialogs.breaker_transition import BreakerTransitionDialog
from aioke_desktop.ui.dialogs.compare import CompareDialog
from aioke_desktop.ui.models.breakers_table import FORCED_COLUMN, STATE_COLUMN
from aioke_desktop.ui.pages.breakers import BreakersPage
from desktop.ops_helpers import NO_POLLING, Dialogs, shown_page
from desktop.sim_cluster import answer_step_up, simulated_cluster
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

EDGES = {
    "gateway->auth",
    "gateway->checkout",
    "gateway->search",
    "checkout->payments",
    "checkout->inventory",
    "checkout->auth",
    "search->recommendations",
    "search->inventory",
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with simulated_cluster(tmp_path_factory.mktemp("breakers")) as cluster:
        yield cluster


def cell(page: BreakersPage, name: str, column: int) -> str:
    row = page.model.row_of(name)
    assert row is not None, f"{name} is not in the table"
    return str(page.model.index(row, column).data())


def open_dialog(
    qtbot: QtBot, page: BreakersPage, name: str, command: str
) -> BreakerTransitionDialog:
    page.select(name)
    button = page.buttons[command]
    assert button.isEnabled(), button.toolTip()
    button.click()
    dialog = page.dialog
    assert isinstance(dialog, BreakerTransitionDialog)
    qtbot.waitUntil(lambda: dialog.loaded is not None, timeout=10_000)
    return dialog


def test_the_table_shows_every_edge_with_its_rates_and_thresholds(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner, qtmodeltester: ModelTester
) -> None:
    with shown_page(qtbot, BreakersPage, runner, sim, "viewer") as (page, _):
        assert {b.name for b in page.model.items()} == EDGES
        assert cell(page, "gateway->checkout", 0) == "gateway → checkout"
        assert cell(page, "gateway->checkout", 5).startswith("fail ≥ 50 %")
        # The simulated traffic fills each breaker's window.
        qtbot.waitUntil(
            lambda: all(b.calls_in_window > 0 for b in page.model.items()), timeout=15_000
        )
        qtmodeltester.check(page.model)
        qtmodeltester.check(page.proxy)
        page.filter.setText("payments")
        assert page.proxy.rowCount() == 1


def test_a_forced_open_with_a_ttl_appears_counts_down_and_reverts_live(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    name = "checkout->payments"
    with shown_page(qtbot, BreakersPage, runner, sim, "operator", view=NO_POLLING) as (page, user):
        dialog = open_dialog(qtbot, page, name, "FORCE_OPEN")
        dialogs = Dialogs(dialog.action_runner)
        assert not dialog.apply_button.isEnabled()  # no TTL, no reason yet
        dialog.ttl.setValue(2)  # minutes
        assert not dialog.apply_button.isEnabled(), dialog.problem_text()
        dialog.reason.setText("payments is failing over")
        assert dialog.apply_button.isEnabled(), dialog.problem_text()
        assert "2 min" in dialog.preview_text()
        dialog.apply_button.click()
        with qtbot.waitSignal(dialog.transitioned, timeout=10_000):
            answer_step_up(qtbot, sim, user, dialogs)

        qtbot.waitUntil(lambda: "Forced open" in cell(page, name, STATE_COLUMN), timeout=10_000)
        first = cell(page, name, FORCED_COLUMN)
        assert first.endswith("left"), first
        qtbot.waitUntil(lambda: cell(page, name, FORCED_COLUMN) != first, timeout=5_000)
        qtbot.waitUntil(lambda: any(s.projected for s in page.timeline.segments()), timeout=5000)

        sim.clock.advance(121)  # the TTL ends on the server; nobody touches the page
        qtbot.waitUntil(lambda: "Forced" not in cell(page, name, STATE_COLUMN), timeout=15_000)
        assert cell(page, name, FORCED_COLUMN) == "—"
        # The revert is on the timeline too, done by the cluster itself at the TTL.
        qtbot.waitUntil(lambda: "Forced open → " in page.transitions.text(), timeout=10_000)
        assert not any(s.projected for s in page.timeline.segments())


def test_a_change_against_a_stale_view_is_refused_and_offers_reload(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    name = "search->recommendations"
    with shown_page(qtbot, BreakersPage, runner, sim, "operator", view=NO_POLLING) as (page, _):
        dialog = open_dialog(qtbot, page, name, "CLOSE")
        dialogs = Dialogs(dialog.action_runner)
        other = sim.user("operator")
        sim.step_up(other)
        etag = other.get(f"/breakers/{name}").headers["etag"]
        forced = other.post(
            f"/breakers/{name}/transition",
            json={"to": "DISABLE", "ttl_seconds": 60, "reason": "load test"},
            headers={"If-Match": etag, "Idempotency-Key": f"disable-{etag}"},
        )
        assert forced.status_code == 200, forced.text

        dialog.reason.setText("back to normal")
        dialog.apply_button.click()
        stale = dialogs.wait_for(qtbot, StaleEditDialog)
        assert f"breaker/{name} was changed by {other.user.name}" in stale.sentence.text()
        assert other.get(f"/breakers/{name}").json()["state"] == "DISABLED"  # not overwritten
        stale.compare_button.click()
        compare = dialogs.wait_for(qtbot, CompareDialog)
        changed = {c.path: (c.before, c.after) for c in compare.changes}
        # What the other operator did, field by field, against what this dialog loaded.
        assert "DISABLED" in changed["state"][1], changed
        assert "load test" in changed["last_transition.reason"][1], changed
        compare.reject()
        stale.reload_button.click()
        qtbot.waitUntil(lambda: "Disabled" in dialog.current.text(), timeout=10_000)
        dialog.reject()
        reset = other.post(
            f"/breakers/{name}/transition",
            json={"to": "RESET"},
            headers={"If-Match": "*", "Idempotency-Key": f"reset-{etag}"},
        )
        assert reset.status_code == 200, reset.text


def test_a_viewer_and_a_read_only_session_get_no_enabled_change_control(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    with shown_page(qtbot, BreakersPage, runner, sim, "viewer") as (page, _):
        page.select("gateway->auth")
        for button in page.buttons.values():
            assert not button.isEnabled()
            assert button.toolTip() == "This needs the operator role; you are viewer."
        assert page.open_transition("FORCE_OPEN") is None
    with shown_page(qtbot, BreakersPage, runner, sim, "operator") as (page, _):
        assert not page.buttons["RESET"].isEnabled()
        assert page.buttons["RESET"].toolTip() == "Select a breaker first."
        page.select("gateway->auth")
        assert all(button.isEnabled() for button in page.buttons.values())
        page.session.set_read_only(True)
        for button in page.buttons.values():
            assert not button.isEnabled()
            assert "read-only" in button.toolTip()


def test_disable_needs_a_ttl_a_reason_and_a_code_and_reset_undoes_it_early(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    name = "search->inventory"
    with shown_page(qtbot, BreakersPage, runner, sim, "operator", view=NO_POLLING) as (page, user):
        dialog = open_dialog(qtbot, page, name, "DISABLE")
        dialogs = Dialogs(dialog.action_runner)
        assert dialog.problem_text() == "Choose how long: a forced state must end by itself."
        dialog.ttl.setValue(25)
        dialog.ttl_unit.setCurrentIndex(dialog.ttl_unit.findData(3600))
        assert dialog.problem_text() == "A forced state lasts at most 24 hours."
        dialog.ttl.setValue(30)
        dialog.ttl_unit.setCurrentIndex(dialog.ttl_unit.findData(60))
        assert dialog.problem_text() == (
            "Give a reason: whoever sees the forced breaker will ask why."
        )
        dialog.reason.setText("inventory is being migrated")
        assert dialog.preview_text().startswith("Disable search → inventory for 30 min;")
        dialog.apply_button.click()
        with qtbot.waitSignal(dialog.transitioned, timeout=10_000):
            answer_step_up(qtbot, sim, user, dialogs)
        qtbot.waitUntil(lambda: "Disabled" in cell(page, name, STATE_COLUMN), timeout=10_000)
        assert cell(page, name, FORCED_COLUMN).startswith(("29 min", "30 min"))

        reset = open_dialog(qtbot, page, name, "RESET")
        assert not reset.ttl.isEnabled()  # a reset ends the forced state now
        with qtbot.waitSignal(reset.transitioned, timeout=10_000):
            reset.apply_button.click()  # within the step-up just given: no second code
        qtbot.waitUntil(lambda: "Disabled" not in cell(page, name, STATE_COLUMN), timeout=10_000)
        assert cell(page, name, FORCED_COLUMN) == "—"
        assert sim.user("viewer").get(f"/breakers/{name}").json()["forced_until"] is None
