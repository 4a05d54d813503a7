"""What the app has already told the user, kept across restarts so it never tells twice.

An alert is remembered by its identity (:func:`~.alert_state.alert_identity`) with the time
it was notified and the last time it was seen at all (firing, silenced or inhibited). It is
notified again only when it started firing :data:`REARM_SECONDS` or more after it was last
seen: that is a new incident, while a flapping rule or a restart of the app is not. Events
of the control plane are remembered by their sequence number, per control plane. A pause
("not for an hour") is kept too, so that a restart does not end it.

The file is small JSON in the config directory, written whole to a temporary file and
renamed, so a crash leaves the old or the new version, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .activity import ClusterEvent
from .alert_state import AlertsSnapshot, CurrentAlert, Severity, parse_time

log = logging.getLogger(__name__)

FILE_NAME = "notified-alerts.json"
VERSION = 1
REARM_SECONDS = 30 * 60.0  # gone this long, then firing again: a new incident
FORGET_SECONDS = 7 * 86400.0  # records of alerts not seen for a week are dropped
RECENT_EVENT_SECONDS = 10 * 60.0  # older events (history read at login) are not news


@dataclass
class _Seen:
    name: str
    notified_at: float | None
    last_seen: float


class NotificationMemory:
    """The alerts and events already notified, and the pause; plain data, no I/O.

    Args:
        threshold: the least severity of an alert worth a notification.
    """

    def __init__(self, threshold: Severity = Severity.CRITICAL) -> None:
        self.threshold = threshold
        self.paused_until: float | None = None
        self._alerts: dict[str, _Seen] = {}
        self._event_marks: dict[str, int] = {}
        self.generation = 0  # bumped on every change, so only the newest write lands

    # Alerts -----------------------------------------------------------------------------

    def paused(self, now: float) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def pause(self, seconds: float, now: float) -> None:
        self.paused_until = now + seconds
        self.generation += 1

    def resume(self) -> None:
        self.paused_until = None
        self.generation += 1

    def was_notified(self, key: str) -> bool:
        seen = self._alerts.get(key)
        return seen is not None and seen.notified_at is not None

    def due(self, snapshot: AlertsSnapshot, now: float) -> list[CurrentAlert]:
        """The alerts of ``snapshot`` to notify now, marked as notified; every alert in it is
        marked as seen. Nothing is due while paused: what fires then is told after."""
        due: list[CurrentAlert] = []
        paused = self.paused(now)
        for alert in snapshot.alerts:
            seen = self._alerts.get(alert.key)
            # Its start, not the time we look, decides: an alert that fired all night while
            # the app was closed is the one already told, one that started anew is news.
            started = now if alert.since is None else alert.since
            gone_long = seen is not None and started - seen.last_seen > REARM_SECONDS
            fresh = seen is None or seen.notified_at is None or gone_long
            if (
                alert.firing
                and not paused
                and alert.severity >= self.threshold
                and alert.severity is not Severity.NONE
                and fresh
            ):
                due.append(alert)
                self._alerts[alert.key] = _Seen(alert.name, now, now)
            elif seen is None:
                self._alerts[alert.key] = _Seen(alert.name, None, now)
            else:
                if gone_long:
                    seen.notified_at = None  # a new incident: not told of yet
                seen.last_seen = now
        self._forget_before(now - FORGET_SECONDS)
        self.generation += 1
        return due

    def _forget_before(self, cutoff: float) -> None:
        for key in [k for k, s in self._alerts.items() if s.last_seen < cutoff]:
            del self._alerts[key]

    # Events -----------------------------------------------------------------------------

    def new_events(
        self, source: str, events: Iterable[ClusterEvent], now: float
    ) -> list[ClusterEvent]:
        """Events of ``source`` (a control plane URL) not seen before and not old news."""
        mark = self._event_marks.get(source, 0)
        fresh = []
        for event in events:
            if event.seq <= mark:
                continue
            mark = event.seq
            when = parse_time(event.time)
            if when is None or now - when <= RECENT_EVENT_SECONDS:
                fresh.append(event)
        if mark != self._event_marks.get(source, 0):
            self._event_marks[source] = mark
            self.generation += 1
        return fresh

    # The file's contents ----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "paused_until": self.paused_until,
            "alerts": {
                key: {"name": s.name, "notified_at": s.notified_at, "last_seen": s.last_seen}
                for key, s in self._alerts.items()
            },
            "events": dict(self._event_marks),
        }

    @classmethod
    def from_json(cls, doc: Any, threshold: Severity = Severity.CRITICAL) -> NotificationMemory:
        """The memory a file held; whatever does not parse is dropped (at worst the user is
        told once more), never an error that stops the app."""
        memory = cls(threshold)
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            return memory
        paused = doc.get("paused_until")
        memory.paused_until = float(paused) if isinstance(paused, int | float) else None
        alerts = doc.get("alerts")
        for key, raw in (alerts if isinstance(alerts, dict) else {}).items():
            try:
                notified = raw.get("notified_at")
                memory._alerts[str(key)] = _Seen(
                    str(raw.get("name", "")),
                    None if notified is None else float(notified),
                    float(raw["last_seen"]),
                )
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
        events = doc.get("events")
        for source, seq in (events if isinstance(events, dict) else {}).items():
            if isinstance(seq, int):
                memory._event_marks[str(source)] = seq
        return memory


class MemoryFile:
    """Reads and writes a :class:`NotificationMemory` file; writes may come from any thread,
    and a write older than the last one written is skipped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._written = -1

    def load(self, threshold: Severity = Severity.CRITICAL) -> NotificationMemory:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            doc = None
        except (OSError, ValueError) as exc:
            log.warning("notified alerts: %s unreadable (%s); starting afresh", self.path, exc)
            doc = None
        return NotificationMemory.from_json(doc, threshold)

    def save(self, doc: dict[str, Any], generation: int) -> bool:
        """Write ``doc`` unless a newer generation was written already; True if written."""
        with self._lock:
            if generation <= self._written:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
            self._written = generation
            return True
