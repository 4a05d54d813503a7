"""What the login and step-up dialogs show, worked out without Qt.

The server answers every refused factor with the same sentence on purpose (an attacker must
not learn which one was wrong). The app can still tell the user more: it remembers which
codes it has already had accepted, so typing one of those again is explained as a replay
before anything is sent (and before it counts towards a lockout).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyotp

from ..api.errors import (
    ApiError,
    ConnectionFailed,
    InsecureTransport,
    Locked,
    LoginFailed,
    RateLimited,
    SessionEnded,
    Timeout,
    TlsFailed,
)
from ..core.contexts import Context

STEP_SECONDS = 30  # RFC 6238, as the control plane uses it
SPENT_FOR_SECONDS = 120.0  # longer than the server's window of three steps
CLOCK_SKEW_WARN_SECONDS = 15.0
REPLAYED = "That code was already used; wait for the next one."
STEP_UP_REFUSED = (
    "That code was refused: it is wrong, or it was already used; wait for the next one."
)


class FailureKind(enum.Enum):
    """Why an attempt failed, so a dialog knows what to clear, keep or count down."""

    REFUSED = "refused"  # wrong username, password or code
    REPLAYED = "replayed"  # a code this app already had accepted
    LOCKED = "locked"  # too many failures: wait ``retry_after`` seconds
    UNREACHABLE = "unreachable"  # dead server, timeout
    TLS = "tls"  # the certificate is not trusted, or mTLS was refused
    EXPIRED = "expired"  # the enrolment or the session ran out: start again
    OTHER = "other"


@dataclass(frozen=True)
class LoginFailure:
    """An attempt that failed, with its sentence for the user."""

    kind: FailureKind
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class LoginPrompt:
    """What the login dialog asks for.

    Attributes:
        context: the cluster being logged in to.
        username: filled in from the context (read-only when the session is resumed).
        password: from the keyring or this session's memory; None when the user must type it.
        remember: whether "remember password" starts ticked.
        resume: the session ended; only the missing factors are asked, pages keep their state.
        note: something about the keyring to say (once), in one sentence.
        problem: why an automatic login did not work, when one was tried.
    """

    context: Context
    username: str
    password: str | None = field(default=None, repr=False)
    remember: bool = False
    resume: bool = False
    note: str | None = None
    problem: LoginFailure | None = None


@dataclass(frozen=True)
class LoginAttempt:
    """What the user typed; ``repr`` hides the password and the code."""

    username: str
    password: str = field(repr=False)
    code: str = field(repr=False)
    remember: bool = False


@dataclass(frozen=True)
class ServerCheck:
    """What a first unauthenticated request learned: the clock difference, or a problem."""

    skew_seconds: float | None
    problem: LoginFailure | None = None


def locked_sentence(seconds: float) -> str:
    """ "Too many failed attempts: this account is locked for 58 more seconds." """
    wait = max(1, int(seconds + 0.999))
    unit = "second" if wait == 1 else "seconds"
    return f"Too many failed attempts: this account is locked for {wait} more {unit}."


def clock_warning(skew_seconds: float | None) -> str | None:
    """A warning when the server's clock and ours differ by more than 15 s, else None."""
    if skew_seconds is None or abs(skew_seconds) <= CLOCK_SKEW_WARN_SECONDS:
        return None
    direction = "behind" if skew_seconds > 0 else "ahead of"
    return (
        f"This computer's clock is {abs(skew_seconds):.0f} s {direction} the server's, so "
        "codes may be refused; turn on automatic time (NTP)."
    )


def explain(error: BaseException, context: Context, *, step_up: bool = False) -> LoginFailure:
    """The failure a dialog shows for ``error``, in one plain sentence."""
    if isinstance(error, Locked):
        wait = error.retry_after
        text = locked_sentence(wait) if wait is not None else error.message
        return LoginFailure(FailureKind.LOCKED, text, wait)
    if isinstance(error, LoginFailed):
        return LoginFailure(FailureKind.REFUSED, STEP_UP_REFUSED if step_up else error.message)
    if isinstance(error, SessionEnded):
        return LoginFailure(FailureKind.EXPIRED, error.message)
    if isinstance(error, TlsFailed):
        return LoginFailure(FailureKind.TLS, error.message)
    if isinstance(error, ConnectionFailed):
        return LoginFailure(
            FailureKind.UNREACHABLE,
            f"The control plane at {context.control_plane_url} cannot be reached; check that "
            "it is running and that the context's address is right.",
        )
    if isinstance(error, Timeout):
        return LoginFailure(FailureKind.UNREACHABLE, error.message)
    if isinstance(error, RateLimited):
        return LoginFailure(FailureKind.LOCKED, error.message, error.retry_after)
    if isinstance(error, InsecureTransport | ApiError):
        return LoginFailure(FailureKind.OTHER, error.message)
    return LoginFailure(FailureKind.OTHER, "Logging in failed unexpectedly; the log has details.")


class TotpCodes:
    """Codes the server accepted from this app (for two minutes), and the TOTP secrets of
    contexts that keep one, per context and user.

    Thread-safe: codes are spent on the GUI thread and checked there or on workers.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._spent: dict[tuple[str, str], dict[str, float]] = {}
        self._secrets: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def spend(self, context: str, username: str, code: str) -> None:
        if not code:
            return
        with self._lock:
            self._fresh(context, username)[code] = self._clock()

    def is_spent(self, context: str, username: str, code: str) -> bool:
        with self._lock:
            return code in self._fresh(context, username)

    def keep_secret(self, context: str, username: str, secret: str | None) -> None:
        """Fill codes from ``secret`` from now on (None: stop)."""
        with self._lock:
            if secret is None:
                self._secrets.pop((context, username), None)
            else:
                self._secrets[(context, username)] = secret

    def auto_code(self, context: str, username: str, server_now: float) -> str | None:
        """A code to send now, when the secret is kept; see :func:`next_code`."""
        with self._lock:
            secret = self._secrets.get((context, username))
        if secret is None:
            return None
        return next_code(secret, server_now, lambda c: self.is_spent(context, username, c))

    def _fresh(self, context: str, username: str) -> dict[str, float]:
        codes = self._spent.setdefault((context, username), {})
        now = self._clock()
        for code in [c for c, at in codes.items() if now - at > SPENT_FOR_SECONDS]:
            del codes[code]
        return codes


def next_code(secret: str, server_now: float, is_spent: Callable[[str], bool]) -> str | None:
    """The code to send now from a remembered secret: the current step's, or, when that one
    was already used, the next step's (the server accepts one step ahead). None if both were
    used: the caller waits for the next step."""
    totp = pyotp.TOTP(secret)
    step = int(server_now // STEP_SECONDS)
    for candidate in (step, step + 1):
        code = totp.generate_otp(candidate)
        if not is_spent(code):
            return code
    return None
