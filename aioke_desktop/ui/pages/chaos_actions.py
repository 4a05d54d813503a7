"""What the Chaos page's buttons do: launch, abort, HALT ALL, resume and the safety settings,
each through the page's :class:`ActionRunner` (role, production confirmation, step-up,
one Idempotency-Key across retries, a plain sentence on failure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog

from ...core.chaos import ChaosRun
from ..actions import Action, ActionRunner
from ..dialogs.chaos_controls import HaltDialog, SafetyDialog
from ..dialogs.chaos_launch import ChaosLaunchDialog
from ..halt_chaos import halt_all_action

if TYPE_CHECKING:
    from .chaos import ChaosPage

D = TypeVar("D", bound=QDialog)


class ChaosActions(QObject):
    """The chaos levers of one page.

    Attributes:
        runner: the :class:`ActionRunner`; its ``status`` line sits under the page's toolbar.
        dialog: the dialog opened last (tests and screenshots reach it here).
    """

    def __init__(self, page: ChaosPage) -> None:
        super().__init__(page)
        self._page = page
        self.runner = ActionRunner(page.runner, page.session, page)
        self.dialog: QDialog | None = None

    def open_launch(self) -> ChaosLaunchDialog | None:
        page = self._page
        snapshot = page.snapshot
        if snapshot is None or page.session.why_not("chaos") is not None:
            return None
        ref = snapshot.reference
        dialog = ChaosLaunchDialog(
            page.runner,
            page.session,
            catalog=ref.catalog,
            services=ref.services,
            slos=ref.slos,
            safety=snapshot.safety,
            colours=page.colours,
            parent=page,
        )
        dialog.launched.connect(self._launched)
        return self._open(dialog)

    def _launched(self, run: ChaosRun) -> None:
        self._page.select_when_shown(run.id)
        self._page.refresh()

    def abort(self, run: ChaosRun) -> None:
        run_id = run.id
        self.runner.perform(
            Action(
                f"Abort chaos run {run_id} ({run.fault} on {run.target})",
                "chaos",
                lambda call: call.cluster.chaos.abort(
                    run_id, "aborted from the desktop", idempotency_key=call.idempotency_key
                ),
                on_done=self._refresh,
                resource=f"chaos/runs/{run_id}",
            )
        )

    def open_halt(self) -> HaltDialog | None:
        page = self._page
        if page.session.why_not("chaos") is not None:
            return None
        running = sum(1 for run in page.model.items() if run.active)
        dialog = HaltDialog(running, page)
        dialog.halt_requested.connect(self.halt_all)
        return self._open(dialog)

    def halt_all(self, reason: str) -> None:
        self.runner.perform(halt_all_action(reason, on_done=self._refresh))

    def resume(self) -> None:
        self.runner.perform(
            Action(
                "Resume chaos",
                "chaos",
                lambda call: call.cluster.chaos.resume(idempotency_key=call.idempotency_key),
                on_done=self._refresh,
                resource="chaos",
            )
        )

    def open_safety(self) -> SafetyDialog | None:
        page = self._page
        snapshot = page.snapshot
        if snapshot is None or page.session.why_not("admin") is not None:
            return None
        safety = snapshot.safety
        dialog = SafetyDialog(safety.values, page)

        def save(values: dict[str, Any]) -> None:
            self.runner.perform(
                Action(
                    "Change the chaos safety settings",
                    "admin",
                    lambda call: call.cluster.chaos.set_safety(values, etag=safety.etag),
                    on_done=self._refresh,
                    resource="chaos/safety",
                    loaded=dict(safety.values),
                    current=lambda call: call.cluster.chaos.safety().values,
                    reload=page.refresh,
                )
            )

        dialog.save_requested.connect(save)
        return self._open(dialog)

    def _refresh(self, _result: object = None) -> None:
        self._page.refresh()

    def _open(self, dialog: D) -> D:
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog
