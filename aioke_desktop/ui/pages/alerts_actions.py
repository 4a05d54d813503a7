"""What the Alerts page can do about an alert: acknowledge it (a silence in Alertmanager in
the user's name), expire a silence, and open the runbook the alert names with its
parameters filled from the alert's labels: from the page to the remedy in one click."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from ...api.errors import NotFound
from ...core.alert_runbooks import runbook_params
from ...core.alert_state import CurrentAlert
from ...core.alerts import Silence
from ...core.runbooks import Runbook
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..actions import Action, ActionRunner, Call
from ..dialogs.runbook_run import RunbookRunDialog
from ..dialogs.silence_alert import SilenceAlertDialog, SilenceRequest
from ..theme import StatusColours

NO_ALERTMANAGER = "This context has no Alertmanager, and silences live in Alertmanager."


class AlertActions(QObject):
    """Acknowledge, expire and run-the-runbook for the Alerts page.

    Args:
        page: parent of the dialogs and of the status line (``actions.status``).

    Signals:
        changed(): a silence was created or expired; the page reloads.
        runbook_opened(RunbookRunDialog): the run dialog is open, parameters filled.
    """

    changed = Signal()
    runbook_opened = Signal(object)

    def __init__(
        self, runner: TaskRunner, session: Session, page: QWidget, colours: StatusColours
    ) -> None:
        super().__init__(page)
        self._runner = runner
        self._session = session
        self._page = page
        self.colours = colours
        self.actions = ActionRunner(runner, session, page)
        self.dialog: SilenceAlertDialog | None = None
        self.runbook_dialog: RunbookRunDialog | None = None
        # Opens a runbook's URL when the cluster has no runbook of that id (tests replace it).
        self.open_url: Callable[[str], object] = lambda url: QDesktopServices.openUrl(QUrl(url))

    def why_not_silence(self) -> str | None:
        connection = self._session.connection
        if connection is not None and connection.alertmanager is None:
            return NO_ALERTMANAGER
        return None

    # Acknowledge ------------------------------------------------------------------------

    def acknowledge(self, alert: CurrentAlert) -> SilenceAlertDialog | None:
        """Ask how long and why, then create the silence."""
        connection = self._session.connection
        if connection is None or self.why_not_silence() or self._session.why_not("operator"):
            return None
        dialog = SilenceAlertDialog(alert, connection.username, self._page)
        dialog.accepted.connect(lambda: self.silence(alert, dialog.request()))
        self.dialog = dialog
        self.actions.open_dialog(dialog)
        return dialog

    def silence(self, alert: CurrentAlert, request: SilenceRequest) -> bool:
        """Create the silence ``request`` describes, authored by the logged-in user."""

        def op(call: Call) -> str:
            alertmanager = call.connection.alertmanager
            if alertmanager is None:
                raise RuntimeError(NO_ALERTMANAGER)
            now = time.time()
            return alertmanager.create_silence(
                request.matchers,
                starts_at=now,
                ends_at=now + request.seconds,
                created_by=call.connection.username,
                comment=request.comment,
            )

        return self.actions.perform(
            Action(
                request.describe(alert.name),
                "operator",
                op,
                on_done=lambda _id: self.changed.emit(),
                resource=f"alert/{alert.name}",
            )
        )

    def expire(self, silence: Silence) -> bool:
        """End ``silence`` now; the alerts it muted notify again."""

        def op(call: Call) -> None:
            alertmanager = call.connection.alertmanager
            if alertmanager is None:
                raise RuntimeError(NO_ALERTMANAGER)
            alertmanager.expire_silence(silence.id)

        return self.actions.perform(
            Action(
                f"Expire the silence by {silence.created_by or 'someone'}",
                "operator",
                op,
                on_done=lambda _: self.changed.emit(),
                resource=f"silence/{silence.id}",
            )
        )

    # Runbook ----------------------------------------------------------------------------

    def open_runbook(self, alert: CurrentAlert, now: Callable[[], float] = time.time) -> bool:
        """Load the runbook ``alert`` names and open its run dialog, parameters filled; a
        runbook URL the cluster does not know is opened in the browser instead."""
        ref, connection = alert.runbook, self._session.connection
        if ref is None or connection is None:
            return False
        self.actions.status.show_busy(f"Loading runbook {ref.runbook_id}…")

        def loaded(runbook: Runbook) -> None:
            self.actions.status.show_note("")
            self._open_dialog(runbook, runbook_params(ref, runbook.parameters, alert.labels), now)

        def failed(error: BaseException) -> None:
            if isinstance(error, NotFound) and ref.url:
                self.actions.status.show_note(f"Opened {ref.url} in the browser.")
                self.open_url(ref.url)
                return
            if isinstance(error, NotFound):
                sentence = f"The cluster has no runbook “{ref.runbook_id}”."
            else:
                sentence = error_sentence(error)
            self.actions.status.show_failure(f"Could not open the runbook: {sentence}")

        self._runner.run(
            lambda: connection.cluster.runbooks.get(ref.runbook_id),
            loaded,
            failed,
            owner=self,
            name="runbook for alert",
        )
        return True

    def _open_dialog(
        self, runbook: Runbook, params: dict[str, str], now: Callable[[], float]
    ) -> None:
        dialog = RunbookRunDialog(
            self._runner, self._session, runbook, self.colours, now, self._page
        )
        for name, value in params.items():
            if name in dialog.form.editors:
                dialog.form.set_value(name, value)
        self.runbook_dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.runbook_opened.emit(dialog)
