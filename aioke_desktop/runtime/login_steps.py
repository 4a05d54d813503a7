"""The login's requests, as plain functions the task runner calls on a worker thread.

Each takes what it needs and returns data; :class:`~aioke_desktop.runtime.login.LoginFlow`
decides what to do with the answer on the GUI thread.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

from ..api.auth import Tokens
from ..api.cluster import ClusterClient, Enrollment, LoggedIn
from ..api.errors import ApiError, EnrollmentRequired, LoginFailed, Unauthorized
from ..api.http import HttpPolicy
from ..core.contexts import Context
from .login_secrets import Found, LoginSecrets
from .login_support import STEP_SECONDS, LoginAttempt, TotpCodes

log = logging.getLogger(__name__)


# Codes tried from a kept TOTP secret before giving up: each refusal counts towards the
# account's lockout (five), so few.
KEPT_CODE_TRIES = 3


class NoFreshCodeError(ApiError):
    """Both codes a kept secret gives right now were already used."""

    default_message = "Both current codes were already used; wait for the next one."


@dataclass(frozen=True)
class Done:
    """The server started a session; ``problem`` says why the password was not kept."""

    logged: LoggedIn
    code: str = field(repr=False)
    problem: str | None = None
    totp_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Enrolling:
    """The password was right and the user has no authenticator yet: here is its secret."""

    token: str = field(repr=False)
    enrollment: Enrollment


def probe(cluster: ClusterClient) -> float | None:
    """One unauthenticated request: proves the server answers, and reads its Date header.
    Returns the server's clock minus ours, in seconds."""
    with contextlib.suppress(Unauthorized):
        cluster.me()
    return cluster.clock_skew_seconds


def log_in(
    cluster: ClusterClient, secrets: LoginSecrets, context: Context, attempt: LoginAttempt
) -> Done | Enrolling:
    """Log in with what the user typed; keep or forget the password as they asked."""
    try:
        logged = cluster.login(attempt.username, attempt.password, attempt.code or None)
    except EnrollmentRequired as needed:
        return Enrolling(needed.enrollment_token, cluster.enroll(needed.enrollment_token))
    problem = secrets.keep_password(context, logged.name, attempt.password, attempt.remember)
    return Done(logged, attempt.code, problem, secrets.find(context, logged.name).totp_secret)


def confirm_enrollment(
    cluster: ClusterClient,
    secrets: LoginSecrets,
    context: Context,
    enrolling: Enrolling,
    attempt: LoginAttempt,
    code: str,
) -> Done:
    """Confirm the new authenticator; the secret is kept only when the context says so."""
    logged = cluster.confirm_enrollment(enrolling.token, code)
    name = logged.name
    problem = secrets.keep_password(context, name, attempt.password, attempt.remember)
    if not context.remember_totp_secret:
        return Done(logged, code, problem)
    secret = enrolling.enrollment.secret
    return Done(logged, code, secrets.keep_totp(context, name, secret) or problem, secret)


def log_in_with_kept_factors(
    cluster: ClusterClient, codes: TotpCodes, context: Context, username: str, found: Found
) -> Done:
    """Log in with a kept password and a code from the kept TOTP secret (demo mode)."""
    codes.keep_secret(context.name, username, found.totp_secret)
    if found.password is None:
        raise NoFreshCodeError
    skew = probe(cluster) or 0.0
    refused, waited = 0, False
    while True:
        server_now = time.time() + skew
        code = codes.auto_code(context.name, username, server_now)
        if code is None:  # this step's code and the next one's are spent
            if waited:
                raise NoFreshCodeError
            time.sleep(STEP_SECONDS - server_now % STEP_SECONDS + 0.5)  # a new step
            waited = True
            continue
        try:
            logged = cluster.login(username, found.password, code)
        except LoginFailed:
            # Another app on this account (a second --demo run) may have spent the code;
            # the password is the kept one, so try the next code, a few times at most.
            refused += 1
            if refused == KEPT_CODE_TRIES:
                raise
            codes.spend(context.name, username, code)
            continue
        return Done(logged, code, None, found.totp_secret)


def revoke(context: Context, tokens: Tokens) -> None:
    """Tell the server a session is over, on a short-lived client of its own (the window's
    connection is already closed when this runs). Best effort: the tokens expire anyway."""
    try:
        with ClusterClient(context, policy=HttpPolicy(deadline_seconds=5.0, max_attempts=1)) as c:
            c.auth.set_tokens(tokens)
            c.logout()
    except ApiError as exc:
        log.info("the server did not confirm the logout: %s", exc.message)
