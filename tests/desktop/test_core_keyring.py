"""The keyring guard in four cases: a working keyring, none, a plaintext one, a locked one.

Backends are set with ``keyring.set_keyring``, as the app would find them on a desktop.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from aioke_desktop.core.keyring_guard import SERVICE, SecretStore
from desktop.keyrings import LockedKeyring, MemoryKeyring, PlaintextKeyring


class ChainWithPlaintext(chainer.ChainerBackend):
    backends = [MemoryKeyring(), PlaintextKeyring()]  # type: ignore[assignment]  # noqa: RUF012


@pytest.fixture
def use_keyring() -> Iterator[type[None]]:
    previous = keyring.get_keyring()
    yield type(None)
    keyring.set_keyring(previous)


def test_a_working_keyring_keeps_the_password_across_sessions(use_keyring: object) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    key = SecretStore.password_key("prod", "alice")
    saved = SecretStore().save(key, "s3cret")
    assert saved.problem is None
    assert backend.entries[(SERVICE, "prod/alice")] == "s3cret"
    assert SecretStore().load(key).value == "s3cret"  # a new session finds it
    SecretStore().forget(key)
    assert backend.entries == {}


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (fail.Keyring(), "No system keyring is available"),
        (PlaintextKeyring(), "plain file"),
        (ChainWithPlaintext(), "plain file"),
    ],
)
def test_no_keyring_or_a_plaintext_one_keeps_the_password_in_memory_only(
    use_keyring: object, backend: KeyringBackend, reason: str
) -> None:
    keyring.set_keyring(backend)
    store = SecretStore()
    assert not store.verdict.can_store
    assert store.verdict.reason is not None
    assert reason in store.verdict.reason
    saved = store.save("prod/alice", "s3cret")
    assert saved.problem == store.verdict.reason  # said once, in plain words, by the dialog
    assert store.load("prod/alice").value == "s3cret"  # this session still has it
    assert SecretStore().load("prod/alice").value is None  # the next one does not
    if isinstance(backend, MemoryKeyring):
        assert backend.entries == {}


def test_a_locked_keyring_is_a_problem_to_show_not_a_crash(use_keyring: object) -> None:
    keyring.set_keyring(LockedKeyring())
    store = SecretStore()
    assert store.verdict.can_store
    lookup = SecretStore().load("prod/alice")
    assert lookup.value is None
    assert lookup.problem is not None
    assert "locked" in lookup.problem
    saved = store.save("prod/alice", "s3cret")
    assert saved.problem == "The keyring is locked, so the password was not saved."
    assert store.load("prod/alice").value == "s3cret"
