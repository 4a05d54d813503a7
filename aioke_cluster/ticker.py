"""A background thread that runs one pass every few seconds until stopped: the chaos
engine's and the flag ramps' loops. A failing pass is logged and the next one retries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, name: str, run_pass: Callable[[], None], every_seconds: float) -> None:
        self.name, self._run_pass, self.every_seconds = name, run_pass, every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and wait for it; call before the database closes."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_pass()
            except Exception:
                log.exception("a %s pass failed; the next one retries", self.name)
            self._stop.wait(self.every_seconds)
