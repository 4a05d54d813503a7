"""Logging in to a context: keyring, TOTP, enrolment, and a session that ended.

:class:`LoginFlow` decides and the login dialog shows; every request and keyring access runs
on the task runner. A session the server ended is resumed on the *same* connection, so the
pages keep what they show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

from ..core.contexts import Context
from ..core.keyring_guard import SecretStore
from . import login_steps as steps
from .login_secrets import Found, LoginSecrets
from .login_steps import Done, Enrolling
from .login_support import (
    REPLAYED,
    FailureKind,
    LoginAttempt,
    LoginFailure,
    LoginPrompt,
    ServerCheck,
    TotpCodes,
    explain,
)
from .session import Connection, Session
from .task_runner import TaskRunner

log = logging.getLogger(__name__)

Connect = Callable[[Context, Session], Connection]
T = TypeVar("T")


class LoginFlow(QObject):
    """Logs in to a context, resumes an ended session, and knows the TOTP codes it used.

    Args:
        runner: every request and keyring access goes through it.
        session: where a new connection is attached; its ``ended`` signal starts a resume.
        connect: builds a context's clients (tests pass one with a fault in the transport).
        store: builds the password store; by default over the desktop's keyring, guarded.

    Signals:
        prompt(LoginPrompt): ask the user (the login dialog opens).
        server_checked(ServerCheck): the server answered a first request (clock, or problem).
        failed(LoginFailure): an attempt failed; the dialog says why and stays open.
        enrolling(Enrollment): show the QR code and the secret once, then ask for a code.
        logged_in(Connection): a new session is attached to the window.
        resumed(Connection): the ended session runs again on the same connection.
        finished(): no more input is needed (logged in, resumed or cancelled).
        notice(str): something about the keyring the user should hear, once.
    """

    prompt = Signal(object)
    server_checked = Signal(object)
    failed = Signal(object)
    enrolling = Signal(object)
    logged_in = Signal(object)
    resumed = Signal(object)
    finished = Signal()
    notice = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        *,
        connect: Connect = Connection.open,
        store: Callable[[], SecretStore] = SecretStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner, self._session, self._connect = runner, session, connect
        self.secrets = LoginSecrets(store)
        self.codes = TotpCodes()
        self._gen, self._resuming = 0, False
        self._context: Context | None = None
        self._connection: Connection | None = None
        self._enrollment: tuple[Enrolling, LoginAttempt] | None = None
        self._ended: Connection | None = None
        self._unusable: LoginFailure | None = None  # the context's clients could not be built
        session.ended.connect(self.resume)

    @property
    def session_ended(self) -> bool:
        """True while the attached connection's session has ended and was not resumed."""
        return self._ended is not None and self._ended is self._session.connection

    def start(
        self,
        context: Context,
        *,
        password: str | None = None,
        totp_secret: str | None = None,
        interactive: bool = True,
    ) -> None:
        """Log in to ``context``: silently when both factors are known (demo mode passes
        them, kept in memory only), else through the dialog (unless not ``interactive``)."""
        gen, user = self._begin(context, None), context.username

        def open_connection() -> tuple[Connection, Found]:
            self.secrets.hold(context, user, password, totp_secret)
            found = self.secrets.find(context, user, totp_secret=totp_secret)
            return self._connect(context, self._session), found

        self._run(
            "open",
            open_connection,
            lambda opened: self._opened(gen, *opened, interactive=interactive),
            lambda error: self._unusable_context(gen, explain(error, context)),
        )

    def resume(self, _why: str = "") -> None:
        """The server ended the session: ask for the factors again, keeping the pages."""
        connection = self._session.connection
        if connection is None or (self._resuming and self._connection is connection):
            return
        if connection.cluster.tokens is not None and not self.session_ended:
            return  # a late word from a connection already replaced: this one is alive
        self._ended = connection
        gen = self._begin(connection.context, connection)
        self._run(
            "resume",
            lambda: self.secrets.find(connection.context, connection.username),
            lambda found: self._opened(gen, connection, found, interactive=True),
        )

    def submit(self, attempt: LoginAttempt) -> None:
        """The user typed the factors; a code this app already used is refused at once."""
        context, connection, gen = self._context, self._connection, self._gen
        if context is None or connection is None:
            if self._unusable is not None:
                self.failed.emit(self._unusable)
            return
        if attempt.code and self.codes.is_spent(context.name, attempt.username, attempt.code):
            self.failed.emit(LoginFailure(FailureKind.REPLAYED, REPLAYED))
            return
        cluster, secrets = connection.cluster, self.secrets
        self._run(
            "log in",
            lambda: steps.log_in(cluster, secrets, context, attempt),
            lambda answer: self._answered(gen, attempt, answer),
            lambda error: self._refused(gen, error),
        )

    def confirm_enrollment(self, code: str) -> None:
        """The first code from the new authenticator: the session starts."""
        context, connection, gen = self._context, self._connection, self._gen
        if context is None or connection is None or self._enrollment is None:
            return
        enrolling, attempt = self._enrollment
        cluster, secrets = connection.cluster, self.secrets
        self._run(
            "confirm enrolment",
            lambda: steps.confirm_enrollment(cluster, secrets, context, enrolling, attempt, code),
            lambda done: self._answered(gen, attempt, done),
            lambda error: self._refused(gen, error),
        )

    def cancel(self) -> None:
        """The user closed the dialog. A resumed session stays ended (pages keep their data)."""
        if self._context is None:
            return
        connection, resuming = self._connection, self._resuming
        self._begin(None, None)
        if connection is not None and not resuming:
            self._runner.run(connection.close, name="login: close")
        self.finished.emit()

    def log_out(self) -> None:
        """End the session here at once, and on the server in the background."""
        self.cancel()
        connection = self._session.connection
        if connection is None:
            return
        tokens, context = connection.cluster.tokens, connection.context
        self.codes.keep_secret(context.name, connection.username, None)
        self._ended = None
        self._session.detach()
        self.secrets.end_session()
        if tokens is not None:
            self._runner.run(lambda: steps.revoke(context, tokens), name="logout")

    # Steps ----------------------------------------------------------------------------------

    def _run(self, name: str, op: Callable[[], T], done: Callable[[T], object],
             failed: Callable[[BaseException], object] | None = None) -> None:  # fmt: skip
        self._runner.run(op, done, failed, owner=self, name=f"login: {name}")

    def _begin(self, context: Context | None, connection: Connection | None) -> int:
        self._gen += 1  # answers to earlier logins are dropped
        self._unusable = None
        self._context, self._connection = context, connection
        self._resuming = connection is not None
        self._enrollment = None
        return self._gen

    def _opened(self, gen: int, connection: Connection, found: Found, *, interactive: bool) -> None:
        if gen != self._gen:
            if connection is not self._session.connection:
                self._runner.run(connection.close, name="login: close")
            return
        self._connection = connection
        if found.password is not None and found.totp_secret is not None:
            self._automatic(gen, connection, found, interactive)
        elif interactive:
            self._ask(gen, found, None)
        else:
            self.cancel()

    def _unusable_context(self, gen: int, problem: LoginFailure) -> None:
        if gen == self._gen:
            self._unusable = problem
            self._ask(gen, Found(), problem)

    def _checked(self, gen: int, check: ServerCheck) -> None:
        if gen == self._gen:
            self.server_checked.emit(check)

    def _automatic(self, gen: int, connection: Connection, found: Found, ask: bool) -> None:
        """Both factors are known: log in without the dialog (demo mode, a resumed session)."""
        context, cluster, codes = connection.context, connection.cluster, self.codes
        user = connection.username or context.username
        attempt = LoginAttempt(user, found.password or "", "", remember=True)
        self._run(
            "automatic",
            lambda: steps.log_in_with_kept_factors(cluster, codes, context, user, found),
            lambda done: self._answered(gen, attempt, done),
            lambda error: (
                self._ask(gen, found, explain(error, context)) if ask else self._gave_up(gen, error)
            ),
        )

    def _gave_up(self, gen: int, error: BaseException) -> None:
        """An automatic login (demo, screenshot) failed and there is no dialog: say so."""
        context = self._context
        if gen != self._gen or context is None:
            return
        failure = explain(error, context)
        log.warning("automatic login to %s failed: %s", context.name, failure.message)
        self.cancel()
        self.notice.emit(failure.message)
        self.failed.emit(failure)

    def _ask(self, gen: int, found: Found, problem: LoginFailure | None) -> None:
        context, connection = self._context, self._connection
        if gen != self._gen or context is None:
            return
        note = self.secrets.once(found.note)
        username = connection.username if self._resuming and connection else context.username
        self.prompt.emit(
            LoginPrompt(
                context,
                username,
                found.password,
                remember=found.password is not None,
                resume=self._resuming,
                note=note,
                problem=problem,
            )
        )
        if connection is not None and problem is None:
            self._run(
                "check server",
                lambda: ServerCheck(steps.probe(connection.cluster)),
                lambda check: self._checked(gen, check),
                lambda error: self._checked(gen, ServerCheck(None, explain(error, context))),
            )

    def _answered(self, gen: int, attempt: LoginAttempt, answer: Done | Enrolling) -> None:
        context, connection = self._context, self._connection
        if gen != self._gen or context is None or connection is None:
            return
        if isinstance(answer, Enrolling):
            self._enrollment = (answer, attempt)
            self.enrolling.emit(answer.enrollment)
            return
        name = answer.logged.name
        self.codes.spend(context.name, name, answer.code)
        self.codes.keep_secret(context.name, name, answer.totp_secret)
        connection.username, connection.roles = name, answer.logged.roles
        resuming = self._resuming
        self._begin(None, None)
        self._ended = None
        log.info("logged in to %s as %s", context.name, name)
        if resuming:
            self.resumed.emit(connection)
        else:
            self._session.attach(connection)
            self.logged_in.emit(connection)
        self.finished.emit()
        self._say(answer.problem)

    def _refused(self, gen: int, error: BaseException) -> None:
        context = self._context
        if gen != self._gen or context is None:
            return
        failure = explain(error, context)
        if failure.kind is FailureKind.EXPIRED:
            self._enrollment = None
        self.failed.emit(failure)

    def _say(self, problem: str | None) -> None:
        said = self.secrets.once(problem)
        if said is not None:
            self.notice.emit(said)
