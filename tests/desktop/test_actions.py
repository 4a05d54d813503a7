"""The shared action runner against the real control plane: step-up, refusals, failures,
and role gates that follow the session."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.core.breakers import Breaker
from aioke_desktop.runtime.session import Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.actions import Action, ActionRunner, Call, gate_by_role
from aioke_desktop.ui.dialogs.action_prompts import ConfirmChangeDialog, StepUpDialog
from desktop.ops_helpers import Dialogs, connect
from harness import Cluster, TestUser

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

EDGE = "gateway->checkout"


class RecordsChanges(httpx.HTTPTransport):
    """Notes every request that may change something: (method, path, key, status)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, str | None, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method != "GET" and not request.url.path.endswith(("/login", "/refresh")):
            key = request.headers.get("idempotency-key")
            self.sent.append((request.method, request.url.path, key, response.status_code))
        return response


@pytest.fixture
def page(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def session(runner: TaskRunner) -> Iterator[Session]:
    shared = Session()
    yield shared
    runner.wait_idle(10)
    shared.detach()


def force_open(call: Call) -> Breaker:
    call.cluster.breakers.get(EDGE)  # the ETag the transition names
    return call.cluster.breakers.transition(
        EDGE, "FORCE_OPEN", ttl_seconds=120, reason="drill", idempotency_key=call.idempotency_key
    )


def enter_code(qtbot: QtBot, dialog: StepUpDialog, code: str) -> None:
    dialog.code.setText(code)
    dialog.confirm_button.click()


def test_step_up_required_then_accepted_sends_the_same_key_again(
    qtbot: QtBot, fresh_cluster: Cluster, runner: TaskRunner, session: Session, page: QWidget
) -> None:
    wire = RecordsChanges()
    user: TestUser = connect(fresh_cluster, session, "operator", transport=wire)
    actions = ActionRunner(runner, session, page)
    dialogs = Dialogs(actions)
    done: list[Breaker] = []
    actions.perform(Action(f"Force {EDGE} open", "operator", force_open, on_done=done.append))

    step_up = dialogs.wait_for(qtbot, StepUpDialog)
    assert "fresh second factor" in step_up.reason.text()  # the server's own sentence
    enter_code(qtbot, step_up, "000000")
    qtbot.waitUntil(step_up.error.isVisible, timeout=10_000)
    assert step_up.isVisible()  # a wrong code keeps the dialog for another try

    fresh_cluster.next_step()
    with qtbot.waitSignal(actions.succeeded, timeout=10_000):
        enter_code(qtbot, step_up, fresh_cluster.code(user))
    assert done[0].state == "FORCED_OPEN"
    transitions = [s for s in wire.sent if s[1].endswith("/transition")]
    assert [s[3] for s in transitions] == [403, 200]
    assert transitions[0][2] is not None
    assert transitions[0][2] == transitions[1][2]
    audit = fresh_cluster.sql().execute(
        "SELECT idempotency_key FROM audit WHERE action = 'breaker.transition'"
    )
    assert [row[0] for row in audit] == [transitions[0][2]]  # one change, under that key


def test_a_destructive_action_asks_for_the_code_before_sending_anything(
    qtbot: QtBot, fresh_cluster: Cluster, runner: TaskRunner, session: Session, page: QWidget
) -> None:
    wire = RecordsChanges()
    connect(fresh_cluster, session, "operator", transport=wire)
    actions = ActionRunner(runner, session, page)
    dialogs = Dialogs(actions)
    with qtbot.waitSignal(actions.cancelled, timeout=5000):
        actions.perform(Action("Force it open", "operator", force_open, destructive=True))
        dialogs.wait_for(qtbot, StepUpDialog).reject()
    assert wire.sent == []
    assert actions.status.text() == "Cancelled: force it open. Nothing was sent."


def test_refusals_and_failures_read_as_one_sentence(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner, session: Session, page: QWidget
) -> None:
    wire = RecordsChanges()
    connect(cluster, session, "viewer", transport=wire)
    actions = ActionRunner(runner, session, page)
    archive = Action(
        "Archive flag nope",
        "operator",
        lambda call: call.cluster.flags.archive(
            "nope", etag='"x"', idempotency_key=call.idempotency_key
        ),
    )
    with qtbot.waitSignal(actions.failed, timeout=1000) as refused:
        assert actions.perform(archive) is False
    assert refused.args == ["This needs the operator role; you are viewer."]
    assert wire.sent == []

    session.detach()
    connect(cluster, session, "operator", transport=wire)
    with qtbot.waitSignal(actions.failed, timeout=10_000) as failed:
        assert actions.perform(archive) is True
    assert failed.args == ["There is no flag nope."]
    assert actions.status.text() == "Could not archive flag nope: There is no flag nope."
    assert actions.status.retry_button.isVisibleTo(page)
    with qtbot.waitSignal(actions.failed, timeout=10_000):
        actions.status.retry_button.click()
    first, again = wire.sent
    assert first[2] is not None
    assert first[2] == again[2]


def test_a_confirmation_left_open_across_a_context_switch_sends_nothing(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner, session: Session, page: QWidget
) -> None:
    wire = RecordsChanges()
    connect(cluster, session, "operator", production=True, transport=wire)
    actions = ActionRunner(runner, session, page)
    dialogs = Dialogs(actions)
    actions.perform(Action("Archive flag nope", "operator", lambda call: None))
    confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
    connect(cluster, session, "operator")  # another context now
    with qtbot.waitSignal(actions.failed, timeout=1000) as refused:
        confirm.confirm_button.click()
    assert refused.args == ["The connection changed since you started this; nothing was sent."]


def test_a_gate_follows_role_read_only_and_the_pages_own_condition(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner, session: Session, page: QWidget
) -> None:
    button = QPushButton("Force open", page)
    button.setToolTip("Open the breaker now")
    menu_item = QAction("Force open", page)
    chosen = False
    gate = gate_by_role(
        button, session, "operator", when=lambda: None if chosen else "Select a breaker first."
    )
    gate_by_role(menu_item, session, "operator")
    assert (button.isEnabled(), button.toolTip()) == (False, "Log in first.")

    connect(cluster, session, "operator")
    assert (button.isEnabled(), button.toolTip()) == (False, "Select a breaker first.")
    assert menu_item.isEnabled()
    chosen = True
    gate.update()
    assert (button.isEnabled(), button.toolTip()) == (True, "Open the breaker now")

    session.set_read_only(True)
    assert not button.isEnabled()
    assert not menu_item.isEnabled()
    assert menu_item.toolTip().startswith("This is a read-only session")
    session.set_read_only(False)
    assert button.isEnabled()
    assert menu_item.isEnabled()

    session.detach()
    connect(cluster, session, "viewer")
    assert button.toolTip() == "This needs the operator role; you are viewer."
