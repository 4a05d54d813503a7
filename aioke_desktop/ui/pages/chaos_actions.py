"""What the Chaos page's buttons do: launch, abort, resume and the safety settings,
each through the page's :class:`ActionRunner` (role, production confirmation, step-up,
one Idempotency-Key across retries, a plain sentence on failure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog

from ...core.chaos import ChaosRun
from ..actions import Action, ActionRunner
from ..dialogs.chaos_controls import SafetyDialog
from ..dialogs.chaos_launch import ChaosLaunchDialog
from ..halt_chaos import RESUME_CONFIRM, resume_action

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

    def resume(self) -> None:
        """The same resume as the window's "Chaos halted — Resume…" (halting is the window's)."""
        self.runner.perform(resume_action(on_done=self._refresh, confirm=RESUME_CONFIRM))

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
