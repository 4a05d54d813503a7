"""``--demo``: run against a local sandbox cluster, started here or already running.

The sandbox is a separate program (``aioke-sandbox``, from ``aioke_cluster``); the desktop
only starts it, reads its status file and stops it again, so the two never import each other.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..core.contexts import Context

log = logging.getLogger(__name__)

DEMO_CONTEXT = "sandbox"
START_SECONDS = 400.0  # a first start seeds 30 days of history: a minute on 2 idle cores


class DemoError(RuntimeError):
    """The sandbox could not be started or reached; the message says why in one sentence."""


@dataclass(frozen=True)
class DemoCluster:
    """A running sandbox: where it is and the demo user's credentials (kept in memory only)."""

    context: Context
    password: str
    totp_secret: str
    process: subprocess.Popen[bytes] | None  # None: someone else's sandbox, reused

    def stop(self) -> None:
        """Stop the sandbox if this app started it."""
        if self.process is None or self.process.poll() is not None:
            return
        log.info("demo: stopping the sandbox")
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def status_path() -> Path:
    """Where a running sandbox says how to reach it (one per user)."""
    base = os.environ.get("AIOKE_SANDBOX_STATUS")
    if base:
        return Path(base)
    return Path(platformdirs.user_runtime_dir("aioke", ensure_exists=True)) / "sandbox.json"


def _sandbox_command() -> list[str]:
    here = str(Path(sys.executable).parent)
    if getattr(sys, "frozen", False):
        # A PyInstaller bundle ships aioke-sandbox beside the app, and has no ``python -m``.
        return [shutil.which("aioke-sandbox", path=here) or str(Path(here, "aioke-sandbox"))]
    found = shutil.which("aioke-sandbox", path=here) or shutil.which("aioke-sandbox")
    return [found] if found else [sys.executable, "-m", "aioke_cluster.sandbox.main"]


def _alive(status: dict[str, object]) -> bool:
    try:
        url = f"{status['control_plane_url']}/healthz"
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError, KeyError):
        return False


def _read(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _cluster(status: dict[str, object], process: subprocess.Popen[bytes] | None) -> DemoCluster:
    context = Context(
        name=DEMO_CONTEXT,
        control_plane_url=str(status["control_plane_url"]),
        prometheus_url=str(status["prometheus_url"]),
        alertmanager_url=str(status["alertmanager_url"]),
        username=str(status["username"]),
    )
    return DemoCluster(context, str(status["password"]), str(status["totp_secret"]), process)


def start_sandbox(history_days: float = 30.0, timeout_s: float = START_SECONDS) -> DemoCluster:
    """Reuse the user's running sandbox, or start one and wait until it is ready."""
    path = status_path()
    existing = _read(path)
    if existing is not None and _alive(existing):
        log.info("demo: reusing the sandbox at %s", existing["control_plane_url"])
        return _cluster(existing, None)
    path.unlink(missing_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="aioke-demo-"))
    argv = [*_sandbox_command(), "--workdir", str(workdir), "--status-file", str(path)]
    argv += ["--history-days", str(history_days)]
    log.info("demo: starting the sandbox in %s", workdir)
    with (workdir.parent / f"{workdir.name}.log").open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own sandbox command
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + timeout_s
    while True:
        status = _read(path)
        if status is not None:
            return _cluster(status, process)
        if process.poll() is not None:
            raise DemoError(
                f"The sandbox stopped while starting (exit {process.returncode}); see {out.name}."
            )
        if time.monotonic() > deadline:
            process.terminate()
            raise DemoError(f"The sandbox was not ready after {timeout_s:.0f} s; see {out.name}.")
        time.sleep(0.25)
