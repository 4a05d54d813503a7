"""Force open, disable, close or reset one breaker: a forced state needs a TTL and a reason,
and a step-up; the change is sent against the version shown (If-Match)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.breakers import CLOSE, DISABLE, FORCE_OPEN, RESET, Breaker
from ...core.chaos_preview import duration_words
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..actions import Action, ActionRunner, Call
from ..dialogs.compare import as_json
from ..models.breakers_table import state_word
from ..models.rows import ServerClock, clock_text, parse_time, percent
from ..theme import StatusColours

MAX_TTL_SECONDS = 86_400  # the server's limit
COMMANDS = {
    FORCE_OPEN: ("Force open", "reject every call: callers fail fast instead of waiting"),
    DISABLE: ("Disable", "let every call through, even while the callee fails"),
    CLOSE: ("Close", "back to normal, counting failures from now"),
    RESET: ("Reset", "close and forget the counted calls"),
}
FORCING = (FORCE_OPEN, DISABLE)
UNITS = (("seconds", 1), ("minutes", 60), ("hours", 3600))


def edge(breaker: Breaker) -> str:
    return f"{breaker.caller} → {breaker.callee}"


class BreakerTransitionDialog(QDialog):
    """Asks what to do with ``breaker`` and does it through its own :class:`ActionRunner`
    (its step-up prompt and outcome line live in this dialog, which stays open on failure).

    Signals:
        transitioned(Breaker): the server changed the breaker; the dialog closes.
    """

    transitioned = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        breaker: Breaker,
        command: str,
        colours: StatusColours,
        clock: ServerClock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("breaker-transition")
        self.setWindowTitle(f"Change breaker {edge(breaker)}")
        self._runner = runner
        self._session = session
        self._colours = colours
        self._clock = clock
        self.breaker = breaker
        self.loaded: Breaker | None = None  # the version the change is sent against
        self.action_runner = ActionRunner(runner, session, self)
        self._build(command)
        self.reload()

    # Building ---------------------------------------------------------------------------

    def _build(self, command: str) -> None:
        self.current = QLabel(self)
        self.current.setWordWrap(True)
        self.commands = QButtonGroup(self)
        choices = QVBoxLayout()
        self.command_buttons: dict[str, QRadioButton] = {}
        for key, (title, effect) in COMMANDS.items():
            button = QRadioButton(f"{title}: {effect}", self)
            button.setObjectName(f"command:{key}")
            self.commands.addButton(button)
            self.command_buttons[key] = button
            choices.addWidget(button)
        self.command_buttons.get(command, self.command_buttons[FORCE_OPEN]).setChecked(True)
        self.ttl = QSpinBox(self)
        self.ttl.setRange(0, 999)
        self.ttl.setSpecialValueText("choose")  # no default: how long is the operator's call
        self.ttl_unit = QComboBox(self)
        for name, seconds in UNITS:
            self.ttl_unit.addItem(name, seconds)
        self.ttl_unit.setCurrentIndex(1)
        ttl_row = QHBoxLayout()
        ttl_row.addWidget(self.ttl)
        ttl_row.addWidget(self.ttl_unit)
        ttl_row.addStretch(1)
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText("Why, for the audit log and whoever looks next")
        form = QFormLayout()
        form.addRow("Now", self.current)
        form.addRow("Do", choices)
        form.addRow("For", ttl_row)
        form.addRow("Reason", self.reason)
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {self._colours.danger};")
        buttons = QDialogButtonBox(self)
        self.apply_button: QPushButton = buttons.addButton(
            "Apply", QDialogButtonBox.ButtonRole.AcceptRole
        )
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)  # Enter must never force a breaker by accident
        self.apply_button.setAutoDefault(False)
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.problem)
        layout.addWidget(self.action_runner.status)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.commands.buttonToggled.connect(self._update)
        self.ttl.valueChanged.connect(self._update)
        self.ttl_unit.currentIndexChanged.connect(self._update)
        self.reason.textChanged.connect(self._update)
        self.action_runner.busy_changed.connect(self._update)

    # State ------------------------------------------------------------------------------

    def command(self) -> str:
        for key, button in self.command_buttons.items():
            if button.isChecked():
                return key
        return FORCE_OPEN

    def ttl_seconds(self) -> int:
        return int(self.ttl.value() * (self.ttl_unit.currentData() or 1))

    def problem_text(self) -> str | None:
        """What is missing before the change can be sent, or None."""
        if self.loaded is None:
            return "Loading the breaker…"
        if self.command() in FORCING:
            seconds = self.ttl_seconds()
            if seconds <= 0:
                return "Choose how long: a forced state must end by itself."
            if seconds > MAX_TTL_SECONDS:
                return "A forced state lasts at most 24 hours."
            if not self.reason.text().strip():
                return "Give a reason: whoever sees the forced breaker will ask why."
        return self._session.why_not("operator")

    def description(self) -> str:
        """The change in the imperative, for confirmations and the outcome line."""
        command, name = self.command(), edge(self.breaker)
        if command == FORCE_OPEN:
            return f"Force {name} open for {duration_words(self.ttl_seconds())}"
        if command == DISABLE:
            return f"Disable {name} for {duration_words(self.ttl_seconds())}"
        return f"{COMMANDS[command][0]} {name}"

    def preview_text(self) -> str:
        command, name = self.command(), edge(self.breaker)
        if command in FORCING:
            seconds = self.ttl_seconds()
            verb = "Force" if command == FORCE_OPEN else "Disable"
            what = f"{verb} {name}" + (" open" if command == FORCE_OPEN else "")
            if seconds <= 0:
                return f"{what}."
            ends = clock_text(self._clock.now() + seconds)
            return (
                f"{what} for {duration_words(seconds)}; it goes back by itself at {ends}. "
                "Needs a fresh TOTP code."
            )
        if command == CLOSE:
            return f"Close {name}: calls go through again and failures are counted from now."
        return f"Reset {name}: close it and forget the calls counted so far."

    def _update(self, *_: object) -> None:
        forcing = self.command() in FORCING
        self.ttl.setEnabled(forcing)
        self.ttl_unit.setEnabled(forcing)
        problem = self.problem_text()
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem) and self.loaded is not None)
        self.preview.setText(self.preview_text())
        title = COMMANDS[self.command()][0]
        self.apply_button.setText(title)
        self.apply_button.setEnabled(problem is None and not self.action_runner.busy)

    # Loading and applying ---------------------------------------------------------------

    def reload(self) -> None:
        """Read the breaker (and its ETag) again: the change is sent against this version."""
        connection = self._session.connection
        self.loaded = None
        self.current.setText("Loading…")
        self._update()
        if connection is None:
            return
        name = self.breaker.name
        self._runner.run(
            lambda: connection.cluster.breakers.get(name),
            self._loaded,
            lambda error: self.current.setText(error_sentence(error)),
            owner=self,
            name="breaker",
        )

    def _loaded(self, breaker: Breaker) -> None:
        self.breaker = self.loaded = breaker
        since = parse_time(breaker.changed_at)
        forced = parse_time(breaker.forced_until)
        text = f"● {state_word(breaker.state)} since {clock_text(since)}"
        if forced is not None:
            text += f", until {clock_text(forced)}"
        text += (
            f"; {percent(breaker.failure_rate)} failing, "
            f"{breaker.calls_in_window} calls in the window"
        )
        self.current.setText(text)
        self._update()

    def apply(self) -> None:
        loaded = self.loaded
        if loaded is None or self.problem_text() is not None:
            return
        command, name = self.command(), loaded.name
        ttl = self.ttl_seconds() if command in FORCING else None
        reason = self.reason.text().strip()

        def op(call: Call) -> Breaker:
            return call.cluster.breakers.transition(
                name,
                command,
                ttl_seconds=ttl,
                reason=reason,
                etag=loaded.etag,
                idempotency_key=call.idempotency_key,
            )

        self.action_runner.perform(
            Action(
                self.description(),
                "operator",
                op,
                destructive=command in FORCING,
                on_done=self._done,
                resource=f"breaker/{name}",
                loaded=as_json(loaded),
                current=lambda call: call.cluster.breakers.get(name),
                reload=self.reload,
            )
        )

    def _done(self, breaker: Breaker) -> None:
        self.transitioned.emit(breaker)
        self.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        # Escape while a change is in flight would hide its outcome; the dialog stays.
        if event.key() == Qt.Key.Key_Escape and self.action_runner.busy:
            return
        super().keyPressEvent(event)
