"""Where the window was: a small JSON file beside the settings file.

Geometry is this machine's business, not a setting worth migrating, so it stays out of
``config.toml``. A missing or damaged file means "use the defaults", never an error.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "window-state.json"
VERSION = 1


@dataclass(frozen=True)
class WindowState:
    """Attributes:
    geometry: ``QWidget.saveGeometry()``'s bytes (position, size, maximised, screen).
    """

    geometry: bytes | None = None


def load_window_state(config_dir: Path) -> WindowState:
    path = config_dir / FILE_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        encoded = doc.get("geometry") if isinstance(doc, dict) else None
        geometry = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
    except FileNotFoundError:
        return WindowState()
    except (OSError, ValueError, binascii.Error) as exc:
        log.warning("window state %s ignored: %s", path, exc)
        return WindowState()
    return WindowState(geometry=geometry)


def save_window_state(config_dir: Path, state: WindowState) -> None:
    """Write atomically; a failure is logged (losing the geometry is no reason to crash)."""
    doc: dict[str, object] = {"version": VERSION}
    if state.geometry is not None:
        doc["geometry"] = base64.b64encode(state.geometry).decode("ascii")
    tmp: str | None = None
    try:
        config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=config_dir, prefix=".window-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle)
        os.replace(tmp, config_dir / FILE_NAME)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        log.warning("window state not saved to %s: %s", config_dir, exc)
