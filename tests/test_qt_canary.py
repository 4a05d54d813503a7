"""Canary: PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call,
and the interpreter aborts with ``none_dealloc`` within minutes. This fails first."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_do_not_leak_references_to_none() -> None:
    obj = QObject()
    obj.setObjectName("warm-up")
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("canary")
    after = sys.getrefcount(None)
    # Unrelated code may take a handful of references meanwhile; the bug loses 1,000.
    assert after - before > -50, f"refcount of None fell by {before - after} over 1,000 calls"
