"""The smaller chaos forms: a run's guard, why HALT ALL (a reason for the audit log and
whoever resumes), and the admin's safety settings."""

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
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.chaos import ChaosGuard
from ...core.chaos_preview import duration_words

NO_SLO = "(no SLO)"
PAGE_BURN_RATE = 14.4  # the server's default: the page alert's fast burn


class GuardForm(QGroupBox):
    """What aborts a run by itself: an SLO burning faster than a rate, a PromQL query
    passing a threshold, or both. Off (unchecked) by default.

    Signals:
        changed(): any field changed.
    """

    changed = Signal()

    def __init__(self, slos: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__("Guard: abort by itself when…", parent)
        self.setCheckable(True)
        self.setChecked(False)
        self.slo = QComboBox(self)
        self.slo.addItems([NO_SLO, *slos])
        self.max_burn = QDoubleSpinBox(self)
        self.max_burn.setRange(0.1, 1000)
        self.max_burn.setValue(PAGE_BURN_RATE)
        self.max_burn.setSuffix(" x")
        self.expr = QLineEdit(self)
        self.expr.setPlaceholderText('PromQL, e.g. sum(rate(…{code=~"5.."}[1m]))')
        self.comparison = QComboBox(self)
        self.comparison.addItems([">", "<"])
        self.threshold = QLineEdit(self)
        self.threshold.setPlaceholderText("threshold")
        expr_row = QHBoxLayout()
        expr_row.addWidget(self.expr, 1)
        expr_row.addWidget(self.comparison)
        expr_row.addWidget(self.threshold)
        form = QFormLayout(self)
        form.addRow("SLO", self.slo)
        form.addRow("Burn rate above", self.max_burn)
        form.addRow("or query", expr_row)
        for signal in (
            self.toggled,
            self.slo.currentIndexChanged,
            self.max_burn.valueChanged,
            self.expr.textChanged,
            self.comparison.currentIndexChanged,
            self.threshold.textChanged,
        ):
            signal.connect(self.changed)

    def guard(self) -> ChaosGuard | None:
        """The guard to send, or None when it is off."""
        if not self.isChecked():
            return None
        slo = self.slo.currentText()
        expr = self.expr.text().strip() or None
        try:
            threshold: float | None = float(self.threshold.text().strip())
        except ValueError:
            threshold = None
        return ChaosGuard(
            slo=None if slo == NO_SLO else slo,
            expr=expr,
            threshold=threshold if expr else None,
            comparison=self.comparison.currentText(),
            max_burn_rate=self.max_burn.value() if slo != NO_SLO else None,
        )

    def problem(self) -> str | None:
        guard = self.guard()
        if guard is None:
            return None
        if guard.slo is None and guard.expr is None:
            return "Name an SLO or a query for the guard, or turn the guard off."
        if guard.expr is not None and guard.threshold is None:
            return "Give the guard query a numeric threshold."
        return None


class HaltDialog(QDialog):
    """Asks why every chaos run should stop now.

    Signals:
        halt_requested(str): the reason; the caller halts (with a step-up) and resumes later.
    """

    halt_requested = Signal(str)

    def __init__(self, running: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chaos-halt")
        self.setWindowTitle("Halt all chaos")
        # None: asked away from the Chaos page, which alone knows how many runs there are.
        if running is None:
            runs = "every running run"
        else:
            runs = "1 running run" if running == 1 else f"{running} running runs"
        what = QLabel(
            f"Abort {runs} now and refuse every launch until someone resumes chaos. "
            "This needs a fresh TOTP code.",
            self,
        )
        what.setWordWrap(True)
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText("Why (required): e.g. checkout is paging")
        buttons = QDialogButtonBox(self)
        self.halt_button: QPushButton = buttons.addButton(
            "Halt all chaos", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.halt_button.setEnabled(False)
        self.reason.textChanged.connect(
            lambda text: self.halt_button.setEnabled(bool(text.strip()))
        )
        buttons.accepted.connect(self._halt)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(self.reason)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def _halt(self) -> None:
        reason = self.reason.text().strip()
        if reason:
            self.accept()
            self.halt_requested.emit(reason)


class SafetyDialog(QDialog):
    """The safety settings, editable (the caller checks the admin role before opening it).

    Signals:
        save_requested(dict): the new settings, every field (PUT replaces them all).
    """

    save_requested = Signal(dict)

    def __init__(self, settings: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chaos-safety")
        self.setWindowTitle("Chaos safety settings")
        self.safety_mode = QCheckBox("Safety mode: only dry runs may launch", self)
        self.safety_mode.setChecked(bool(settings.get("safety_mode")))
        self.max_duration = QSpinBox(self)
        self.max_duration.setRange(1, 7 * 86_400)
        self.max_duration.setSuffix(" s")
        self.max_duration.setValue(int(settings.get("max_duration_seconds", 1800)))
        self.max_duration_words = QLabel(self)
        self.max_blast = QDoubleSpinBox(self)
        self.max_blast.setRange(0.1, 100)
        self.max_blast.setSuffix(" %")
        self.max_blast.setValue(float(settings.get("max_blast_radius_percent", 100)))
        self.floor = QDoubleSpinBox(self)
        self.floor.setRange(0, 100)
        self.floor.setSuffix(" %")
        self.floor.setValue(float(settings.get("error_budget_floor_percent", 10)))
        self.unguarded = QCheckBox(
            "Allow unguarded runs while Prometheus cannot be asked about the error budget", self
        )
        self.unguarded.setChecked(bool(settings.get("unguarded_without_prometheus")))
        form = QFormLayout()
        form.addRow(self.safety_mode)
        form.addRow("Longest run", self.max_duration)
        form.addRow("", self.max_duration_words)
        form.addRow("Largest blast radius", self.max_blast)
        form.addRow("Error budget floor", self.floor)
        form.addRow(self.unguarded)
        note = QLabel("Runs already going keep their end time.", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.max_duration.valueChanged.connect(self._words)
        self._words()

    def _words(self, *_: object) -> None:
        self.max_duration_words.setText(f"= {duration_words(self.max_duration.value())}")

    def values(self) -> dict[str, Any]:
        return {
            "safety_mode": self.safety_mode.isChecked(),
            "max_duration_seconds": self.max_duration.value(),
            "max_blast_radius_percent": round(self.max_blast.value(), 2),
            "error_budget_floor_percent": round(self.floor.value(), 2),
            "unguarded_without_prometheus": self.unguarded.isChecked(),
        }

    def _save(self) -> None:
        self.accept()
        self.save_requested.emit(self.values())


def safety_sentence(settings: Mapping[str, Any]) -> str:
    """The settings in one line for the page."""
    mode = "on (dry runs only)" if settings.get("safety_mode") else "off"
    longest = duration_words(int(settings.get("max_duration_seconds", 0)))
    unguarded = "allowed" if settings.get("unguarded_without_prometheus") else "refused"
    return (
        f"Safety mode {mode} · runs up to {longest} · blast radius up to "
        f"{float(settings.get('max_blast_radius_percent', 0)):g} % · refused below "
        f"{float(settings.get('error_budget_floor_percent', 0)):g} % error budget left · "
        f"unguarded runs without Prometheus {unguarded}"
    )
