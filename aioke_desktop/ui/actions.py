"""The one way an operations page changes the cluster, with the guard rails every page shares.

A page builds one :class:`ActionRunner` and describes each change as an :class:`Action`::

    self.actions = ActionRunner(runner, session, self)          # one per page
    layout.addWidget(self.actions.status)                        # busy bar, outcome, Retry
    gate_by_role(self.edit_button, session, "operator")          # off + reason as tooltip
    self.actions.perform(Action(
        "Turn checkout-v2 on", "operator",
        lambda call: call.cluster.flags.update(
            "checkout-v2", {"enabled": True}, etag=loaded.etag,
            idempotency_key=call.idempotency_key),
        on_done=self.show_flag,
        loaded=loaded_json,                                     # Compare's "before"
        current=lambda call: call.cluster.flags.get("checkout-v2"),
        reload=self.reload_flag,                                # Reload after a 412
    ))

:meth:`ActionRunner.perform` then, in order:

1. refuses when ``session.why_not(role)`` gives a reason (the button should already be off);
2. asks for confirmation when the context is tagged production, or the action has a
   ``confirm`` question (declined: nothing is sent);
3. asks for a step-up TOTP first when the action is ``destructive``;
4. runs ``op(call)`` on the task runner's short lane, showing "…" progress in ``status``;
5. on :class:`StepUpRequired` asks for the TOTP and sends again with the *same*
   Idempotency-Key (``call.idempotency_key``; ops pass it to the client), as does the
   status line's Retry after any other failure, so a repeat can never act twice;
6. on :class:`StaleEdit` (412) says "changed by X at T since you loaded it" and offers
   Reload (``action.reload``) and Compare (``action.loaded`` against ``action.current``);
7. reports any other failure as the error's one plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from ..api.calls import new_idempotency_key
from ..api.errors import StaleEdit, StepUpRequired
from ..runtime.poller import error_sentence
from ..runtime.session import Session
from ..runtime.task_runner import TaskRunner
from .action_spec import Action, Call
from .dialogs.action_prompts import ConfirmChangeDialog, StaleEditDialog, stale_sentence
from .dialogs.compare import CompareDialog, as_json
from .role_gate import RoleGate, gate_by_role
from .step_up_prompt import StepUpPrompt, TotpStepUp
from .widgets.action_status import ActionStatus

__all__ = ["Action", "ActionRunner", "Call", "RoleGate", "StepUpPrompt", "gate_by_role"]


@dataclass
class _Attempt:
    """One perform() of an action: its Call (and key) outlives every retry."""

    action: Action
    call: Call
    step_ups: int = 0


class ActionRunner(QObject):
    """Runs :class:`Action` objects with confirmation, step-up, progress and plain failures.

    Args:
        runner: the task runner (every request goes through it).
        session: for ``why_not`` and the connection.
        parent_widget: parent of the dialogs and of :attr:`status`.
        step_up: the TOTP prompt; by default ``session.step_up_prompt`` (the app's step-up
            dialog) when it is set, else a small built-in one (:class:`TotpStepUp`). A prompt
            does not ask while the session is still stepped up.

    Signals:
        started(str): an action was sent (its description).
        succeeded(str): it was done.
        failed(str): it failed or was refused; the plain sentence.
        cancelled(str): the user declined a confirmation or a step-up; nothing was sent.
        dialog_opened(QDialog): a confirmation, step-up, stale-edit or compare dialog opened.
        busy_changed(bool): actions are in flight (True) or none are (False).
    """

    started = Signal(str)
    succeeded = Signal(str)
    failed = Signal(str)
    cancelled = Signal(str)
    dialog_opened = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        parent_widget: QWidget,
        *,
        step_up: StepUpPrompt | None = None,
    ) -> None:
        super().__init__(parent_widget)
        self._runner = runner
        self._session = session
        self._parent = parent_widget
        self._step_up = step_up
        self._fallback_step_up = TotpStepUp(runner, self, self.open_dialog)
        self._in_flight = 0
        self.status = ActionStatus(parent_widget)

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    def perform(self, action: Action) -> bool:
        """Start ``action``; False when it was refused at once (role, read-only, no login)."""
        connection = self._session.connection
        reason = self._session.why_not(action.role)
        if reason is not None or connection is None:
            self._refuse(action, reason or "Log in first.")
            return False
        attempt = _Attempt(action, Call(connection, new_idempotency_key()))
        context = connection.context
        if context.production or action.confirm:
            production = context.name if context.production else None
            dialog = ConfirmChangeDialog(
                action.description, action.confirm, production, self._parent
            )
            dialog.accepted.connect(lambda: self._step_up_then_send(attempt))
            dialog.rejected.connect(lambda: self._cancel(action))
            self.open_dialog(dialog)
        else:
            self._step_up_then_send(attempt)
        return True

    # The steps --------------------------------------------------------------------------

    def _step_up_then_send(self, attempt: _Attempt) -> None:
        if attempt.action.destructive:
            self._ask_step_up(attempt, f"{attempt.action.description}: this needs a fresh code.")
        else:
            self._send(attempt)

    def _ask_step_up(self, attempt: _Attempt, reason: str) -> None:
        def then(ok: bool) -> None:
            if not ok:
                self._cancel(attempt.action)
                return
            self._send(attempt)

        attempt.step_ups += 1
        prompt = self._step_up or self._session.step_up_prompt or self._fallback_step_up
        prompt(self._parent, attempt.call.connection, reason, then)

    def _send(self, attempt: _Attempt) -> None:
        action = attempt.action
        # A dialog may have stayed open while the session changed: check again.
        reason = self._session.why_not(action.role)
        if reason is None and self._session.connection is not attempt.call.connection:
            reason = "The connection changed since you started this; nothing was sent."
        if reason is not None:
            self._refuse(action, reason)
            return
        self._set_in_flight(+1)
        self.status.show_busy(f"{action.description}…")
        self.started.emit(action.description)
        self._runner.run(
            lambda: action.op(attempt.call),
            lambda result: self._done(attempt, result),
            lambda error: self._error(attempt, error),
            owner=self,
            name=action.description,
        )

    def _done(self, attempt: _Attempt, result: Any) -> None:
        self._set_in_flight(-1)
        action = attempt.action
        self.status.show_done(f"Done: {action.description}.")
        self.succeeded.emit(action.description)
        if action.on_done is not None:
            action.on_done(result)

    def _error(self, attempt: _Attempt, error: BaseException) -> None:
        self._set_in_flight(-1)
        action = attempt.action
        if isinstance(error, StepUpRequired) and attempt.step_ups < 2:
            self.status.show_note("Waiting for your TOTP code…")
            self._ask_step_up(attempt, error.message)
            return
        if isinstance(error, StaleEdit):
            self._stale(attempt, error)
            return
        sentence = error_sentence(error)
        self.status.show_failure(
            f"Could not {_lower_first(action.description)}: {sentence}",
            retry=lambda: self._send(attempt),
        )
        self._report_failure(action, sentence)

    # Outcomes ---------------------------------------------------------------------------

    def _stale(self, attempt: _Attempt, error: StaleEdit) -> None:
        action = attempt.action
        sentence = (
            stale_sentence(action.resource, error.changed_by, error.changed_at)
            if error.changed_by
            else error.message  # it changed by itself (a breaker tripped): the server says how
        )
        self.status.show_failure(f"Not saved: {sentence}")
        self._report_failure(action, sentence)
        dialog = StaleEditDialog(
            sentence,
            can_reload=action.reload is not None,
            can_compare=action.current is not None,
            parent=self._parent,
        )
        if action.reload is not None:
            dialog.reload_requested.connect(action.reload)
        dialog.compare_requested.connect(lambda: self._compare(attempt))
        self.open_dialog(dialog)

    def _compare(self, attempt: _Attempt) -> None:
        action = attempt.action
        fetch = action.current
        if fetch is None:
            return
        self.status.show_busy("Loading the version on the server…")

        def show(current: Any) -> None:
            self.status.show_note("")
            title = action.resource or action.description
            self.open_dialog(
                CompareDialog(title, action.loaded, as_json(current), parent=self._parent)
            )

        self._runner.run(
            lambda: fetch(attempt.call),
            show,
            lambda error: self.status.show_failure(error_sentence(error)),
            owner=self,
            name="compare",
        )

    def _refuse(self, action: Action, reason: str) -> None:
        self.status.show_failure(f"Could not {_lower_first(action.description)}: {reason}")
        self._report_failure(action, reason)

    def _report_failure(self, action: Action, sentence: str) -> None:
        self.failed.emit(sentence)
        if action.on_failed is not None:
            action.on_failed(sentence)

    def _cancel(self, action: Action) -> None:
        self.status.show_note(f"Cancelled: {_lower_first(action.description)}. Nothing was sent.")
        self.cancelled.emit(action.description)
        if action.on_failed is not None:
            action.on_failed("Cancelled; nothing was sent.")

    # Helpers ----------------------------------------------------------------------------

    def open_dialog(self, dialog: QDialog) -> None:
        """Open ``dialog`` window-modal without blocking, deleted when it closes; pages open
        their own dialogs (an editor) this way so that ``dialog_opened`` tells of them too."""
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialog_opened.emit(dialog)

    def _set_in_flight(self, change: int) -> None:
        was = self.busy
        self._in_flight += change
        if was != self.busy:
            self.busy_changed.emit(self.busy)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text
