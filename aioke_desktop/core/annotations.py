"""Changes drawn on charts: "what changed just before it went wrong?".

Every flag change, breaker transition, chaos run (launch, end, auto-abort, halt), runbook
execution and scaling becomes an :class:`Annotation`, from the live event feed or from the
audit log for times before the feed's memory. Both name the same change by its audit row,
so a change read from both is drawn once. Logins and user administration are not drawn:
they change nothing a chart shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .activity import AuditEntry, ClusterEvent

DRAWN_KINDS = ("flag.", "breaker.", "chaos.", "runbook.", "service.")
REHEARSALS = ("chaos.dry_run", "runbook.dry_run")  # a dry run changes nothing
# Which page shows the changed item, by the first part of its resource ("flag/checkout").
PAGES = {
    "flag": "flags",
    "breaker": "breakers",
    "chaos": "chaos",
    "runbook": "runbooks",
    "service": "services",
}
MAX_VALUE_CHARS = 60
KEPT_LIVE = 5000  # as many as the event feed keeps: a screen open for weeks stays small


def drawn(kind: str) -> bool:
    """True for the kinds of change a chart marks."""
    return kind.startswith(DRAWN_KINDS) and kind not in REHEARSALS


def _timestamp(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class Annotation:
    """One change at one time.

    Attributes:
        key: ``audit:<seq>`` when an audit row records it, else ``event:<seq>``.
        time: Unix seconds.
        kind: what happened (``flag.update``, ``breaker.transition``, ``chaos.launch``).
        resource: what it happened to (``flag/checkout-v2``, ``chaos/runs/4``).
        actor: who did it; ``None`` when it happened by itself (a breaker opening).
    """

    key: str
    time: float
    kind: str
    resource: str
    actor: str | None
    summary: str
    before: Any = None
    after: Any = None

    @property
    def who(self) -> str:
        return self.actor or "automatic"

    @property
    def page(self) -> str | None:
        """The key of the page that shows the changed item, if any."""
        return PAGES.get(self.resource.split("/", 1)[0])

    @property
    def family(self) -> str:
        """``flag``, ``breaker``, ``chaos``, ``runbook`` or ``service`` (for its colour)."""
        return self.kind.split(".", 1)[0]

    def changes(self) -> list[str]:
        """``before → after``, one line per changed field when both sides are objects."""
        before, after = self.before, self.after
        if isinstance(before, dict) and isinstance(after, dict):
            keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
            return [f"{k}: {_short(before.get(k))} → {_short(after.get(k))}" for k in keys]
        if before is None and after is None:
            return []
        return [f"{_short(before)} → {_short(after)}"]

    def tooltip(self) -> str:
        """Who, what, when, and before → after: the marker's tooltip."""
        when = datetime.fromtimestamp(self.time).astimezone()
        lines = [f"{when:%H:%M:%S} · {self.who} · {self.kind}", self.summary, *self.changes()]
        if self.page:
            lines.append("Click to open it.")
        return "\n".join(line for line in lines if line)


def _short(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def from_event(event: ClusterEvent) -> Annotation | None:
    """The annotation for a feed event, or None when charts do not mark its kind."""
    when = _timestamp(event.time)
    if when is None or not drawn(event.kind):
        return None
    data = event.data if isinstance(event.data, dict) else {}
    seq = data.get("audit_seq")
    key = f"audit:{seq}" if isinstance(seq, int) else f"event:{event.seq}"
    return Annotation(
        key, when, event.kind, event.resource, event.actor, event.summary,
        data.get("before"), data.get("after"),
    )  # fmt: skip


def from_audit(entry: AuditEntry) -> Annotation | None:
    """The annotation for an audit row (history older than the feed), or None."""
    when = _timestamp(entry.time)
    if when is None or not drawn(entry.action):
        return None
    summary = f"{entry.actor}: {entry.action} {entry.resource}"
    return Annotation(
        f"audit:{entry.seq}", when, entry.action, entry.resource, entry.actor, summary,
        entry.before, entry.after,
    )  # fmt: skip


class ChangeMarks:
    """The changes a page draws: past ones from the audit log (replaced on each full fetch)
    and live ones from the feed (the newest :data:`KEPT_LIVE`), each change once."""

    def __init__(self) -> None:
        self._history: dict[str, Annotation] = {}
        self._live: dict[str, Annotation] = {}
        self.version = 0  # bumped on every change, so a redraw can be skipped

    def set_history(self, annotations: Iterable[Annotation]) -> None:
        self._history = {a.key: a for a in annotations}
        self.version += 1

    def add_events(self, events: Iterable[ClusterEvent]) -> None:
        for event in events:
            found = from_event(event)
            if found is not None:
                self._live[found.key] = found
                self.version += 1
        while len(self._live) > KEPT_LIVE:
            del self._live[next(iter(self._live))]

    def clear_live(self) -> None:
        self._live.clear()
        self.version += 1

    def all(self) -> list[Annotation]:
        """Every change, oldest first."""
        return sorted({**self._history, **self._live}.values(), key=lambda a: a.time)
