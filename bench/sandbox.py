"""Where the data-path figures get their Prometheus: the sandbox (a real Prometheus with the
workload's history), a URL given on the command line, or the synthetic endpoint."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .synthetic_prometheus import synthetic_prometheus

STARTUP_SECONDS = 180
HISTORY_DAYS = 0.1  # 2.4 h: more than the 1 h window B2 and B7 ask for
SYNTHETIC_SERIES = 8  # about the sandbox's services: one series per service and signal
# The status file of a sandbox already running (the test suite's): used instead of a new one.
REUSE_ENV = "AIOKE_BENCH_SANDBOX_STATUS"


@contextmanager
def running_sandbox(history_days: float = HISTORY_DAYS) -> Iterator[dict[str, Any]]:
    """Start ``aioke-sandbox`` in a temporary directory; yields its status (URLs).

    With ``$AIOKE_BENCH_SANDBOX_STATUS`` set, the sandbox that status file describes is used
    and left running: the quick bench in the test suite shares the suite's sandbox.
    """
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        yield json.loads(Path(reuse).read_text())
        return
    workdir = Path(tempfile.mkdtemp(prefix="aioke-bench-"))
    status_file = workdir / "status.json"
    log = (workdir / "sandbox.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own module, our own arguments
        [sys.executable, "-m", "aioke_cluster.sandbox.main", "--workdir", str(workdir / "sb"),
         "--status-file", str(status_file), "--history-days", str(history_days)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not status_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start; see {log.name}")
            time.sleep(0.5)
        status: dict[str, Any] = json.loads(status_file.read_text())
        yield status
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def prometheus_for(url: str | None, *, synthetic: bool) -> Iterator[tuple[str, str]]:
    """``(url, what it is)``: the given URL, else the synthetic endpoint or a new sandbox."""
    if url:
        yield url, f"Prometheus at {url}"
    elif synthetic:
        with synthetic_prometheus(SYNTHETIC_SERIES, 721) as found:
            yield found, f"synthetic endpoint ({SYNTHETIC_SERIES} series a query)"
    else:
        with running_sandbox() as status:
            yield str(status["prometheus_url"]), "the sandbox's Prometheus"
