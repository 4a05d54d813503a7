"""Launch a chaos run: a fault from the catalog with a form built from its JSON schema, a
target, a mandatory duration and a blast radius within the safety caps, a guard, dry run;
a preview sentence, the target's name typed to confirm, and a step-up before it goes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.chaos import ChaosLaunch, ChaosRun, ChaosSafety, FaultType
from ...core.chaos_preview import describe_launch, duration_words
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..actions import Action, ActionRunner, Call
from ..theme import StatusColours
from ..widgets.schema_form import SchemaForm
from .chaos_controls import GuardForm

DEFAULT_BLAST_PERCENT = 10.0  # start small; widening it is a deliberate act


class ChaosLaunchDialog(QDialog):
    """The launch form; it sends the launch itself through its own :class:`ActionRunner`,
    so a refusal ("checkout has 4.0 % of its error budget left...") shows here, by the form.

    Signals:
        launched(ChaosRun): the server started (or rehearsed) the run; the dialog closes.
    """

    launched = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        *,
        catalog: Sequence[FaultType],
        services: Sequence[str],
        slos: Sequence[str],
        safety: ChaosSafety,
        colours: StatusColours,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chaos-launch")
        self.setWindowTitle("Launch a chaos run")
        self._session = session
        self._colours = colours
        self._catalog = list(catalog)
        self._safety = safety.values
        self.action_runner = ActionRunner(runner, session, self)
        self.params: SchemaForm | None = None
        self._build(services, slos)
        self._fault_changed()

    # Building ---------------------------------------------------------------------------

    def _build(self, services: Sequence[str], slos: Sequence[str]) -> None:
        self.fault = QComboBox(self)
        for fault in self._catalog:
            self.fault.addItem(fault.title, fault.id)
        self.fault_note = self._muted("")
        self.target = QComboBox(self)
        self.target.addItems(list(services))
        self.params_box = QGroupBox("Parameters", self)
        self.params_layout = QVBoxLayout(self.params_box)
        max_duration = int(self._safety.get("max_duration_seconds", 1800))
        self.duration = QSpinBox(self)
        self.duration.setRange(0, max_duration)
        self.duration.setSingleStep(30)
        self.duration.setSuffix(" s")
        self.duration.setSpecialValueText("choose")  # mandatory: no default length of harm
        self.duration_note = self._muted(f"At most {duration_words(max_duration)} (safety cap).")
        cap = float(self._safety.get("max_blast_radius_percent", 100.0))
        self.blast = QDoubleSpinBox(self)
        self.blast.setRange(0.1, cap)
        self.blast.setDecimals(1)
        self.blast.setSuffix(" %")
        self.blast.setValue(min(DEFAULT_BLAST_PERCENT, cap))
        self.blast_note = self._muted(f"The share of the target's traffic hit; cap {cap:g} %.")
        self.guard_box = GuardForm(slos, self)
        self.dry_run = QCheckBox("Dry run: record what would happen, change nothing", self)
        if self._safety.get("safety_mode"):
            self.dry_run.setChecked(True)
            self.dry_run.setEnabled(False)
            self.dry_run.setToolTip("Safety mode is on: only dry runs may launch.")
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("chaos-preview")
        self.confirm = QLineEdit(self)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {self._colours.warning};")
        form = QFormLayout()
        form.addRow("Fault", self.fault)
        form.addRow("", self.fault_note)
        form.addRow("Target", self.target)
        form.addRow("Duration", self.duration)
        form.addRow("", self.duration_note)
        form.addRow("Blast radius", self.blast)
        form.addRow("", self.blast_note)
        body = QWidget(self)
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(form)
        body_layout.addWidget(self.params_box)
        body_layout.addWidget(self.guard_box)
        body_layout.addWidget(self.dry_run)
        body_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(self)
        self.launch_button: QPushButton = buttons.addButton(
            "Launch", QDialogButtonBox.ButtonRole.AcceptRole
        )
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        self.launch_button.setAutoDefault(False)
        buttons.accepted.connect(self.launch)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.preview)
        layout.addWidget(self.confirm)
        layout.addWidget(self.problem)
        layout.addWidget(self.action_runner.status)
        layout.addWidget(buttons)
        self.resize(620, 760)
        self.fault.currentIndexChanged.connect(self._fault_changed)
        for signal in (
            self.target.currentIndexChanged,
            self.duration.valueChanged,
            self.blast.valueChanged,
            self.guard_box.changed,
            self.dry_run.toggled,
            self.confirm.textChanged,
            self.action_runner.busy_changed,
        ):
            signal.connect(self._update)

    def _muted(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {self._colours.muted_text};")
        return label

    def _fault_changed(self, *_: object) -> None:
        fault = self.selected_fault()
        if self.params is not None:
            self.params_layout.removeWidget(self.params)
            self.params.deleteLater()
        schema: Mapping[str, Any] = fault.params_schema if fault else {}
        self.params = SchemaForm(schema, self.params_box, self._colours)
        self.params.changed.connect(self._update)
        self.params_layout.addWidget(self.params)
        self.fault_note.setText(fault.description if fault else "")
        self._update()

    # Reading the form -------------------------------------------------------------------

    def selected_fault(self) -> FaultType | None:
        wanted = self.fault.currentData()
        return next((f for f in self._catalog if f.id == wanted), None)

    def request(self) -> ChaosLaunch:
        fault = self.selected_fault()
        params = self.params.values() if self.params is not None else {}
        return ChaosLaunch(
            fault=fault.id if fault else "",
            target=self.target.currentText(),
            params=params,
            duration_seconds=self.duration.value(),
            blast_radius_percent=round(self.blast.value(), 1),
            guard=self.guard_box.guard(),
            dry_run=self.dry_run.isChecked(),
        )

    def problem_text(self) -> str | None:
        """What must be fixed before launching, or None."""
        if self.selected_fault() is None:
            return "Choose a fault."
        if not self.target.currentText():
            return "Choose a target."
        if self.params is not None and not self.params.is_valid():
            return "Fix the parameters marked in red."
        if self.duration.value() <= 0:
            return "Choose a duration: every run ends by itself."
        guard_problem = self.guard_box.problem()
        if guard_problem is not None:
            return guard_problem
        if (
            not self.dry_run.isChecked()
            and self.confirm.text().strip() != self.target.currentText()
        ):
            return f"Type {self.target.currentText()} to confirm the target."
        return self._session.why_not("chaos")

    def _update(self, *_: object) -> None:
        request = self.request()
        self.preview.setText(describe_launch(request))
        target = self.target.currentText()
        self.confirm.setPlaceholderText(f"Type {target} to confirm")
        self.confirm.setVisible(not request.dry_run)
        problem = self.problem_text()
        self.problem.setText(problem or "")
        self.launch_button.setText("Rehearse" if request.dry_run else "Launch…")
        self.launch_button.setEnabled(problem is None and not self.action_runner.busy)

    # Launching --------------------------------------------------------------------------

    def launch(self) -> None:
        if self.problem_text() is not None:
            return
        request = self.request()

        def op(call: Call) -> ChaosRun:
            return call.cluster.chaos.launch(request, idempotency_key=call.idempotency_key)

        verb = "Rehearse" if request.dry_run else "Launch"
        self.action_runner.perform(
            Action(
                f"{verb} {request.fault} on {request.target} for "
                f"{duration_words(request.duration_seconds)}",
                "chaos",
                op,
                destructive=not request.dry_run,
                on_done=self._launched,
                resource="chaos/runs",
            )
        )

    def _launched(self, run: ChaosRun) -> None:
        self.launched.emit(run)
        self.accept()
