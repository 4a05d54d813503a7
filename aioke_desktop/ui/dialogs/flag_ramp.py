""" "Ramp…": describe a burn-rate-gated rollout ramp, read it back as a sentence, start it.

The dialog only collects and checks the ramp; the Flags page sends it through its
ActionRunner (role, read-only switch, production confirmation, Idempotency-Key, If-Match),
and the control plane runs it, so it goes on when the desktop is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.flag_ramps import parse_steps, ramp_sentence
from ...core.flags import Flag
from ..theme import LIGHT, StatusColours

DEFAULT_STEPS = "5, 25, 50, 100"
DEFAULT_INTERVAL_SECONDS = 600


class FlagRampDialog(QDialog):
    """Steps, interval, gating service and burn-rate limit of a new ramp on ``flag``.

    Args:
        flag: the flag as loaded (its ETag is what the start sends as If-Match).
        services: the services with an SLO, to gate on.

    Signals:
        start_requested(dict): the checked ramp, as the API takes it.
    """

    start_requested = Signal(object)

    def __init__(
        self,
        flag: Flag,
        services: Sequence[str],
        *,
        colours: StatusColours = LIGHT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("flag-ramp")
        self.setWindowTitle(f"Ramp {flag.key}")
        self.flag = flag
        self._colours = colours
        self.steps = QLineEdit(DEFAULT_STEPS, self)
        self.steps.setToolTip("Rollout percentages in order, e.g. 5, 25, 50, 100")
        self.interval = QSpinBox(self)
        self.interval.setRange(1, 86_400)
        self.interval.setSuffix(" s")
        self.interval.setValue(DEFAULT_INTERVAL_SECONDS)
        self.interval.setToolTip("Time between decisions; the control plane sets a minimum.")
        self.service = QComboBox(self)
        self.service.addItems(list(services))
        guess = next((s for s in services if flag.key.startswith(s)), None)
        if guess:
            self.service.setCurrentText(guess)
        self.max_burn = QDoubleSpinBox(self)
        self.max_burn.setRange(0.1, 100)
        self.max_burn.setSingleStep(0.5)
        self.max_burn.setDecimals(1)
        self.max_burn.setValue(1.0)
        self.max_burn.setSuffix(" ×")
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("ramp-preview")
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {colours.danger};")
        self.start_button = QPushButton("Start ramp", self)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._start)

        form = QFormLayout()
        form.addRow("Steps (%)", self.steps)
        form.addRow("Every", self.interval)
        form.addRow("Gated on", self.service)
        form.addRow("Max 1 h burn rate", self.max_burn)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        note = QLabel(
            f"It starts by turning {flag.key} on at the first step; changing the flag by hand "
            "later stops the ramp.",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {colours.muted_text};")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(note)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        for changed in (
            self.steps.textChanged,
            self.interval.valueChanged,
            self.service.currentTextChanged,
            self.max_burn.valueChanged,
        ):
            changed.connect(self._update_preview)
        self.setMinimumWidth(480)
        self._update_preview()

    def ramp(self) -> tuple[dict[str, Any], str | None]:
        """The ramp as the API takes it, or the first problem in one sentence."""
        steps, problem = parse_steps(self.steps.text())
        body = {
            "steps": steps,
            "interval_seconds": self.interval.value(),
            "service": self.service.currentText(),
            "max_burn_rate": round(self.max_burn.value(), 1),
        }
        if problem is None and not body["service"]:
            problem = "Choose the service whose burn rate gates the ramp."
        return body, problem

    def _update_preview(self, *_: object) -> None:
        body, problem = self.ramp()
        self.problem.setText(problem or "")
        self.start_button.setEnabled(problem is None)
        self.preview.setText(
            ""
            if problem
            else ramp_sentence(
                self.flag.key,
                body["steps"],
                body["interval_seconds"],
                body["service"],
                body["max_burn_rate"],
            )
        )

    def _start(self) -> None:
        body, problem = self.ramp()
        if problem is None:
            self.set_busy(True)
            self.start_requested.emit(body)

    def set_busy(self, busy: bool) -> None:
        self.start_button.setEnabled(not busy)
        self.start_button.setText("Starting…" if busy else "Start ramp")

    def show_problem(self, sentence: str) -> None:
        self.set_busy(False)
        self.problem.setText(sentence)
