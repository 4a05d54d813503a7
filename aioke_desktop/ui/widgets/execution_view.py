"""One runbook execution, live: each step's state, the log as it grows (read incrementally
with ``GET …/log?offset=``), Cancel, and Confirm when a manual step waits for a person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api.cluster import ClusterClient
from ...core.runbooks import LogChunk, Runbook, RunbookExecution
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..actions import Action, ActionRunner
from ..models.rows import clock_text, parse_time
from ..models.runbooks_table import STATE_TONES, StepsModel, state_word
from ..role_gate import gate_by_role
from ..theme import StatusColours

FOLLOW_MS = 1000


@dataclass(frozen=True)
class Progress:
    """An execution as read now, and the log lines after the offset asked for."""

    execution: RunbookExecution
    log: LogChunk


def read_progress(
    cluster: ClusterClient, runbook_id: str, execution_id: str, offset: int
) -> Progress:
    execution = cluster.runbooks.execution(runbook_id, execution_id)
    return Progress(execution, cluster.runbooks.log(runbook_id, execution_id, offset))


class ExecutionView(QWidget):
    """Follows one execution until its log is complete.

    Signals:
        updated(RunbookExecution): a fresh read of the execution arrived.
        finished(RunbookExecution): it ended and its log has been read to the end.
    """

    updated = Signal(object)
    finished = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        colours: StatusColours,
        now: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._session = session
        self._colours = colours
        self.runbook: Runbook | None = None
        self.execution: RunbookExecution | None = None
        self._offset = 0
        self._complete = True
        self._reading = False
        self.action_runner = ActionRunner(runner, session, self)
        self.steps = StepsModel(colours, now, self)
        self.state = QLabel("No execution selected.", self)
        self.state.setWordWrap(True)
        self.prompt = QLabel(self)
        self.prompt.setWordWrap(True)
        self.prompt.setVisible(False)
        self.confirm_button = QPushButton("Confirm and go on", self)
        self.confirm_button.setVisible(False)
        self.confirm_button.clicked.connect(self.confirm)
        self.cancel_button = QPushButton("Cancel execution", self)
        self.cancel_button.clicked.connect(self.cancel)
        self._gates = [
            gate_by_role(self.confirm_button, session, "operator", when=self._not_waiting),
            gate_by_role(self.cancel_button, session, "operator", when=self._not_active),
        ]
        table = QTableView(self)
        table.setModel(self.steps)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setStretchLastSection(True)
        self.steps_table = table
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setObjectName("execution-log")
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("The log appears here as the steps run.")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.poke)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.cancel_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(table)
        split.addWidget(self.log)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.prompt)
        layout.addWidget(self.action_runner.status)
        layout.addWidget(split, 1)

    # Following --------------------------------------------------------------------------

    def follow(self, runbook: Runbook, execution: RunbookExecution) -> None:
        """Show ``execution`` and keep reading it until it ends (a new one starts over)."""
        if self.execution is None or execution.id != self.execution.id:
            self.log.clear()
            self._offset = 0
        self.runbook = runbook
        self._complete = False
        self._show(execution)
        self.poke()

    def stop(self) -> None:
        self._complete = True
        self._timer.stop()

    def poke(self) -> None:
        """Read the execution and the new log lines now (the event feed says it moved)."""
        connection, runbook, execution = self._session.connection, self.runbook, self.execution
        if connection is None or runbook is None or execution is None or self._reading:
            return
        self._timer.stop()
        self._reading = True
        offset, runbook_id, execution_id = self._offset, runbook.id, execution.id
        self._runner.run(
            lambda: read_progress(connection.cluster, runbook_id, execution_id, offset),
            self._read,
            self._failed,
            owner=self,
            name="runbook execution",
        )

    def _read(self, progress: Progress) -> None:
        self._reading = False
        if self.execution is None or progress.execution.id != self.execution.id:
            return
        fresh = [line for line in progress.log.lines if line.offset > self._offset]
        if fresh:
            self.log.appendPlainText(
                "\n".join(f"{clock_text(parse_time(x.time))}  {x.line}" for x in fresh)
            )
            self._offset = progress.log.next_offset
        self._show(progress.execution)
        self.updated.emit(progress.execution)
        if progress.log.complete and not progress.execution.active:
            if not self._complete:
                self._complete = True
                self.finished.emit(progress.execution)
        elif not self._complete:
            self._timer.start(0 if fresh and len(fresh) >= 500 else FOLLOW_MS)

    def _failed(self, error: BaseException) -> None:
        self._reading = False
        self.state.setText(f"Could not read the execution: {error_sentence(error)}")
        if not self._complete:
            self._timer.start(FOLLOW_MS * 3)

    # Showing ----------------------------------------------------------------------------

    def _show(self, execution: RunbookExecution) -> None:
        self.execution = execution
        self.steps.replace(list(execution.steps))
        # Sized again as the titles arrive (sizes computed while hidden stay at the headers'),
        # then the outcome takes the rest of the width again.
        header = self.steps_table.horizontalHeader()
        self.steps_table.resizeColumnsToContents()
        header.setStretchLastSection(False)
        header.setStretchLastSection(True)
        what = f"● {state_word(execution.state)}" + (" (dry run)" if execution.dry_run else "")
        why = f": {execution.reason}" if execution.reason else ""
        self.state.setText(f"{what}{why} · {execution.id}, started by {execution.started_by}")
        tone = STATE_TONES.get(execution.state)
        self.state.setStyleSheet(f"color: {getattr(self._colours, tone)};" if tone else "")
        prompt = self._prompt()
        self.prompt.setText(prompt or "")
        self.prompt.setVisible(bool(prompt))
        self.confirm_button.setVisible(execution.state == "waiting_for_confirmation")
        for gate in self._gates:
            gate.update()

    def _prompt(self) -> str | None:
        execution, runbook = self.execution, self.runbook
        if execution is None or runbook is None or execution.state != "waiting_for_confirmation":
            return None
        waiting = next((s for s in execution.steps if s.state == "waiting_for_confirmation"), None)
        if waiting is None or waiting.index >= len(runbook.steps):
            return "A step waits for your confirmation."
        spec = runbook.steps[waiting.index]
        return f"Step {waiting.index + 1} waits for you: {spec.get('prompt') or waiting.title}"

    def _not_waiting(self) -> str | None:
        waiting = self.execution is not None and self.execution.state == "waiting_for_confirmation"
        return None if waiting else "No step is waiting for a confirmation."

    def _not_active(self) -> str | None:
        active = self.execution is not None and self.execution.active
        return None if active else "This execution has ended."

    # Actions ----------------------------------------------------------------------------

    def confirm(self) -> None:
        runbook, execution = self.runbook, self.execution
        if runbook is None or execution is None:
            return
        runbook_id, execution_id, etag = runbook.id, execution.id, execution.etag
        self.action_runner.perform(
            Action(
                f"Confirm the waiting step of {runbook.title}",
                "operator",
                lambda call: call.cluster.runbooks.confirm(runbook_id, execution_id, etag=etag),
                destructive=runbook.needs_step_up,
                on_done=self._acted,
                resource=f"runbooks/{runbook_id}/executions/{execution_id}",
                current=lambda call: call.cluster.runbooks.execution(runbook_id, execution_id),
                reload=self.poke,
            )
        )

    def cancel(self) -> None:
        runbook, execution = self.runbook, self.execution
        if runbook is None or execution is None:
            return
        runbook_id, execution_id = runbook.id, execution.id
        self.action_runner.perform(
            Action(
                f"Cancel {runbook.title} ({execution_id})",
                "operator",
                lambda call: call.cluster.runbooks.cancel(
                    runbook_id, execution_id, idempotency_key=call.idempotency_key
                ),
                on_done=self._acted,
                resource=f"runbooks/{runbook_id}/executions/{execution_id}",
            )
        )

    def _acted(self, execution: RunbookExecution) -> None:
        self._show(execution)
        self.poke()
