"""Access tokens issued by a refresh and used soon after, remembered in memory.

A retried refresh is only let through while the pair it replaces is unused. Whether a
refresh token was used is in the database; whether its access token was is noted here
instead, because the request path only reads (it runs on the event loop and must never wait
for SQLite's writer). A note matters only within the retry window, so older ones are dropped;
a restart forgets them, which at worst lets one retry through in the 30 s after it.
"""

from __future__ import annotations

import threading


class RecentUses:
    """Hashes of access tokens seen in use, each kept for ``keep_seconds`` after its issue."""

    def __init__(self) -> None:
        self._issued_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, access_hash: str, issued_at: float, now: float, keep_seconds: float) -> None:
        if now - issued_at > keep_seconds:
            return  # its refresh is past the retry window: nothing would ask
        with self._lock:
            for seen, at in list(self._issued_at.items()):
                if now - at > keep_seconds:
                    del self._issued_at[seen]
            self._issued_at[access_hash] = issued_at

    def seen(self, access_hash: str) -> bool:
        with self._lock:
            return access_hash in self._issued_at
