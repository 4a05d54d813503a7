"""The real Prometheus and Alertmanager as child processes on loopback ports.

Both get generated configuration and their own data directories under the sandbox's work
directory; :meth:`MonitoringStack.stop` terminates them (then kills what does not exit), and
so does leaving the ``with`` block, so a failed start never leaves a server behind.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

EVALUATION_SECONDS = 5
PR_SET_PDEATHSIG = 1  # linux/prctl.h
RETENTION = "45d"  # past the 30-day history and SLO period, so nothing seeded is dropped


class MonitoringError(RuntimeError):
    """Prometheus or Alertmanager could not be started or did not become ready."""


class MissingBinaryError(MonitoringError):
    """A binary the sandbox needs is not installed; the message names the Debian package."""

    def __init__(self, binary: str, package: str) -> None:
        super().__init__(
            f"{binary} is not installed; install the Debian package {package} "
            f"(apt-get install --no-install-recommends {package})"
        )
        self.binary = binary
        self.package = package


def find_binary(binary: str, package: str) -> str:
    """The path of ``binary`` on PATH, or :class:`MissingBinaryError` naming ``package``."""
    if (path := shutil.which(binary)) is None:
        raise MissingBinaryError(binary, package)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class ScrapeTarget:
    """One endpoint Prometheus scrapes; ``instance`` is set to the job name so the series keep
    their identity when a restart moves the endpoint to another port."""

    job: str
    address: str  # host:port
    metrics_path: str = "/metrics"


def prometheus_config(
    targets: Sequence[ScrapeTarget],
    rule_files: Sequence[Path],
    *,
    alertmanager: str,
    itself: str,
) -> dict[str, Any]:
    """Prometheus' configuration: scrape and evaluate every 5 s, alerts to ``alertmanager``.

    Prometheus and Alertmanager are scraped too (jobs ``prometheus`` and ``alertmanager``), as
    any SRE would expect of a monitoring stack.
    """
    interval = f"{EVALUATION_SECONDS}s"
    own = [ScrapeTarget("prometheus", itself), ScrapeTarget("alertmanager", alertmanager)]
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path.resolve()) for path in rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [
            {
                "job_name": target.job,
                "metrics_path": target.metrics_path,
                "static_configs": [
                    {"targets": [target.address], "labels": {"instance": target.job}}
                ],
            }
            for target in [*targets, *own]
        ],
    }


def alertmanager_config() -> dict[str, Any]:
    """Alertmanager's configuration: group by SLO, deliver nowhere (the desktop reads the API)."""
    return {
        "route": {
            "receiver": "sandbox",
            "group_by": ["alertname", "sloth_service", "sloth_slo", "sloth_severity"],
            "group_wait": "5s",
            "group_interval": "30s",
            "repeat_interval": "4h",
        },
        "receivers": [{"name": "sandbox"}],
    }


def http_json(url: str, timeout: float = 2.0) -> Any:
    """GET ``url`` and parse the JSON answer."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URLs
        return json.load(response)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2.0) as response:  # noqa: S310 - loopback URLs
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class ChildProcess:
    """A started server: its process, URL and log file."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self, grace_seconds: float = 10.0) -> None:
        """Terminate, wait, then kill if it is still there."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", self.name, grace_seconds)
                self.process.kill()
                self.process.wait()

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise MonitoringError(
                    f"{self.name} exited with {self.process.returncode} before it was {what}; "
                    f"see {self.log_path}"
                )
            if time.monotonic() > deadline:
                raise MonitoringError(f"{self.name} was not {what} after {timeout:.0f} s")
            time.sleep(0.1)


def die_with_parent() -> None:
    """In a child before exec: get SIGTERM when the parent dies, even by kill -9 (Linux).

    Without it a sandbox killed hard would leave Prometheus, Alertmanager and the control
    plane running on their ports.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(name: str, argv: list[str], log_path: Path, url: str) -> ChildProcess:
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 - argv built here from a found binary
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
    log.info("started %s (pid %d) on %s", name, process.pid, url)
    return ChildProcess(name, process, url, log_path)


@dataclass
class MonitoringStack:
    """Prometheus and Alertmanager, configured in ``workdir``.

    Args:
        workdir: where configuration, data and logs go.
        targets: what Prometheus scrapes.
        rule_files: rule files Prometheus loads (the generated SLO rules).
        tsdb_path: Prometheus' data directory, already holding any seeded history blocks.
    """

    workdir: Path
    targets: Sequence[ScrapeTarget]
    rule_files: Sequence[Path]
    tsdb_path: Path
    children: list[ChildProcess] = field(default_factory=list)
    prometheus_url: str = ""
    alertmanager_url: str = ""

    def start(self, timeout: float = 60.0) -> MonitoringStack:
        """Start both servers and wait until Prometheus is ready with every rule group loaded."""
        prometheus = find_binary("prometheus", "prometheus")
        alertmanager = find_binary("prometheus-alertmanager", "prometheus-alertmanager")
        self.workdir.mkdir(parents=True, exist_ok=True)
        prom_port, am_port, am_cluster_port = free_port(), free_port(), free_port()
        prom_url = self.prometheus_url = f"http://127.0.0.1:{prom_port}"
        am_url = self.alertmanager_url = f"http://127.0.0.1:{am_port}"
        prom_config = self.workdir / "prometheus.yml"
        am_config = self.workdir / "alertmanager.yml"
        prom_config.write_text(
            yaml.safe_dump(
                prometheus_config(
                    self.targets,
                    self.rule_files,
                    alertmanager=f"127.0.0.1:{am_port}",
                    itself=f"127.0.0.1:{prom_port}",
                )
            )
        )
        am_config.write_text(yaml.safe_dump(alertmanager_config()))
        am_data = self.workdir / "alertmanager-data"
        am_data.mkdir(exist_ok=True)
        try:
            self.children.append(
                _spawn(
                    "prometheus",
                    [
                        prometheus,
                        f"--config.file={prom_config}",
                        f"--storage.tsdb.path={self.tsdb_path.resolve()}",
                        f"--storage.tsdb.retention.time={RETENTION}",
                        f"--web.listen-address=127.0.0.1:{prom_port}",
                        "--web.enable-lifecycle",  # POST /-/reload after new rules
                        "--log.level=warn",
                    ],
                    self.workdir / "prometheus.log",
                    prom_url,
                )
            )
            self.children.append(
                _spawn(
                    "alertmanager",
                    [
                        alertmanager,
                        f"--config.file={am_config}",
                        f"--storage.path={am_data}",
                        f"--web.listen-address=127.0.0.1:{am_port}",
                        # Its gossip port defaults to 9094 on every interface: keep it on
                        # loopback and on a free port so two sandboxes never meet.
                        f"--cluster.listen-address=127.0.0.1:{am_cluster_port}",
                        "--log.level=warn",
                    ],
                    self.workdir / "alertmanager.log",
                    am_url,
                )
            )
            # A normal interpreter exit stops them too, even without a ``with`` or stop().
            atexit.register(self.stop)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        """Both servers answer their readiness checks and every rule file's groups are loaded."""
        prometheus, alertmanager = self.children
        prometheus.wait_until(lambda: _http_ok(f"{prometheus.url}/-/ready"), "ready", timeout)
        alertmanager.wait_until(lambda: _http_ok(f"{alertmanager.url}/-/ready"), "ready", timeout)
        expected = self._expected_groups()
        prometheus.wait_until(
            lambda: expected <= self.loaded_groups(), "done loading rules", timeout
        )

    def _expected_groups(self) -> set[str]:
        groups: set[str] = set()
        for path in self.rule_files:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            groups.update(group["name"] for group in doc.get("groups", []))
        return groups

    def loaded_groups(self) -> set[str]:
        """Names of the rule groups Prometheus has loaded (``/api/v1/rules``)."""
        try:
            doc = http_json(f"{self.prometheus_url}/api/v1/rules")
        except (urllib.error.URLError, OSError, ValueError):
            return set()
        return {group["name"] for group in doc["data"]["groups"]}

    def stop(self) -> None:
        """Stop Alertmanager and Prometheus; safe to call twice."""
        atexit.unregister(self.stop)
        while self.children:
            self.children.pop().stop()

    def __enter__(self) -> MonitoringStack:
        return self.start() if not self.children else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
