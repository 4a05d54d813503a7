"""Run a runbook: parameters from its JSON schema (types, enums, defaults, required), checked
field by field before anything is sent; a dry run (first, for a high-risk runbook); then the
execution live, step by step, with its log, Cancel and Confirm."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.runbooks import Runbook, RunbookExecution
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..actions import Action, ActionRunner, Call
from ..theme import StatusColours
from ..widgets.execution_view import ExecutionView
from ..widgets.schema_form import SchemaForm


class RunbookRunDialog(QDialog):
    """Asks for the parameters, rehearses or starts the runbook, then follows it.

    Signals:
        started(RunbookExecution): an execution (or a dry run) was created.
    """

    started = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        runbook: Runbook,
        colours: StatusColours,
        now: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runbook-run")
        self.setWindowTitle(f"Run: {runbook.title}")
        self.runbook = runbook
        self._session = session
        self._colours = colours
        self._rehearsed: Mapping[str, Any] | None = None  # params of the last good dry run
        self.execution: RunbookExecution | None = None
        self.action_runner = ActionRunner(runner, session, self)
        about = QLabel(runbook.description or runbook.title, self)
        about.setWordWrap(True)
        risk = QLabel(self._risk_sentence(), self)
        risk.setWordWrap(True)
        tone = {"high": colours.danger, "medium": colours.warning}.get(runbook.risk)
        risk.setStyleSheet(f"color: {tone}; font-weight: 600;" if tone else "")
        self.form_box = QGroupBox("Parameters", self)
        self.form = SchemaForm(runbook.parameters, self.form_box, colours)
        QVBoxLayout(self.form_box).addWidget(self.form)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {colours.warning};")
        self.view = ExecutionView(runner, session, colours, now, self)
        self.view.setVisible(False)
        buttons = QDialogButtonBox(self)
        self.dry_run_button: QPushButton = buttons.addButton(
            "Dry run", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.run_button: QPushButton = buttons.addButton(
            "Run", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        self.run_button.setAutoDefault(False)
        self.dry_run_button.clicked.connect(lambda: self.start(dry_run=True))
        self.run_button.clicked.connect(lambda: self.start(dry_run=False))
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(risk)
        layout.addWidget(self.form_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.action_runner.status)
        layout.addWidget(self.view, 1)
        layout.addStretch(1)  # takes the room until the execution view is shown
        layout.addWidget(buttons)
        self._layout = layout
        self.resize(720, 560)
        self.form.changed.connect(self._update)
        self.action_runner.busy_changed.connect(self._update)
        self._update()

    def _risk_sentence(self) -> str:
        steps = len(self.runbook.steps)
        base = f"{self.runbook.risk.capitalize()} risk · {steps} step{'s' if steps != 1 else ''}"
        if self.runbook.needs_step_up:
            return base + " · dry-run it first; running it needs a fresh TOTP code."
        return base + "."

    # State ------------------------------------------------------------------------------

    def problem_text(self, *, dry_run: bool) -> str | None:
        """Why the run (or dry run) cannot be sent now, or None."""
        if self.execution is not None and not self.execution.dry_run:
            return "This runbook is running; follow it below."
        if not self.form.is_valid():
            return "Fix the parameters marked in red."
        if not dry_run and self.runbook.needs_step_up and self._rehearsed != self.form.values():
            return "High risk: do a dry run with these parameters first."
        return self._session.why_not("operator")

    def _update(self, *_: object) -> None:
        busy = self.action_runner.busy
        problem = self.problem_text(dry_run=False)
        self.problem.setText(problem or "")
        self.run_button.setEnabled(problem is None and not busy)
        self.dry_run_button.setEnabled(self.problem_text(dry_run=True) is None and not busy)

    # Starting ---------------------------------------------------------------------------

    def start(self, *, dry_run: bool) -> None:
        if self.problem_text(dry_run=dry_run) is not None:
            return
        params, runbook_id = self.form.values(), self.runbook.id

        def op(call: Call) -> RunbookExecution:
            return call.cluster.runbooks.execute(
                runbook_id, params, dry_run=dry_run, idempotency_key=call.idempotency_key
            )

        verb = "Dry-run" if dry_run else "Run"
        self.action_runner.perform(
            Action(
                f"{verb} {self.runbook.title}",
                "operator",
                op,
                destructive=self.runbook.needs_step_up and not dry_run,
                on_done=lambda execution: self._started(execution, params),
                resource=f"runbooks/{runbook_id}",
            )
        )

    def _started(self, execution: RunbookExecution, params: Mapping[str, Any]) -> None:
        self.execution = execution
        if execution.dry_run:
            self._rehearsed = dict(params)
        else:
            self.form_box.setEnabled(False)  # what runs is what was sent
            self.setWindowTitle(f"Running: {self.runbook.title}")
        self.view.setVisible(True)
        self._layout.setStretch(self._layout.count() - 2, 0)
        self.view.follow(self.runbook, execution)
        self.started.emit(execution)
        self._update()

    def done(self, result: int) -> None:
        self.view.stop()
        super().done(result)
