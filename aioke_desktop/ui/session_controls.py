"""From a context to a logged-in window: the login and step-up dialogs, the context editor,
the connection lights, the session label, and the read-only switch, wired together.

The window lays these out; this object decides what they do. Everything it needs is passed
in by :mod:`aioke_desktop.app`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..config import AppConfig, ConfigStore
from ..core.cluster import Me
from ..core.contexts import Context
from ..core.keyring_guard import SecretStore
from ..runtime.endpoints import EndpointWatch
from ..runtime.login import Connect, LoginFlow
from ..runtime.poller import error_sentence
from ..runtime.session import Connection, Session
from ..runtime.step_up import StepUps
from ..runtime.task_runner import TaskRunner, is_alive
from .dialogs.context_editor import ContextEditor
from .dialogs.login import LoginDialog
from .dialogs.step_up import StepUpPrompter
from .main_window import MainWindow
from .theme import Theme
from .widgets.banner import BannerKind

log = logging.getLogger(__name__)

NO_CONTEXT = "No cluster is set up yet: add one to log in."


def _reaches(context: Context) -> tuple[object, ...]:
    """What decides where a context's requests go and as whom."""
    c = context
    return (c.control_plane_url, c.prometheus_url, c.alertmanager_url, c.tls, c.username,
            c.allow_plain_http_credentials)  # fmt: skip


class SessionControls(QObject):
    """Owns the login flow and the dialogs around the session.

    Args:
        window: the main window (its login action, read-only switch, lights and label).
        runner: every request, keyring access and file write goes through it.
        session: the shared session.
        theme: colours for the dialogs.
        store: where the context editor's changes are written.
        config: the settings as they are now.
        active: the context the window shows now.
        connect: builds a context's clients (tests inject faults here).
        keyring_store: builds the password store (tests pass their keyring).

    Signals:
        config_changed(AppConfig): the context editor's changes were written to the file.
    """

    config_changed = Signal(object)

    def __init__(
        self,
        *,
        window: MainWindow,
        runner: TaskRunner,
        session: Session,
        theme: Theme,
        store: ConfigStore,
        config: Callable[[], AppConfig],
        active: Callable[[], Context | None],
        connect: Connect = Connection.open,
        keyring_store: Callable[[], SecretStore] = SecretStore,
    ) -> None:
        super().__init__(window)
        self._window, self._runner, self._session = window, runner, session
        self._theme, self._store = theme, store
        self._config, self._active = config, active
        self.flow = LoginFlow(runner, session, connect=connect, store=keyring_store, parent=self)
        self.login_dialog = LoginDialog(self.flow, theme.colours, window)
        self.step_ups = StepUps(runner, self.flow.codes)
        self.step_up = StepUpPrompter(self.step_ups, lambda: theme.colours, self)
        session.step_up_prompt = self.step_up
        self.endpoints = EndpointWatch(runner, parent=self)
        self.editor: ContextEditor | None = None
        self._connect_signals()
        self._disconnected()

    def _connect_signals(self) -> None:
        window, session, flow = self._window, self._session, self.flow
        window.login_action.triggered.connect(self.toggle_login)
        window.contexts_action.triggered.connect(self.edit_contexts)
        window.notice.action_triggered.connect(self.edit_contexts)
        window.read_only.toggled.connect(session.set_read_only)
        session.read_only_changed.connect(window.read_only.setChecked)
        session.connected.connect(self._connected)
        session.disconnected.connect(self._disconnected)
        session.ended.connect(self._ended)
        flow.resumed.connect(self._resumed)
        flow.notice.connect(window.show_notice)
        self.endpoints.me.connect(self._me)
        self._theme.changed.connect(self.login_dialog.set_colours)

    # What the app and the window ask for --------------------------------------------------

    def log_in_to(self, context: Context | None, *, interactive: bool = True) -> None:
        """Leave the current session and log in to ``context`` (None: stay logged out)."""
        connection = self._session.connection
        if connection is not None and connection.context == context:
            return  # chosen again in the switcher: already logged in to it
        self.flow.log_out()
        if context is not None:
            self.flow.start(context, interactive=interactive)
        elif not self._config().contexts:
            self._window.notice.show_message(NO_CONTEXT, BannerKind.WARNING, "Add a cluster…")

    def context_changed(self, before: Context | None, now: Context | None) -> None:
        """The active context was edited: log in again when it points elsewhere (addresses,
        TLS, user); otherwise the session goes on with the new queries and tags."""
        connection = self._session.connection
        if connection is None or now is None or before is None or _reaches(before) != _reaches(now):
            self.log_in_to(now)
            return
        connection.context = now
        self._window.navigator.refresh_current()

    def toggle_login(self) -> None:
        """The toolbar's action: log in, log out, or log in again after the session ended."""
        active = self._active()
        if self.flow.session_ended:
            self.flow.resume()
        elif self._session.connection is not None:
            self.flow.log_out()
        elif active is not None:
            self.flow.start(active)
        else:
            self.edit_contexts()

    def edit_contexts(self) -> None:
        """Open the context editor (or bring the open one forward)."""
        if self.editor is not None and is_alive(self.editor):
            self.editor.raise_()
            self.editor.activateWindow()
            return
        active = self._active()
        editor = ContextEditor(
            self._config(), active.name if active else None, self._theme.colours, self._window
        )
        editor.saved.connect(self._save_config)
        editor.removed.connect(self._forget_secrets)
        editor.totp_secret_entered.connect(self._keep_totp)
        editor.finished.connect(editor.deleteLater)
        editor.open()
        self.editor = editor

    def stop(self) -> None:
        """The app quits: no more light checks."""
        self.endpoints.stop()

    # What the session says -----------------------------------------------------------------

    def _connected(self, connection: Connection) -> None:
        if self._window.notice.text() == NO_CONTEXT:
            self._window.notice.clear()
        self._window.watch_endpoints(self.endpoints.watch(connection))
        self._window.session.show_session(connection.username, connection.roles)
        self._window.show_login_state(True)

    def _disconnected(self) -> None:
        self._window.watch_endpoints(self.endpoints.watch(None))
        self._window.session.show_session(None)
        self._window.show_login_state(False)

    def _ended(self, _why: str) -> None:
        connection = self._session.connection
        if connection is not None:
            # An end time already past reads "session ended" in the label.
            self._window.session.show_session(connection.username, connection.roles, time.time())
        self._window.show_login_state(True, ended=True)

    def _resumed(self, connection: Connection) -> None:
        self._window.session.show_session(connection.username, connection.roles)
        self._window.show_login_state(True)
        self.endpoints.refresh_now()
        self._window.navigator.refresh_current()

    def _me(self, me: Me) -> None:
        connection = self._session.connection
        if connection is None or me.name != connection.username or me.roles == connection.roles:
            return
        connection.roles = me.roles  # an admin changed them on the server
        self._window.session.show_session(connection.username, connection.roles)

    # The context editor --------------------------------------------------------------------

    def _save_config(self, config: AppConfig, before: Context | None) -> None:
        if before is not None and before.remember_totp_secret:
            now = next((c for c in config.contexts if c.name == before.name), None)
            if now is not None and not now.remember_totp_secret:
                self._forget_secrets(before, password=False)
        self._runner.run(
            lambda: self._store.save(config),
            lambda _: self.config_changed.emit(config),
            lambda e: self._window.show_notice(
                f"The contexts could not be saved: {error_sentence(e)}"
            ),
            owner=self,
            name="save contexts",
        )

    def _forget_secrets(self, context: Context, *, password: bool = True) -> None:
        secrets = self.flow.secrets
        self._runner.run(lambda: secrets.forget(context, password=password), name="forget")

    def _keep_totp(self, context: Context, secret: str) -> None:
        secrets = self.flow.secrets
        self._runner.run(
            lambda: secrets.keep_totp(context, context.username, secret),
            lambda problem: self._window.show_notice(problem) if problem else None,
            owner=self,
            name="keep TOTP secret",
        )
