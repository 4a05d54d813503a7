"""Acknowledge an alert: a silence in Alertmanager with an end and a comment, in your name."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.alert_state import VOLATILE_LABELS, CurrentAlert
from ...core.alerts import Matcher

DURATIONS = (
    ("15 minutes", 15 * 60),
    ("30 minutes", 30 * 60),
    ("1 hour", 3600),
    ("2 hours", 2 * 3600),
    ("4 hours", 4 * 3600),
    ("8 hours", 8 * 3600),
    ("1 day", 86400),
)
DEFAULT_DURATION = 3600


@dataclass(frozen=True)
class SilenceRequest:
    """What the user asked for: which alerts, for how long, and why."""

    matchers: tuple[Matcher, ...]
    seconds: int
    comment: str

    def describe(self, alert_name: str) -> str:
        words = next((t for t, s in DURATIONS if s == self.seconds), f"{self.seconds} s")
        return f"Silence {alert_name} for {words}"


class SilenceAlertDialog(QDialog):
    """Asks which labels to match, how long, and why; the page sends the silence."""

    def __init__(self, alert: CurrentAlert, author: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("silence-alert")
        self.setWindowTitle(f"Acknowledge {alert.name}")
        self.alert = alert
        about = QLabel(
            "A silence in Alertmanager stops the notifications of the alerts it matches until "
            "it ends; the alert stays visible here, marked silenced.",
            self,
        )
        about.setWordWrap(True)
        box = QGroupBox("Silence alerts with these labels", self)
        box_layout = QVBoxLayout(box)
        self.label_boxes: dict[str, QCheckBox] = {}
        for name, value in sorted(alert.labels.items()):
            check = QCheckBox(f'{name}="{value}"', box)
            # The burn-rate window a Sloth alert names changes while it keeps firing.
            check.setChecked(name not in VOLATILE_LABELS)
            check.toggled.connect(self._update)
            box_layout.addWidget(check)
            self.label_boxes[name] = check
        self.duration = QComboBox(self)
        for text, seconds in DURATIONS:
            self.duration.addItem(text, seconds)
        self.duration.setCurrentIndex(self.duration.findData(DEFAULT_DURATION))
        self.comment = QLineEdit(self)
        self.comment.setPlaceholderText("Why (for whoever looks next): “Looking into it”")
        self.comment.textChanged.connect(self._update)
        form = QFormLayout()
        form.addRow("For", self.duration)
        form.addRow("Comment", self.comment)
        form.addRow("Author", QLabel(author or "(not logged in)", self))
        self.problem = QLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button: QPushButton = buttons.addButton(
            "Silence", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(box)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self._update()

    def problem_text(self) -> str | None:
        if not any(check.isChecked() for check in self.label_boxes.values()):
            return "Choose at least one label: a silence matching nothing is refused."
        if not self.comment.text().strip():
            return "Say why in the comment."
        return None

    def _update(self, *_: object) -> None:
        problem = self.problem_text()
        self.problem.setText(problem or "")
        self.ok_button.setEnabled(problem is None)

    def request(self) -> SilenceRequest:
        matchers = tuple(
            Matcher(name, self.alert.labels[name])
            for name, check in self.label_boxes.items()
            if check.isChecked()
        )
        return SilenceRequest(
            matchers, int(self.duration.currentData()), self.comment.text().strip()
        )
