"""The tray on a real X server with a real tray host and notification daemon.

This process runs offscreen, so the Qt part runs in a child: Xvfb on a display it picks
itself (``-displayfd``), then ``dbus-run-session`` running ``tray_probe.py``, which starts
trayer and dunst on that session and prints what it saw.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "dbus-run-session", "trayer", "dunst", "dunstctl")
PROBE = Path(__file__).with_name("tray_probe.py")

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(
        any(shutil.which(tool) is None for tool in TOOLS),
        reason=f"needs {', '.join(TOOLS)} (packaging/bootstrap.sh installs them)",
    ),
]


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb; its display number chosen by Xvfb itself, so parallel runs never clash."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as numbers:
            number = numbers.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def test_the_tray_icon_shows_and_the_notification_reaches_the_desktop(display: str) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY")
    }
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", AIOKE_THEME="light")
    done = subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(PROBE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["tray_host"], "trayer never offered a system tray"
    assert seen["notification_service"], "dunst never answered on the session bus"
    assert seen["icon_shown"]
    assert min(seen["icon_geometry"]) > 0
    # Delivered over D-Bus (not as Qt's own balloon), and dunst kept it in its history.
    assert seen["delivered"] == [["Critical: GatewayHighErrorRate", "desktop"]]
    assert "Critical: GatewayHighErrorRate" in seen["dunst_history"]
    assert "1 firing (worst: critical)" in seen["tooltip"]
    assert seen["hidden_on_close"]
