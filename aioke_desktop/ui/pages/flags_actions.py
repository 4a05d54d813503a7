"""What the Flags page can change, each change an :class:`~aioke_desktop.ui.actions.Action`.

Every edit names the version the user saw: the editor sends the ETag it loaded; a toggle
or an archive from the table first checks that the row's version is still the server's,
so a click on a row someone else just changed is refused with their name, not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ...api.errors import Problem, StaleEdit
from ...core.flag_ramps import FlagRamp
from ...core.flags import Flag
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner, is_alive
from ..actions import Action, ActionRunner, Call
from ..dialogs.action_prompts import stale_sentence
from ..dialogs.compare import as_json
from ..dialogs.flag_editor import FlagEditor
from ..dialogs.flag_evaluate import FlagEvaluateDialog
from ..dialogs.flag_ramp import FlagRampDialog
from ..theme import StatusColours


def shown_version_etag(call: Call, shown: Flag) -> str:
    """The ETag of ``shown``'s version, or :class:`StaleEdit` naming who changed it since.

    Worked out once per action (kept in ``call.memo``), so a retry sends the same If-Match
    and is answered from the server's idempotency record.
    """
    tag = call.memo.get("etag")
    if isinstance(tag, str):
        return tag
    current = call.cluster.flags.get(shown.key)
    if current.version != shown.version or not current.etag:
        history = call.cluster.flags.history(shown.key, limit=1000)
        last = history[-1] if history else None
        raise StaleEdit(
            412,
            Problem(
                type="stale-edit",
                extra={
                    "changed_by": last.actor if last else None,
                    "changed_at": last.time if last else current.updated_at,
                    "current_etag": current.etag,
                },
            ),
        )
    call.memo["etag"] = current.etag
    return current.etag


class FlagActions(QObject):
    """Create, edit, switch, archive and evaluate flags from the Flags page.

    Args:
        runner: the task runner.
        session: whose roles and connection count.
        page: parent of the dialogs and of the status line (``actions.status``).

    Signals:
        changed(Flag): the server answered with a new version of a flag (show it).
        ramp_changed(FlagRamp): a ramp was started or stopped (show it).
    """

    changed = Signal(object)
    ramp_changed = Signal(object)

    def __init__(
        self, runner: TaskRunner, session: Session, page: QWidget, colours: StatusColours
    ) -> None:
        super().__init__(page)
        self._runner = runner
        self._session = session
        self._page = page
        self.colours = colours
        self.actions = ActionRunner(runner, session, page)
        self.editor: FlagEditor | None = None
        self.ramp_dialog: FlagRampDialog | None = None

    # The editor -------------------------------------------------------------------------

    def new_flag(self, flag_keys: Sequence[str]) -> None:
        connection = self._session.connection
        owner = connection.username if connection else ""
        editor = self._editor(None, flag_keys, owner)
        editor.save_requested.connect(lambda changes: self._create(editor, changes))

    def edit(self, key: str, flag_keys: Sequence[str]) -> None:
        """Load ``key`` with its ETag, then open the editor on that version."""

        def opened(flag: Flag) -> None:
            editor = self._editor(flag, flag_keys, flag.owner)
            editor.save_requested.connect(lambda changes: self._update(editor, changes))

        self._load(key, opened)

    def _editor(self, flag: Flag | None, keys: Sequence[str], owner: str) -> FlagEditor:
        editor = FlagEditor(
            flag,
            flag_keys=keys,
            owner=owner,
            session=self._session,
            colours=self.colours,
            parent=self._page,
        )
        self.editor = editor
        self.actions.open_dialog(editor)
        return editor

    def _create(self, editor: FlagEditor, changes: dict[str, Any]) -> None:
        settings = dict(changes)
        key = str(settings.pop("key"))
        self.actions.perform(
            Action(
                f"Create flag {key}",
                "operator",
                lambda call: call.cluster.flags.create(
                    key, settings, idempotency_key=call.idempotency_key
                ),
                on_done=lambda flag: self._saved(editor, flag),
                on_failed=lambda sentence: _not_saved(editor, sentence),
                resource=f"flag/{key}",
            )
        )

    def _update(self, editor: FlagEditor, changes: dict[str, Any]) -> None:
        loaded = editor.flag
        assert loaded is not None
        key, etag = loaded.key, loaded.etag
        self.actions.perform(
            Action(
                f"Save flag {key}",
                "operator",
                lambda call: call.cluster.flags.update(
                    key, changes, etag=etag, idempotency_key=call.idempotency_key
                ),
                on_done=lambda flag: self._saved(editor, flag),
                on_failed=lambda sentence: _not_saved(editor, sentence),
                resource=f"flag/{key}",
                loaded=as_json(loaded),
                current=lambda call: call.cluster.flags.get(key),
                reload=lambda: self._load(key, lambda flag: _reload(editor, flag)),
            )
        )

    def _saved(self, editor: FlagEditor, flag: Flag) -> None:
        self.changed.emit(flag)
        if is_alive(editor):
            editor.accept()

    def heard_of(self, flag: Flag, actor: str | None, time: str) -> None:
        """A newer version arrived from the feed: an editor open on an older one says so
        now, rather than when its Save is refused."""
        editor, connection = self.editor, self._session.connection
        if editor is None or not is_alive(editor) or editor.flag is None:
            return
        mine = connection is not None and actor == connection.username
        if editor.flag.key == flag.key and flag.version > editor.flag.version and not mine:
            changed = stale_sentence(f"flag/{flag.key}", actor, time)
            editor.show_problems([f"{changed} Saving will be refused: reload first."])

    # From the table ---------------------------------------------------------------------

    def toggle(self, shown: Flag) -> None:
        """Switch ``shown`` on or off, if it is still the version on the server."""
        turn_on = not shown.enabled
        self.actions.perform(
            Action(
                f"Turn {shown.key} {'on' if turn_on else 'off'}",
                "operator",
                lambda call: call.cluster.flags.update(
                    shown.key,
                    {"enabled": turn_on},
                    etag=shown_version_etag(call, shown),
                    idempotency_key=call.idempotency_key,
                ),
                on_done=self.changed.emit,
                **self._stale_help(shown),
            )
        )

    def archive(self, shown: Flag) -> None:
        self.actions.perform(
            Action(
                f"Archive flag {shown.key}",
                "operator",
                lambda call: call.cluster.flags.archive(
                    shown.key,
                    etag=shown_version_etag(call, shown),
                    idempotency_key=call.idempotency_key,
                ),
                confirm="It evaluates off for everyone from now on and can no longer be edited.",
                on_done=self.changed.emit,
                **self._stale_help(shown),
            )
        )

    def evaluate(self, flag: Flag) -> None:
        self.actions.open_dialog(
            FlagEvaluateDialog(
                flag,
                runner=self._runner,
                session=self._session,
                colours=self.colours,
                parent=self._page,
            )
        )

    # Ramps ------------------------------------------------------------------------------

    def ramp(self, shown: Flag) -> None:
        """Ask for the services with an SLO, then open the ramp dialog on ``shown``."""
        connection = self._session.connection
        if connection is None:
            self.actions.status.show_failure("Log in first.")
            return
        self.actions.status.show_busy("Loading the services a ramp can be gated on…")

        def opened(services: list[str]) -> None:
            self.actions.status.show_note(f"{len(services)} services have an SLO to gate on.")
            dialog = FlagRampDialog(shown, services, colours=self.colours, parent=self._page)
            dialog.start_requested.connect(lambda body: self._start_ramp(dialog, shown, body))
            self.ramp_dialog = dialog
            self.actions.open_dialog(dialog)

        self._runner.run(
            lambda: sorted({slo.service for slo in connection.cluster.slos()}),
            opened,
            lambda error: self.actions.status.show_failure(error_sentence(error)),
            owner=self,
            name="ramp services",
        )

    def _start_ramp(self, dialog: FlagRampDialog, shown: Flag, body: dict[str, Any]) -> None:
        def started(ramp: FlagRamp) -> None:
            self.ramp_changed.emit(ramp)
            if is_alive(dialog):
                dialog.accept()

        def not_started(sentence: str) -> None:
            if is_alive(dialog):
                dialog.show_problem(sentence)

        self.actions.perform(
            Action(
                f"Start the ramp of {shown.key}",
                "operator",
                lambda call: call.cluster.flags.start_ramp(
                    shown.key,
                    body,
                    etag=shown_version_etag(call, shown),
                    idempotency_key=call.idempotency_key,
                ),
                on_done=started,
                on_failed=not_started,
                **self._stale_help(shown),
            )
        )

    def stop_ramp(self, shown: Flag) -> None:
        """Stop ``shown``'s ramp; the rollout stays where the ramp left it."""
        self.actions.perform(
            Action(
                f"Stop the ramp of {shown.key}",
                "operator",
                lambda call: call.cluster.flags.stop_ramp(
                    shown.key,
                    etag=shown_version_etag(call, shown),
                    idempotency_key=call.idempotency_key,
                ),
                confirm=f"The rollout of {shown.key} stays at {shown.rollout_percentage} %.",
                on_done=self.ramp_changed.emit,
                **self._stale_help(shown),
            )
        )

    def _stale_help(self, shown: Flag) -> dict[str, Any]:
        key = shown.key
        return {
            "resource": f"flag/{key}",
            "loaded": as_json(shown),
            "current": lambda call: call.cluster.flags.get(key),
            "reload": lambda: self._load(key, lambda _flag: None),
        }

    def _load(self, key: str, then: Callable[[Flag], None]) -> None:
        """Fetch ``key`` (its ETag is remembered), show it in the table, then ``then``."""
        connection = self._session.connection
        if connection is None:
            self.actions.status.show_failure("Log in first.")
            return
        self.actions.status.show_busy(f"Loading flag {key}…")

        def loaded(flag: Flag) -> None:
            self.actions.status.show_note(f"Loaded version {flag.version} of {key}.")
            self.changed.emit(flag)
            then(flag)

        self._runner.run(
            lambda: connection.cluster.flags.get(key),
            loaded,
            lambda error: self.actions.status.show_failure(error_sentence(error)),
            owner=self,
            name=f"load flag {key}",
        )


def _not_saved(editor: FlagEditor, sentence: str) -> None:
    if is_alive(editor):
        editor.set_busy(False)
        editor.show_problems([sentence])


def _reload(editor: FlagEditor, flag: Flag) -> None:
    if is_alive(editor):
        editor.load(flag)
        editor.show_problems([f"Reloaded version {flag.version}; make your change again."])
