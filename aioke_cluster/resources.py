"""Where the shipped data lives: SLO definitions and runbooks under ``resources/``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """``AIOKE_RESOURCES_DIR``, else the bundle's copy (PyInstaller), else the source tree's."""
    override = os.environ.get("AIOKE_RESOURCES_DIR")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def slos_dir() -> Path:
    return resources_dir() / "slos"


def runbooks_dir() -> Path:
    return resources_dir() / "runbooks"
