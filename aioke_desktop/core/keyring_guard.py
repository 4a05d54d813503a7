"""Passwords and TOTP secrets go to the OS keyring, and only to a keyring worth the name.

The guard refuses backends that would quietly store a password in a plain file (keyrings.alt,
or a chainer that includes one) or nowhere at all (the fail and null backends). Then the
secret is kept in memory for this session only, and :attr:`KeyringVerdict.reason` says why in
one sentence the login dialog shows once. A locked keyring answers "locked", never a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError

SERVICE = "aioke-desktop"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyringVerdict:
    """Whether secrets may be stored in a keyring backend, and if not, why."""

    can_store: bool
    backend: str
    reason: str | None = None


def _name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _is_plaintext(backend: object) -> bool:
    module = type(backend).__module__
    return module.startswith("keyrings.alt") or "plaintext" in type(backend).__name__.lower()


def judge_backend(backend: KeyringBackend) -> KeyringVerdict:
    """Decide whether ``backend`` is safe for secrets."""
    name = _name(backend)
    members = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    if any(_is_plaintext(member) for member in members):
        return KeyringVerdict(
            False,
            name,
            "The only keyring available would keep your password in a plain file, so it is "
            "kept in memory for this session only.",
        )
    if not members or all(isinstance(m, fail.Keyring | null.Keyring) for m in members):
        return KeyringVerdict(
            False,
            name,
            "No system keyring is available, so your password is kept in memory for this "
            "session only.",
        )
    return KeyringVerdict(True, name)


@dataclass(frozen=True)
class SecretLookup:
    """A secret read from the keyring (``value`` None when absent) and, if it failed, why."""

    value: str | None
    problem: str | None = None


class SecretStore:
    """Secrets per context and user: in the keyring when it is safe, else in memory.

    Args:
        backend: the keyring backend; by default the one keyring chose for this desktop.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend or keyring.get_keyring()
        self.verdict = judge_backend(self._backend)
        self._memory: dict[str, str] = {}

    @staticmethod
    def password_key(context: str, username: str) -> str:
        return f"{context}/{username}"

    @staticmethod
    def totp_key(context: str, username: str) -> str:
        return f"{context}/{username}/totp"

    def save(self, key: str, secret: str) -> SecretLookup:
        """Store ``secret``; the answer's ``problem`` says why it lives only in memory."""
        self._memory[key] = secret
        if not self.verdict.can_store:
            return SecretLookup(secret, self.verdict.reason)
        try:
            self._backend.set_password(SERVICE, key, secret)
        except KeyringLocked:
            return SecretLookup(secret, "The keyring is locked, so the password was not saved.")
        except Exception as exc:  # backends raise their own D-Bus or OS errors
            log.warning("keyring refused to save an entry: %s", type(exc).__name__)
            return SecretLookup(secret, "The keyring could not save the password.")
        return SecretLookup(secret)

    def hold(self, key: str, secret: str) -> None:
        """Keep ``secret`` for this session only, never writing it to the keyring (the
        sandbox's demo password, which changes with every sandbox)."""
        self._memory[key] = secret

    def load(self, key: str) -> SecretLookup:
        """The secret from memory or the keyring; a locked keyring is a problem, not a crash."""
        if key in self._memory:
            return SecretLookup(self._memory[key])
        if not self.verdict.can_store:
            return SecretLookup(None)
        try:
            return SecretLookup(self._backend.get_password(SERVICE, key))
        except KeyringLocked:
            return SecretLookup(None, "The keyring is locked; unlock it or type the password.")
        except Exception as exc:  # backends raise their own D-Bus or OS errors
            log.warning("keyring refused to read an entry: %s", type(exc).__name__)
            return SecretLookup(None, "The keyring could not be read; type the password.")

    def forget(self, key: str) -> None:
        """Remove the secret from memory and the keyring (absent is fine)."""
        self._memory.pop(key, None)
        if not self.verdict.can_store:
            return
        try:
            self._backend.delete_password(SERVICE, key)
        except PasswordDeleteError:
            pass
        except Exception as exc:  # backends raise their own D-Bus or OS errors
            log.warning("keyring refused to delete an entry: %s", type(exc).__name__)
