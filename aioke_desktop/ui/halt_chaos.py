"""HALT ALL CHAOS in the main window, under the sidebar, whatever page is shown.

The worst moment to go looking for the Chaos page is when chaos is hurting production, so
the stop is always one click away: a reason, a fresh TOTP code, and every run ends and every
launch is refused until someone resumes chaos. While chaos is halted the same place says so
and offers "Resume…" (with a confirmation) to whoever may resume it. The tray's menu and the
Chaos page's banner send the very same actions (:func:`halt_all_action`, :func:`resume_action`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QToolButton

from ..core.activity import ClusterEvent
from ..runtime.event_feed import EventFeed
from ..runtime.session import Connection, Session
from ..runtime.task_runner import TaskRunner
from .actions import Action, ActionRunner, Call
from .dialogs.chaos_controls import HaltDialog
from .models.rows import clock_text, parse_time
from .theme import StatusColours, Theme

HALT_CONFIRM = (
    "Every running chaos experiment ends now, and no new one can start until someone resumes chaos."
)
RESUME_CONFIRM = "Chaos experiments can be launched again; the runs the halt ended stay ended."
HALT_TEXT = "HALT ALL CHAOS"
HALT_TIP = "End every chaos run now and refuse launches until resumed"
RESUME_TEXT = "Chaos halted —\nResume…"
# The server's events that halt or resume chaos (both on its ``chaos`` resource).
HALT_KINDS = ("chaos.halt", "chaos.resume")


def halt_all_action(
    reason: str, on_done: Callable[[Any], object] | None = None, *, confirm: str = ""
) -> Action:
    """Halting chaos as an :class:`Action`: the chaos role and a fresh TOTP code; the
    server aborts every run and audits the halt on its ``chaos`` resource."""

    def op(call: Call) -> object:
        return call.cluster.chaos.halt(reason, idempotency_key=call.idempotency_key)

    return Action(
        "Halt all chaos",
        "chaos",
        op,
        destructive=True,
        confirm=confirm,
        on_done=on_done,
        resource="chaos",
    )


def resume_action(on_done: Callable[[Any], object] | None = None, *, confirm: str = "") -> Action:
    """Resuming chaos (launches allowed again) as an :class:`Action` on ``chaos``."""
    return Action(
        "Resume chaos",
        "chaos",
        lambda call: call.cluster.chaos.resume(idempotency_key=call.idempotency_key),
        confirm=confirm,
        on_done=on_done,
        resource="chaos",
    )


def halted_sentence(halt: Mapping[str, Any]) -> str:
    """``Chaos is halted by ana at 14:02:11 (checkout is paging).``"""
    at = clock_text(parse_time(str(halt.get("at", ""))))
    return (
        f"Chaos is halted by {halt.get('by', 'someone')} at {at} "
        f"({halt.get('reason', 'no reason given')})."
    )


class HaltAllChaos(QObject):
    """The window's HALT ALL CHAOS button, or its "Chaos halted — Resume…" while halted.

    Attributes:
        button: for the window (``MainWindow.add_emergency_stop``); off, with the reason as
            its tooltip, for a user without the chaos role or in a read-only session.
        halted: the halt in force as the server last said (None: chaos runs, or unknown).
        actions: the :class:`ActionRunner` (its outcome goes to the window's status bar).
        dialog: the reason dialog opened last.
    """

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        theme: Theme,
        window: QMainWindow,
        feed: EventFeed | None = None,
    ) -> None:
        super().__init__(window)
        self._runner = runner
        self._session = session
        self._window = window
        self._colours = theme.colours
        self.halted: Mapping[str, Any] | None = None
        self.actions = ActionRunner(runner, session, window)
        self.actions.status.hide()  # the status bar says how it went, on any page
        self.actions.succeeded.connect(lambda text: self._tell(f"Done: {text}."))
        self.actions.failed.connect(self._tell)
        self.dialog: HaltDialog | None = None
        self.button = QToolButton(window)
        self.button.setObjectName("toolbar-halt-all-chaos")
        self.button.clicked.connect(self._clicked)
        session.read_only_changed.connect(self._update)
        session.connected.connect(self._connected)
        session.disconnected.connect(self._forget)
        theme.changed.connect(self._restyle)
        if feed is not None:
            self.follow(feed)
        self._update()
        self.reload()

    def follow(self, feed: EventFeed) -> None:
        """Hear of a halt or resume by anyone (another desktop, a runbook) as it happens."""
        feed.arrived.connect(self._on_events)

    # What a click does ------------------------------------------------------------------

    def open(self) -> HaltDialog | None:
        """Ask why; the halt itself follows with a step-up."""
        if self._session.why_not("chaos") is not None:
            return None
        dialog = HaltDialog(None, self._window)
        dialog.halt_requested.connect(self.halt)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    def halt(self, reason: str) -> None:
        self.actions.perform(halt_all_action(reason, on_done=self._changed))

    def resume(self) -> None:
        """Allow launches again, after a confirmation."""
        self.actions.perform(resume_action(on_done=self._changed, confirm=RESUME_CONFIRM))

    def _clicked(self) -> None:
        if self.halted is None:
            self.open()
        else:
            self.resume()

    # What the server says ---------------------------------------------------------------

    def reload(self) -> None:
        """Read whether chaos is halted now."""
        connection = self._session.connection
        if connection is None:
            return

        def show(halt: Mapping[str, Any] | None) -> None:
            if connection is self._session.connection:
                self.halted = halt
                self._update()

        def failed(_error: BaseException) -> None:
            """The button stays as it was: halting twice is harmless, and the event feed or
            the next login reads the halt again (the window's lights say what is down)."""

        self._runner.run(
            lambda: connection.cluster.chaos.halt_state(),
            show,
            failed,
            owner=self,
            name="chaos halt",
        )

    def _on_events(self, events: list[ClusterEvent]) -> None:
        if any(event.kind in HALT_KINDS for event in events):
            self.reload()

    def _changed(self, _result: object = None) -> None:
        self.reload()

    def _connected(self, _connection: Connection) -> None:
        self._update()  # the new user's role, at once; the halt once read
        self.reload()

    def _forget(self, _connection: Connection | None = None) -> None:
        self.halted = None
        self._update()

    # Drawing ----------------------------------------------------------------------------

    def _update(self, *_: object) -> None:
        why = self._session.why_not("chaos")
        button = self.button
        button.setEnabled(why is None)
        if self.halted is None:
            button.setText(HALT_TEXT)
            button.setToolTip(why or HALT_TIP)
        else:
            halted = halted_sentence(self.halted)
            # Two lines: the sidebar is narrow, and an elided "Chaos ha…" says nothing.
            button.setText(RESUME_TEXT if why is None else "Chaos halted")
            button.setToolTip(
                f"{halted} Resume to allow launches again."
                if why is None
                else f"{halted} Resuming: {why}"
            )
        self._restyle(self._colours)

    def _tell(self, sentence: str) -> None:
        self._window.statusBar().showMessage(sentence, 15_000)

    def _restyle(self, colours: StatusColours) -> None:
        self._colours = colours
        # Red to stop chaos; amber while it is stopped, as the Chaos page's banner says.
        background = colours.banner_danger_bg if self.halted is None else colours.banner_warning_bg
        self.button.setStyleSheet(
            f"QToolButton {{ background: {background}; color: "
            f"{colours.banner_text}; font-weight: 700; padding: 8px 4px; border-radius: 4px; }}"
            f" QToolButton:disabled {{ background: {colours.unknown}; }}"
        )
