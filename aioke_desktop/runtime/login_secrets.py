"""The login's side of the keyring: find, keep and forget a context's password and TOTP secret.

Every method here may block (a keyring can wait on an unlock prompt, or on D-Bus), so they
run on the task runner's workers, never in a slot. The store is built on first use, on a
worker too: asking keyring which backend it has already talks to D-Bus.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.contexts import Context
from ..core.keyring_guard import SecretStore


@dataclass(frozen=True)
class Found:
    """What the keyring (or this session's memory) holds for a context and user.

    Attributes:
        note: a sentence about the keyring for the dialog (locked, or kept in memory only).
    """

    password: str | None = field(default=None, repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    note: str | None = None


class LoginSecrets:
    """Passwords under ``<context>/<username>``, TOTP secrets under ``…/totp``.

    Args:
        store: builds the :class:`SecretStore` (by default over the desktop's keyring).
    """

    def __init__(self, store: Callable[[], SecretStore] = SecretStore) -> None:
        self._make = store
        self._store: SecretStore | None = None
        self._lock = threading.Lock()
        self._told = False

    def store(self) -> SecretStore:
        with self._lock:
            if self._store is None:
                self._store = self._make()
            return self._store

    def keyring_reason(self) -> str | None:
        """Why nothing is written to the keyring (None when it is, or not known yet)."""
        with self._lock:
            return None if self._store is None else self._store.verdict.reason

    def once(self, sentence: str | None) -> str | None:
        """``sentence``, unless it says why nothing is stored and that was said already:
        the user hears it once, not at every login (GUI thread only)."""
        if sentence is None or sentence != self.keyring_reason():
            return sentence
        if self._told:
            return None
        self._told = True
        return sentence

    def end_session(self) -> None:
        """Forget what was kept in memory for the session (the keyring keeps its entries)."""
        with self._lock:
            self._store = None

    def hold(self, context: Context, username: str, password: str | None, totp: str | None) -> None:
        """Keep factors for this session only (demo mode: they change with every sandbox)."""
        store = self.store()
        if password is not None:
            store.hold(store.password_key(context.name, username), password)
        if totp is not None:
            store.hold(store.totp_key(context.name, username), totp)

    def find(self, context: Context, username: str, *, totp_secret: str | None = None) -> Found:
        """The password, and the TOTP secret when the context keeps it (or when one is given
        for this login: demo mode's, whatever the context says)."""
        if not username:
            return Found(totp_secret=totp_secret)
        store = self.store()
        password = store.load(store.password_key(context.name, username))
        totp = (
            store.load(store.totp_key(context.name, username))
            if context.remember_totp_secret
            else None
        )
        note = password.problem or (totp.problem if totp else None)
        if note is None and not store.verdict.can_store:
            note = store.verdict.reason
        return Found(password.value, totp_secret or (totp.value if totp else None), note)

    def keep_password(
        self, context: Context, username: str, password: str, remember: bool
    ) -> str | None:
        """Store the password when ``remember``, else forget it; the problem, if any."""
        store = self.store()
        key = store.password_key(context.name, username)
        if not remember:
            store.forget(key)
            return None
        return store.save(key, password).problem

    def keep_totp(self, context: Context, username: str, secret: str) -> str | None:
        store = self.store()
        return store.save(store.totp_key(context.name, username), secret).problem

    def forget(self, context: Context, *, password: bool = True) -> None:
        """Remove the context's TOTP secret, and its password unless ``password`` is False
        (the context was removed, or no longer keeps its TOTP secret)."""
        store = self.store()
        if password:
            store.forget(store.password_key(context.name, context.username))
        store.forget(store.totp_key(context.name, context.username))
