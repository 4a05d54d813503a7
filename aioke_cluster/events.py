"""The event feed: every change to the cluster, in order, for charts and live tables.

Audited actions publish through :meth:`Action.audit`; changes nobody asked for (a breaker
opening by itself, a chaos run ending at its TTL or auto-aborted) call :func:`publish`.
``GET /events?after=SEQ&wait=S`` long-polls: it answers as soon as something newer exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from .clock import iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    actor TEXT,
    summary TEXT NOT NULL,
    data TEXT
);
"""


class EventBus:
    """Wakes long-polling readers when an event is published.

    Readers on an event loop wait on a future instead of a thread: a thread per waiting
    reader would soon take every worker of the server's pool, and requests would queue.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0
        # One future per event loop for the current generation, shared by its readers.
        self._futures: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}
        self.encoded = EncodedEvents()

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()
            futures, self._futures = self._futures, {}
        for loop, future in futures.items():
            if not loop.is_closed():
                loop.call_soon_threadsafe(_wake, future)

    def generation(self) -> int:
        with self._changed:
            return self._generation

    def wait_past(self, generation: int, timeout: float) -> None:
        """Block until something was published after ``generation``, or ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != generation, timeout)

    async def wait_past_async(self, generation: int, timeout: float) -> None:
        """:meth:`wait_past` for a coroutine: the event loop goes on serving meanwhile."""
        loop = asyncio.get_running_loop()
        with self._changed:
            if self._generation != generation:
                return
            future = self._futures.get(loop)
            if future is None:
                future = self._futures[loop] = loop.create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(future), timeout)


class EncodedEvents:
    """Recent events as JSON, by seq: an event never changes, and every waiting reader asks
    for the same ones, so each is encoded once instead of once per reader (with 200 readers
    that encoding was most of a poll's time)."""

    KEEP = 2000

    def __init__(self) -> None:
        self._by_seq: dict[int, str] = {}
        self._lock = threading.Lock()

    def get(self, seqs: range) -> list[str] | None:
        """All of ``seqs`` encoded, or None when one is not kept."""
        with self._lock:
            try:
                return [self._by_seq[s] for s in seqs]
            except KeyError:
                return None

    def keep(self, encoded: dict[int, str]) -> None:
        with self._lock:
            self._by_seq.update(encoded)
            if len(self._by_seq) > 2 * self.KEEP:
                for seq in sorted(self._by_seq)[: -self.KEEP]:
                    del self._by_seq[seq]


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(frozen=True)
class Event:
    seq: int
    time: str
    kind: str
    resource: str
    actor: str | None
    summary: str
    data: Any

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def publish(
    conn: sqlite3.Connection,
    bus: EventBus,
    *,
    now: float,
    kind: str,
    resource: str,
    summary: str,
    actor: str | None = None,
    data: Any = None,
) -> None:
    """Record an event inside the caller's transaction.

    Readers are woken at once; one that looks before the transaction commits simply finds
    nothing new and waits again, because ``recent`` re-reads after every wake-up.
    """
    conn.execute(
        "INSERT INTO events (time, ts, kind, resource, actor, summary, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (iso(now), now, kind, resource, actor, summary, None if data is None else json.dumps(data)),
    )
    bus.notify()


def recent(conn: sqlite3.Connection, after: int, limit: int = 500) -> list[Event]:
    rows = conn.execute(
        "SELECT seq, time, kind, resource, actor, summary, data FROM events "
        "WHERE seq > ? ORDER BY seq LIMIT ?",
        (after, limit),
    )
    return [
        Event(
            r["seq"],
            r["time"],
            r["kind"],
            r["resource"],
            r["actor"],
            r["summary"],
            None if r["data"] is None else json.loads(r["data"]),
        )
        for r in rows
    ]


def recent_json(
    conn: sqlite3.Connection, after: int, limit: int = 500, cache: EncodedEvents | None = None
) -> str:
    """:func:`recent` as a JSON array, the stored ``data`` spliced in as it is: every reader
    gets every event, so decoding and encoding each one per reader was most of the work.
    With ``cache`` an event is encoded once for all readers (seqs have no gaps: a rolled-back
    insert rolls its AUTOINCREMENT back too; a gap only means reading from the table)."""
    if cache is not None:
        wanted = range(after + 1, min(head(conn), after + limit) + 1)
        kept = cache.get(wanted)
        if kept is not None:
            return "[" + ", ".join(kept) + "]"
    rows = conn.execute(
        "SELECT seq, time, kind, resource, actor, summary, data FROM events "
        "WHERE seq > ? ORDER BY seq LIMIT ?",
        (after, limit),
    )
    encoded = {
        r["seq"]: json.dumps(
            {
                "seq": r["seq"],
                "time": r["time"],
                "kind": r["kind"],
                "resource": r["resource"],
                "actor": r["actor"],
                "summary": r["summary"],
            }
        )[:-1]
        + ', "data": '
        + (r["data"] or "null")
        + "}"
        for r in rows
    }
    if cache is not None:
        cache.keep(encoded)
    return "[" + ", ".join(encoded.values()) + "]"


def head(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM events").fetchone()
    return int(row[0] or 0)
