"""The line under an operations page's toolbar that says what its last action is doing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ..theme import LIGHT, StatusColours


class ActionStatus(QWidget):
    """A busy bar while an action runs, then its outcome in one sentence, with Retry after
    a failure that may be repeated (the retry reuses the action's Idempotency-Key)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("action-status")
        self._colours = LIGHT
        self._tone = ""
        self._retry: Callable[[], None] | None = None
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedWidth(96)
        self.busy.setMaximumHeight(10)
        self.busy.setVisible(False)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(self._on_retry)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.busy)
        row.addWidget(self.label, 1)
        row.addWidget(self.retry_button)

    def text(self) -> str:
        return self.label.text()

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self._paint()

    def show_busy(self, sentence: str) -> None:
        self._set(sentence, "", busy=True)

    def show_done(self, sentence: str) -> None:
        self._set(sentence, "ok")

    def show_note(self, sentence: str) -> None:
        self._set(sentence, "")

    def show_failure(self, sentence: str, retry: Callable[[], None] | None = None) -> None:
        self._set(sentence, "danger", retry=retry)

    def _set(
        self,
        sentence: str,
        tone: str,
        *,
        busy: bool = False,
        retry: Callable[[], None] | None = None,
    ) -> None:
        self.label.setText(sentence)
        self.busy.setVisible(busy)
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self._tone = tone
        self._paint()

    def _paint(self) -> None:
        colour = {"ok": self._colours.ok, "danger": self._colours.danger}.get(self._tone)
        self.label.setStyleSheet(f"color: {colour};" if colour else "")

    def _on_retry(self) -> None:
        retry, self._retry = self._retry, None
        self.retry_button.setVisible(False)
        if retry is not None:
            retry()
