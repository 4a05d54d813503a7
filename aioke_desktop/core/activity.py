"""What happened on the cluster: the event feed and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .jsonshape import Fields


@dataclass(frozen=True)
class ClusterEvent:
    """One change, for chart annotations and live tables (``actor`` None: it happened by
    itself, such as a breaker opening or a chaos run ending at its TTL)."""

    seq: int
    time: str
    kind: str
    resource: str
    actor: str | None
    summary: str
    data: Any

    @property
    def before(self) -> Any:
        return self.data.get("before") if isinstance(self.data, dict) else None

    @property
    def after(self) -> Any:
        return self.data.get("after") if isinstance(self.data, dict) else None

    @classmethod
    def from_json(cls, data: Fields) -> ClusterEvent:
        return cls(
            seq=data.integer("seq"),
            time=data.text("time"),
            kind=data.text("kind"),
            resource=data.text("resource"),
            actor=data.opt_text("actor"),
            summary=data.text("summary"),
            data=data.raw("data"),
        )


@dataclass(frozen=True)
class EventPage:
    """A long-poll answer: the events after the cursor, and the newest seq on the server."""

    events: tuple[ClusterEvent, ...]
    head: int

    @property
    def next_after(self) -> int:
        """The cursor for the next poll."""
        return self.events[-1].seq if self.events else self.head


@dataclass(frozen=True)
class AuditEntry:
    """One row of the hash-chained audit log."""

    seq: int
    time: str
    actor: str
    action: str
    resource: str
    before: Any
    after: Any
    request_id: str | None
    hash: str

    @classmethod
    def from_json(cls, data: Fields) -> AuditEntry:
        return cls(
            seq=data.integer("seq"),
            time=data.text("time"),
            actor=data.text("actor"),
            action=data.text("action"),
            resource=data.text("resource"),
            before=data.raw("before"),
            after=data.raw("after"),
            request_id=data.opt_text("request_id"),
            hash=data.text("hash"),
        )


@dataclass(frozen=True)
class AuditVerification:
    """Whether the audit chain is intact; ``first_bad_seq`` points at the break."""

    ok: bool
    count: int
    head_hash: str | None
    first_bad_seq: int | None

    @classmethod
    def from_json(cls, data: Fields) -> AuditVerification:
        return cls(
            ok=data.boolean("ok"),
            count=data.integer("count"),
            head_hash=data.opt_text("head_hash"),
            first_bad_seq=data.opt_integer("first_bad_seq"),
        )
