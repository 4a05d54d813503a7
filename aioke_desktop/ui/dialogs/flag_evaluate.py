""" "Evaluate for…": what one user gets from a flag, and the server's reason, in words.

The server evaluates (the same code the workload runs), so the answer is never a guess
made by the desktop; it changes nothing and needs no more than the viewer role.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.flags import Flag, FlagEvaluation
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..theme import LIGHT, StatusColours


def reason_text(reason: str, flag: Flag | None) -> str:
    """The server's reason code as a sentence about this flag."""
    rollout = f"{flag.rollout_percentage} %" if flag else "the"
    sticky = flag.stickiness if flag else "user_id"
    parent = flag.depends_on.flag if flag and flag.depends_on else "its parent"
    sentences = {
        "archived": "The flag is archived, so it is off for everyone.",
        "disabled": "The flag is switched off, so it is off for everyone.",
        "dependency": f"It depends on {parent}, which is off (or another variant) for this user.",
        "excluded": "This user is on the exclude list.",
        "included": "This user is on the include list.",
        "rule_mismatch": "This user's attributes do not match the flag's rules.",
        "no_stickiness": f"The context has no {sticky}, so the user cannot be placed in the "
        "rollout.",
        "rollout": f"This user falls inside the {rollout} rollout.",
        "outside_rollout": f"This user falls outside the {rollout} rollout.",
    }
    return sentences.get(reason, f"The server's reason is {reason}.")


def parse_attributes(text: str) -> tuple[dict[str, Any], list[str]]:
    """``plan=pro`` lines as a context; the lines that are not ``name=value`` come back too."""
    found: dict[str, Any] = {}
    bad: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            bad.append(line.strip())
        else:
            found[name.strip()] = value.strip()
    return found, bad


class FlagEvaluateDialog(QDialog):
    """Asks the server what ``flag`` does for a user id and attributes.

    Args:
        flag: the flag as shown (for the sentences).
        runner: the evaluation runs there.
        session: its connection is asked.
    """

    def __init__(
        self,
        flag: Flag,
        *,
        runner: TaskRunner,
        session: Session,
        colours: StatusColours = LIGHT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("flag-evaluate")
        self.setWindowTitle(f"Evaluate {flag.key} for…")
        self._flag = flag
        self._runner = runner
        self._session = session
        self._colours = colours
        self.user_id = QLineEdit(self)
        self.user_id.setPlaceholderText("user-1234")
        self.attributes = QPlainTextEdit(self)
        self.attributes.setPlaceholderText("one name=value a line, such as\ncountry=DE\nplan=pro")
        self.attributes.setMaximumHeight(90)
        self.evaluate_button = QPushButton("Evaluate", self)
        self.evaluate_button.setDefault(True)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.answer = QLabel("", self)
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.setMinimumHeight(48)
        form = QFormLayout()
        form.addRow("User id", self.user_id)
        form.addRow("Attributes", self.attributes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.evaluate_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.answer)
        layout.addWidget(buttons)
        self.evaluation: FlagEvaluation | None = None
        self.setMinimumWidth(460)

    def context(self) -> tuple[dict[str, Any], list[str]]:
        attributes, bad = parse_attributes(self.attributes.toPlainText())
        user = self.user_id.text().strip()
        return ({"user_id": user, **attributes} if user else attributes), bad

    def evaluate(self) -> None:
        context, bad = self.context()
        connection = self._session.connection
        if bad:
            self._say(f"Write attributes as name=value; “{bad[0]}” is not.", "danger")
            return
        if connection is None:
            self._say("Log in first.", "danger")
            return
        key = self._flag.key
        self.evaluate_button.setEnabled(False)
        self._say("Asking the control plane…", "muted_text")
        self._runner.run(
            lambda: connection.cluster.flags.evaluate(key, context),
            self._show,
            self._failed,
            owner=self,
            name="evaluate flag",
        )

    def _show(self, result: FlagEvaluation) -> None:
        self.evaluation = result
        self.evaluate_button.setEnabled(True)
        state = "On" if result.enabled else "Off"
        variant = f", variant {result.variant}" if result.variant else ""
        sentence = html.escape(reason_text(result.reason, self._flag))
        self._say(
            f"<b>{html.escape(state + variant)}.</b> {sentence} "
            f"<span style='color:{self._colours.muted_text}'>"
            f"(reason: {html.escape(result.reason)})</span>",
            "ok" if result.enabled else "",
            rich=True,
        )

    def _failed(self, error: BaseException) -> None:
        self.evaluate_button.setEnabled(True)
        self._say(error_sentence(error), "danger")

    def _say(self, text: str, tone: str, *, rich: bool = False) -> None:
        colour = getattr(self._colours, tone, "") if tone else ""
        self.answer.setStyleSheet(f"color: {colour};" if colour else "")
        self.answer.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.answer.setText(text)
