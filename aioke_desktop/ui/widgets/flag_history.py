"""One flag's history from the audit log, for the Flags page: its rows and their details."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.activity import AuditEntry
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..theme import StatusColours
from .audit_view import AuditView

HISTORY_LIMIT = 1000
NOTHING_CHOSEN = "History: select a flag to see its changes."


class FlagHistory(QWidget):
    """A title naming the flag and an :class:`AuditView` of its changes, newest first."""

    def __init__(
        self, runner: TaskRunner, session: Session, colours: StatusColours, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._session = session
        self.key: str | None = None
        self.title = QLabel(NOTHING_CHOSEN, self)
        self.view = AuditView(colours, self, hidden_columns=("Resource",))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)

    def show_flag(self, key: str | None) -> None:
        """Show ``key``'s history (None: nothing chosen); the same key again does nothing."""
        if key == self.key:
            return
        self.key = key
        self.view.model.clear()
        if key is None:
            self.title.setText(NOTHING_CHOSEN)
        else:
            self.reload()

    def reload(self) -> None:
        """Fetch the chosen flag's history again (an event said it changed)."""
        key, connection = self.key, self._session.connection
        if key is None or connection is None:
            return
        self.title.setText(f"History of {key}: loading…")

        def show(entries: list[AuditEntry]) -> None:
            if key != self.key:
                return
            self.view.model.append(entries)
            if self.view.selected() is None and entries:
                self.view.table.selectRow(0)  # the newest change, in detail
            count = self.view.model.rowCount()
            self.title.setText(f"History of {key} ({count} changes, newest first)")

        def failed(error: BaseException) -> None:
            if key == self.key:
                self.title.setText(f"History of {key}: {error_sentence(error)}")

        self._runner.run(
            lambda: connection.cluster.flags.history(key, limit=HISTORY_LIMIT),
            show,
            failed,
            owner=self,
            name="flag history",
        )
