"""What an action is, for :mod:`aioke_desktop.ui.actions`: the change a page describes
(:class:`Action`) and what its op is handed on each try (:class:`Call`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api.cluster import ClusterClient
from ..runtime.session import Connection


@dataclass(frozen=True)
class Call:
    """What an action's op works with: the connection it was confirmed for, and the
    Idempotency-Key that stays the same on every retry of this action."""

    connection: Connection
    idempotency_key: str
    # What the op worked out on its first try (such as the ETag it sent), so that a retry
    # sends the very same request and is answered from the server's idempotency record.
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def cluster(self) -> ClusterClient:
        return self.connection.cluster


@dataclass(frozen=True)
class Action:
    """One change, described for the guard rails.

    Attributes:
        description: the change in the imperative ("Turn checkout-v2 on"); shown in the
            confirmation, the progress line and the failure sentence.
        role: the role it needs (``operator``, ``chaos``, ``admin``).
        op: the work, run on a worker thread with a :class:`Call`; returns plain data.
        destructive: ask for a TOTP step-up before sending.
        confirm: a question to confirm first in any context ("It evaluates off for
            everyone."); a production context always asks.
        on_done: called on the GUI thread with the op's result.
        on_failed: called on the GUI thread with the error sentence (a dialog re-enables).
        resource: what it changes ("flag/checkout-v2"), for the 412 sentence.
        loaded: the version the user started from (Compare's left side), as :func:`as_json`
            gives it.
        current: worker op fetching the version on the server now (Compare's right side): a
            JSON-like value or a domain dataclass (see :func:`as_json`).
        reload: called on the GUI thread when the user chooses Reload after a 412.
    """

    description: str
    role: str
    op: Callable[[Call], Any]
    destructive: bool = False
    confirm: str = ""
    on_done: Callable[[Any], object] | None = None
    on_failed: Callable[[str], object] | None = None
    resource: str = ""
    loaded: Any = None
    current: Callable[[Call], Any] | None = None
    reload: Callable[[], object] | None = None
