"""``aioke-sandbox``: the whole cluster on loopback, for the demo and the tests.

It seeds Prometheus with history, starts Prometheus and Alertmanager, starts the control
plane (with the simulated workload) as a child process it restarts if it dies, creates a
demo user with a random password and TOTP secret, and writes a status file (mode 0600)
with the URLs and those credentials. Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from ..resources import runbooks_dir, slos_dir
from ..slos import load_slos
from ..users import create_user
from .backfill import HistoryPlan, default_cache_dir, seed_history
from .processes import (
    MonitoringError,
    MonitoringStack,
    ScrapeTarget,
    die_with_parent,
    free_port,
    http_json,
)
from .rules import write_rules
from .seed import seed_flags
from .traffic import WORKLOAD_JOB

log = logging.getLogger("aioke_cluster.sandbox")

DEMO_USER = "demo"
DEMO_ROLES = ["admin", "chaos", "operator"]
READY_SECONDS = 90.0
RESTART_PAUSE_SECONDS = 1.0


class SandboxError(RuntimeError):
    """The sandbox could not start; the message says why in one sentence."""


def cluster_command() -> list[str]:
    """How to run ``aioke-cluster``: this interpreter with the module, or, in a PyInstaller
    bundle (where ``sys.executable`` is not Python), the bundle's own ``aioke-cluster``."""
    if getattr(sys, "frozen", False):
        here = Path(sys.executable).parent
        return [shutil.which("aioke-cluster", path=str(here)) or str(here / "aioke-cluster")]
    return [sys.executable, "-m", "aioke_cluster"]


@dataclass
class ControlPlane:
    """The control plane child: ``aioke-cluster serve --simulate`` on a fixed port."""

    workdir: Path
    port: int
    prometheus_url: str
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [
            *cluster_command(), "serve",
            "--db", str(self.workdir / "cluster.db"),
            "--port", str(self.port),
            "--simulate",
            "--prometheus-url", self.prometheus_url,
            "--runbooks-dir", str(runbooks_dir()),
            "--slos-dir", str(slos_dir()),
            # Demos and tests watch a ramp move in seconds, not minutes.
            "--ramp-min-interval-seconds", "2",
        ]  # fmt: skip
        with (self.workdir / "control-plane.log").open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
        log.info("started the control plane (pid %d) on %s", self.process.pid, self.url)

    def healthy(self) -> bool:
        try:
            return bool(http_json(f"{self.url}/healthz", timeout=1.0)["status"] == "ok")
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            return False

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Sandbox:
    workdir: Path
    status_file: Path
    history_days: float
    monitoring: MonitoringStack | None = None
    control_plane: ControlPlane | None = None
    status: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        began = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        slos = load_slos(slos_dir())
        rules = write_rules(slos, self.workdir / "slo-rules.yml")
        tsdb = self.workdir / "prometheus-data"
        # History goes into a fresh TSDB; a reused work directory's live data is dropped and
        # the gap refilled from the history cache.
        shutil.rmtree(tsdb, ignore_errors=True)
        days = self.history_days
        plan = HistoryPlan(days=days, fine_days=min(days, HistoryPlan.fine_days))
        seeded = seed_history(tsdb, default_cache_dir(), slos, plan)
        log.info("history: %.0f days in %.1f s", days, seeded.seconds)

        port = free_port()
        address = f"127.0.0.1:{port}"
        self.monitoring = MonitoringStack(
            workdir=self.workdir,
            targets=[
                ScrapeTarget("control-plane", address),
                ScrapeTarget(WORKLOAD_JOB, address, "/metrics/workload"),
            ],
            rule_files=[rules],
            tsdb_path=tsdb,
        ).start(timeout=READY_SECONDS)
        password, secret = self._create_demo_user()
        seed_flags(self.workdir / "cluster.db")
        self.control_plane = ControlPlane(self.workdir, port, self.monitoring.prometheus_url)
        self.control_plane.start()
        # Seeding has its own cost (a minute for 30 days on 2 idle cores, seconds from the
        # cache); the servers then get READY_SECONDS to answer, load their rules and scrape.
        self._wait_ready(time.monotonic() + READY_SECONDS)
        self.status = {
            "control_plane_url": self.control_plane.url,
            "prometheus_url": self.monitoring.prometheus_url,
            "alertmanager_url": self.monitoring.alertmanager_url,
            "username": DEMO_USER,
            "password": password,
            "totp_secret": secret,
            "workdir": str(self.workdir),
            "pid": os.getpid(),
            "control_plane_pid": self.control_plane.process.pid
            if self.control_plane.process
            else None,
            "ready_seconds": round(time.monotonic() - began, 1),
        }
        self._write_status()

    def _create_demo_user(self) -> tuple[str, str]:
        """A demo user with a random password and TOTP secret: no fixed credentials anywhere."""
        from ..app import create_app  # migrates every module's schema

        services = create_app(self.workdir / "cluster.db").state.services
        password = secrets.token_urlsafe(18)
        try:
            with services.db.write() as conn:
                _, secret = create_user(
                    conn, services.passwords, name=DEMO_USER, password=password,
                    roles=DEMO_ROLES, now=time.time(), enrolled=True,
                )  # fmt: skip
        finally:
            services.db.close()
        assert secret is not None
        return password, secret

    def _wait_ready(self, deadline: float) -> None:
        """Health checks green and the live workload's series in Prometheus."""
        assert self.control_plane is not None
        assert self.monitoring is not None
        query = urllib.parse.quote(f'up{{job="{WORKLOAD_JOB}"}} == 1')
        url = f"{self.monitoring.prometheus_url}/api/v1/query?query={query}"
        while True:
            if self.control_plane.exited():
                raise SandboxError(
                    "the control plane exited while starting; "
                    f"see {self.workdir / 'control-plane.log'}"
                )
            try:
                if self.control_plane.healthy() and http_json(url)["data"]["result"]:
                    return
            except (urllib.error.URLError, OSError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise SandboxError(f"the sandbox was not ready within {READY_SECONDS:.0f} s")
            time.sleep(0.25)

    def _write_status(self) -> None:
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.status_file.with_name(self.status_file.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(self.status, out, indent=2)
        tmp.replace(self.status_file)

    def supervise(self, stopping: list[bool]) -> None:
        """Restart the control plane if it dies, as a service manager would."""
        assert self.control_plane is not None
        assert self.monitoring is not None
        while not stopping:
            if self.control_plane.exited():
                code = self.control_plane.process.returncode if self.control_plane.process else None
                log.warning("the control plane exited (%s); restarting it", code)
                time.sleep(RESTART_PAUSE_SECONDS)
                self.control_plane.restarts += 1
                self.control_plane.start()
                self.status["control_plane_pid"] = self.control_plane.process.pid  # type: ignore[union-attr]
                self._write_status()
            for child in self.monitoring.children:
                if child.process.poll() is not None:
                    raise SandboxError(f"{child.name} exited; see {child.log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.control_plane is not None:
            self.control_plane.stop()
        if self.monitoring is not None:
            self.monitoring.stop()
        self.status_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aioke-sandbox", description=__doc__)
    parser.add_argument("--workdir", type=Path, help="default: a new temporary directory")
    parser.add_argument("--status-file", type=Path, help="default: WORKDIR/status.json")
    parser.add_argument(
        "--history-days", type=float, default=30.0, help="days of seeded history (default 30)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="aioke-sandbox-"))
    sandbox = Sandbox(workdir, args.status_file or workdir / "status.json", args.history_days)

    stopping: list[bool] = []

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        stopping.append(True)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        sandbox.start()
        print(f"control plane  {sandbox.status['control_plane_url']}", flush=True)
        print(f"prometheus     {sandbox.status['prometheus_url']}", flush=True)
        print(f"alertmanager   {sandbox.status['alertmanager_url']}", flush=True)
        print(f"credentials    {sandbox.status_file} (user {DEMO_USER})", flush=True)
        sandbox.supervise(stopping)
    except (MonitoringError, SandboxError) as exc:
        print(f"aioke-sandbox: {exc}", file=sys.stderr)
        return 1
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
