"""A real Prometheus evaluating stand-ins for Sloth's rules, and a control plane whose chaos
guards and launch checks ask it: shared by the control plane's guard tests and the Chaos
page's (``tests/cluster/test_chaos_guards.py``, ``tests/desktop/test_ops_chaos_guards.py``).

The rules, evaluated every second: ``payments`` has spent its error budget, ``inventory``'s
page alert fires, ``checkout`` burns its budget 20 times too fast and ``search`` is healthy.
A test module takes the fixtures by naming them: ``prometheus = stand_ins.prometheus``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from aioke_cluster.services import Settings
from harness import Cluster, running_cluster


def _slo(service: str, record: str, value: float) -> dict[str, Any]:
    labels = {"sloth_service": service, "sloth_slo": "availability"}
    return {"record": record, "expr": f"vector({value})", "labels": labels}


RULES = {
    "groups": [
        {
            "name": "slo-stand-ins",
            "interval": "1s",
            "rules": [
                _slo("payments", "slo:period_error_budget_remaining:ratio", 0.02),
                _slo("search", "slo:period_error_budget_remaining:ratio", 0.9),
                _slo("checkout", "slo:period_error_budget_remaining:ratio", 0.8),
                _slo("checkout", "slo:current_burn_rate:ratio", 20),
                _slo("search", "slo:current_burn_rate:ratio", 0.5),
                {
                    "alert": "InventoryLatencyBurn",
                    "expr": "vector(1)",
                    "labels": {
                        "sloth_service": "inventory",
                        "sloth_slo": "latency",
                        "sloth_severity": "page",
                    },
                },
            ],
        }
    ]
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)


def _answers(url: str, expr: str) -> bool:
    try:
        reply = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=2)
        return bool(reply.status_code == 200 and reply.json()["data"]["result"])
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed; install the Debian package prometheus")
    workdir = tmp_path_factory.mktemp("prometheus")
    (workdir / "rules.yml").write_text(yaml.safe_dump(RULES))
    config = {"global": {"evaluation_interval": "1s"}, "rule_files": [str(workdir / "rules.yml")]}
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (workdir / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _until(lambda: _answers(url, 'ALERTS{alertstate="firing"}'), "rules evaluated")
        _until(lambda: _answers(url, "slo:current_burn_rate:ratio"), "burn rates recorded")
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def watched(prometheus: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane whose guards and launch checks ask the Prometheus above."""
    db_path = tmp_path_factory.mktemp("watched") / "cluster.db"
    with running_cluster(db_path, settings=Settings(prometheus_url=prometheus)) as cluster:
        yield cluster


def launch(
    client: httpx.Client, target: str, guard: dict[str, Any] | None = None
) -> httpx.Response:
    body = {
        "fault": "latency",
        "target": target,
        "params": {"latency_ms": 100},
        "duration_seconds": 300,
        "guard": guard,
    }
    return client.post("/chaos/runs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
