"""``aioke-desktop --demo --screenshot``: the real login path against a running sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from PySide6.QtGui import QImage

from sandbox_harness import Sandbox

pytestmark = pytest.mark.slow


def distinct_colours(path: Path) -> int:
    image = QImage(str(path))
    assert not image.isNull()
    step = 8
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def test_demo_logs_in_to_the_running_sandbox_and_shows_its_flags(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    shot = tmp_path / "flags.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "AIOKE_CONFIG_DIR": str(tmp_path / "config"),
        # Reuse the session's sandbox rather than start a second one.
        "AIOKE_SANDBOX_STATUS": str(sandbox.workdir / "status.json"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "aioke_desktop", "--demo", "--page", "flags",
         "--screenshot", str(shot), "--size", "1280x800"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert distinct_colours(shot) > 20
    assert QImage(str(shot)).size().toTuple() == (1280, 800)
    # A reused sandbox is left running for whoever started it.
    assert sandbox.process.poll() is None
    health = httpx.get(sandbox.status["control_plane_url"] + "/healthz", timeout=5)
    assert health.status_code == 200
    # Nothing of the demo's credentials was written to the config directory.
    written = "".join(p.read_text() for p in (tmp_path / "config").rglob("*") if p.is_file())
    assert sandbox.status["password"] not in written
    assert sandbox.status["totp_secret"] not in written
