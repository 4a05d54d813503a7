"""Every operations page at once, in the real app against a real control plane: what a viewer
and a read-only session may touch, and a screenshot of each page taken the way
``--screenshot`` takes it (the app built by ``build``, the picture by ``capture``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QMainWindow, QToolButton
from pytestqt.qtbot import QtBot

from aioke_desktop.app import Options, Shell, build, make_application
from aioke_desktop.runtime.event_feed import EventFeed
from aioke_desktop.runtime.session import Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.screenshot import capture
from aioke_desktop.ui.dialogs.action_prompts import ConfirmChangeDialog
from aioke_desktop.ui.halt_chaos import RESUME_TEXT, HaltAllChaos
from aioke_desktop.ui.pages.audit import AuditPage
from aioke_desktop.ui.pages.base import Page
from aioke_desktop.ui.pages.breakers import BreakersPage
from aioke_desktop.ui.pages.chaos import ChaosPage
from aioke_desktop.ui.pages.runbooks import RunbooksPage
from desktop.ops_helpers import Dialogs, connect, shown_page
from desktop.sim_cluster import (
    answer_step_up,
    launch_behind_the_page,
    simulated_cluster,
    wait_for_runbook_threads,
)
from desktop.ui_helpers import light_theme
from harness import Cluster, UserClient

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

OPS_PAGES: tuple[type[Page], ...] = (BreakersPage, ChaosPage, RunbooksPage, AuditPage)
# Controls that only read: filters, the chain check, exporting what is on screen.
READS_ONLY = {"Verify chain", "Export CSV…", "Retry", "Load more"}
# Each page's levers, by their words: the walk below must find them, or it proves nothing.
LEVERS = {
    "breakers": {"Force open…", "Disable…", "Close…", "Reset…"},
    "chaos": {"Launch…", "Abort run", "Edit safety settings…"},
    "runbooks": {"Run…"},
    "audit": set(),
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with simulated_cluster(tmp_path_factory.mktemp("ops-pages")) as cluster:
        yield cluster


def buttons(page: Page) -> list[QAbstractButton]:
    """The buttons a user can see on the page now (hidden ones cannot be pressed)."""
    return [b for b in page.findChildren(QAbstractButton) if b.isVisibleTo(page) and b.text()]


def select_first_rows(page: Page) -> None:
    """Select a row in each table, so that levers waiting for a selection have one."""
    if isinstance(page, BreakersPage):
        page.select("gateway->auth")
    elif isinstance(page, RunbooksPage):
        page.select_runbook("scale-service")
    elif isinstance(page, ChaosPage) and page.model.rowCount():
        page.table.selectRow(0)


def enabled_changes(page: Page) -> list[str]:
    return [b.text() for b in buttons(page) if b.isEnabled() and b.text() not in READS_ONLY]


@pytest.mark.parametrize("page_type", OPS_PAGES, ids=lambda t: t.key)
def test_a_viewer_and_a_read_only_session_have_no_enabled_change_on_any_ops_page(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner, page_type: type[Page]
) -> None:
    with shown_page(qtbot, page_type, runner, sim, "viewer") as (page, _):
        select_first_rows(page)
        assert enabled_changes(page) == []
        shown = {b.text(): b.toolTip() for b in buttons(page)}
        assert LEVERS[page.key] <= shown.keys()
        for lever in LEVERS[page.key]:
            assert shown[lever], f"{lever} is off without saying why"
    everything = ("operator", "chaos", "admin")
    with shown_page(qtbot, page_type, runner, sim, *everything) as (page, _):
        select_first_rows(page)
        page.session.set_read_only(True)
        assert enabled_changes(page) == []
        for button in buttons(page):
            if button.text() in LEVERS[page.key]:
                assert "read-only" in button.toolTip()
        page.session.set_read_only(False)
        if page.key == "breakers":  # the switch gives the levers back
            assert all(b.isEnabled() for b in buttons(page) if b.text() in LEVERS[page.key])


# Screenshots ------------------------------------------------------------------------------


def distinct_colours(image: QImage, area: QRect) -> int:
    step = 4
    return len(
        {
            image.pixel(x, y)
            for x in range(area.left(), area.right(), step)
            for y in range(area.top(), area.bottom(), step)
        }
    )


def something_on_every_page(cluster: Cluster) -> tuple[UserClient, str, str]:
    """A forced breaker, a running chaos run and a runbook waiting for a person, made by
    someone else; the run's id and the execution's id."""
    other = cluster.user("operator", "chaos")
    cluster.step_up(other)
    name = "checkout->payments"
    etag = other.get(f"/breakers/{name}").headers["etag"]
    forced = other.post(
        f"/breakers/{name}/transition",
        json={"to": "FORCE_OPEN", "ttl_seconds": 600, "reason": "payments is failing over"},
        headers={"If-Match": etag, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert forced.status_code == 200, forced.text
    run = other.post(
        "/chaos/runs",
        json={"fault": "latency", "target": "search", "params": {"latency_ms": 80},
              "duration_seconds": 600},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert run.status_code == 201, run.text
    execution = other.post(
        "/runbooks/staged-scale/executions",
        json={"params": {"service": "search", "instances": 4}, "dry_run": False},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert execution.status_code == 201, execution.text
    return other, str(run.json()["id"]), str(execution.json()["id"])


def show_something(qtbot: QtBot, page: Page, run_id: str, execution_id: str) -> None:
    """Select what makes the page's lower half worth looking at."""
    if isinstance(page, BreakersPage):
        page.select("checkout->payments")
        qtbot.waitUntil(lambda: "→ Forced open" in page.transitions.text(), timeout=10_000)
    elif isinstance(page, ChaosPage):
        qtbot.waitUntil(lambda: page.model.find(run_id) is not None, timeout=10_000)
        page.select(run_id)
    elif isinstance(page, RunbooksPage):
        page.select_runbook("staged-scale")
        qtbot.waitUntil(lambda: page.executions.find(execution_id) is not None, timeout=10_000)
        page.select_execution(execution_id)
        qtbot.waitUntil(lambda: page.view.log.blockCount() > 1, timeout=10_000)
    elif isinstance(page, AuditPage):
        entries = page.shown_entries()
        row = next(i for i, e in enumerate(entries) if e.action == "breaker.transition")
        page.view.table.selectRow(row)
        assert "CLOSED" in page.view.details.toPlainText()  # the before → after of the row
    QApplication.processEvents()


@pytest.fixture
def app_shell(qtbot: QtBot, tmp_path: Path) -> Iterator[Shell]:
    shell = build(make_application(), Options(config_dir=tmp_path / "config"))
    qtbot.addWidget(shell.window)
    yield shell
    shell.shutdown(save=False)


def test_each_ops_page_screenshots_as_a_real_picture(
    qtbot: QtBot, sim: Cluster, app_shell: Shell, tmp_path: Path
) -> None:
    other, run_id, execution_id = something_on_every_page(sim)
    window = app_shell.window
    connect(sim, app_shell.session, "operator", "chaos")
    try:
        for key in ("breakers", "chaos", "runbooks", "audit"):
            window.show_page(key)
            png = tmp_path / f"{key}.png"
            assert capture(window, png, size=(1280, 800), timeout_s=20) == 0, key
            show_something(qtbot, window.current_page(), run_id, execution_id)
            assert window.grab().save(str(png), "PNG")
            image = QImage(str(png))
            assert (image.width(), image.height()) == (1280, 800)
            # HALT ALL CHAOS is in the window whatever the page, ready for this chaos user.
            stop = window.findChild(QToolButton, "toolbar-halt-all-chaos")
            assert stop is not None
            assert stop.isVisible(), key
            assert stop.isEnabled(), stop.toolTip()
            # The page's own area, not just the sidebar and toolbar, has text and colour.
            page = window.current_page()
            area = QRect(page.mapTo(window, QPoint(0, 0)), page.size()).intersected(image.rect())
            assert distinct_colours(image, area) > 20, f"the {key} page looks blank"
    finally:
        other.post(f"/chaos/runs/{run_id}/abort", json={"reason": "screenshots taken"},
                   headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
        other.post(
            f"/runbooks/staged-scale/executions/{execution_id}/cancel",
            json={},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        wait_for_runbook_threads(qtbot)


# HALT ALL from any page -------------------------------------------------------------------


def test_halt_all_from_any_page_ends_every_run_after_a_reason_and_a_step_up(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    other = sim.user("chaos")
    sim.step_up(other)
    runs = [launch_behind_the_page(other, target) for target in ("auth", "inventory")]
    window = QMainWindow()
    qtbot.addWidget(window)
    session = Session()
    halt = HaltAllChaos(runner, session, light_theme(), window)
    assert not halt.button.isEnabled()
    connect(sim, session, "viewer")
    assert halt.button.toolTip() == "This needs the chaos role; you are viewer."
    session.detach()
    user = connect(sim, session, "chaos")
    assert halt.button.isEnabled(), halt.button.toolTip()
    try:
        dialogs = Dialogs(halt.actions)
        halt.button.click()
        asked = halt.dialog
        assert asked is not None
        assert not asked.halt_button.isEnabled()  # a reason first
        asked.reason.setText("checkout is paging")
        with qtbot.waitSignal(halt.actions.succeeded, timeout=15_000):
            asked.halt_button.click()
            answer_step_up(qtbot, sim, user, dialogs)
        assert window.statusBar().currentMessage() == "Done: Halt all chaos."
        reader = sim.user("viewer")
        states = {r["id"]: r["state"] for r in reader.get("/chaos/runs").json()}
        assert [states[int(run)] for run in runs] == ["aborted", "aborted"]
        halted = reader.get("/chaos/halt").json()["halted"]
        assert (halted["by"], halted["reason"]) == (user.name, "checkout is paging")
        # The same place now says chaos is halted, and offers to resume it.
        qtbot.waitUntil(lambda: halt.button.text() == RESUME_TEXT, timeout=10_000)
        assert f"halted by {user.name}" in halt.button.toolTip()
    finally:
        assert other.post("/chaos/resume", json={}).status_code in (200, 204)
        runner.wait_idle(10)
        session.detach()


def test_the_window_shows_a_halt_by_anyone_and_resumes_it_after_a_confirmation(
    qtbot: QtBot, sim: Cluster, runner: TaskRunner
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    session = Session()
    feed = EventFeed(runner, session, wait_seconds=1)
    halt = HaltAllChaos(runner, session, light_theme(), window, feed)
    other = sim.user("chaos")
    sim.step_up(other)
    try:
        connect(sim, session, "viewer")
        reply = other.post("/chaos/halt", json={"reason": "game day is over"})
        assert reply.status_code == 200, reply.text
        # Heard from the event feed: off for a viewer, saying who halted and why not.
        qtbot.waitUntil(lambda: halt.button.text() == "Chaos halted", timeout=10_000)
        assert not halt.button.isEnabled()
        tip = halt.button.toolTip()
        assert f"halted by {other.user.name} at" in tip
        assert "(game day is over)" in tip
        assert tip.endswith("Resuming: This needs the chaos role; you are viewer.")
        feed.stop()  # the feed's long poll ends before its connection closes
        runner.wait_idle(10)
        session.detach()
        assert halt.button.text() == "HALT ALL CHAOS"  # nothing of the old cluster stays

        connect(sim, session, "chaos")
        qtbot.waitUntil(lambda: halt.button.text() == RESUME_TEXT, timeout=10_000)
        assert halt.button.isEnabled(), halt.button.toolTip()
        dialogs = Dialogs(halt.actions)
        halt.button.click()
        confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
        assert "can be launched again" in confirm.question.text()
        with qtbot.waitSignal(halt.actions.succeeded, timeout=15_000):
            confirm.accept()
        assert sim.user("viewer").get("/chaos/halt").json()["halted"] is None
        qtbot.waitUntil(lambda: halt.button.text() == "HALT ALL CHAOS", timeout=10_000)
        assert halt.button.isEnabled(), halt.button.toolTip()
    finally:
        other.post("/chaos/resume", json={})
        feed.stop()
        runner.wait_idle(10)
        session.detach()
