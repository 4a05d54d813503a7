"""Fault tests: the desktop's task-runner fixture, for the tests that drive the UI.

Only ``runner`` is shared here; tests that want the desktop's strict "nothing left running"
check import ``_nothing_left_running`` themselves, so it does not apply to the others.
"""

from __future__ import annotations

from desktop.conftest import runner

__all__ = ["runner"]
