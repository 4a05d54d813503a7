"""The Overview's data path against another Prometheus-compatible store: VictoriaMetrics,
holding samples written here, answers the same queries with the numbers written."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.golden import SIGNALS, GoldenPlan, fetch_golden
from aioke_desktop.core.promql import GoldenSignalTemplates

BINARY = shutil.which("victoria-metrics")  # packaging/bootstrap.sh installs it

STEP_S = 5
MINUTES = 20
RATE = {"search": 10.0, "gateway": 40.0}  # requests a second, 2 % of them 5xx
BUCKETS = {"0.1": 0.5, "0.5": 0.98, "+Inf": 1.0}  # share of requests at most that long


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def samples(end: float) -> str:
    """Counters and gauges as the sandbox's services export them, every 5 s."""
    lines = []
    start = end - MINUTES * 60
    for n in range(MINUTES * 60 // STEP_S + 1):
        at = start + n * STEP_S
        ms = int(at * 1000)
        for service, rate in RATE.items():
            total = rate * n * STEP_S
            name = f'service="{service}"'
            count = "http_server_request_duration_seconds_count"
            lines.append(f'{count}{{{name},http_response_status_code="200"}} {total * 0.98} {ms}')
            lines.append(f'{count}{{{name},http_response_status_code="500"}} {total * 0.02} {ms}')
            for le, share in BUCKETS.items():
                bucket = f'http_server_request_duration_seconds_bucket{{{name},le="{le}"}}'
                lines.append(f"{bucket} {total * share} {ms}")
            for resource, value in (("cpu", 0.4), ("memory", 0.5), ("queue", 0.05)):
                labels = f'{name},resource="{resource}"'
                lines.append(f"aioke_saturation_ratio{{{labels}}} {value} {ms}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[str]:
    assert BINARY is not None, "VictoriaMetrics is missing: run packaging/bootstrap.sh test"
    port = free_port()
    process = subprocess.Popen(
        [
            BINARY,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={tmp_path / 'vm'}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",  # answer up to now, as Prometheus does
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "VictoriaMetrics exited"
            assert time.monotonic() < deadline, "VictoriaMetrics did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_every_signal_reads_from_victoria_metrics_as_written(victoria: str) -> None:
    end = math.floor(time.time() / STEP_S) * STEP_S - 60
    written = httpx.post(f"{victoria}/api/v1/import/prometheus", content=samples(end), timeout=30)
    assert written.status_code == 204, written.text
    assert httpx.get(f"{victoria}/internal/force_flush", timeout=30).status_code == 200
    source = PrometheusSource(victoria)
    try:
        plan = GoldenPlan.build(GoldenSignalTemplates(), 600, end=end)
        fetched = fetch_golden(source, plan, now=end)
    finally:
        source.close()
    for signal in SIGNALS:
        for service in RATE:
            found = [s for s in fetched.series if s.signal == signal and s.service == service]
            assert found, (signal, service)
            assert all(math.isfinite(v) for s in found for v in s.values[-5:]), (signal, service)

    def last(signal: str, service: str, detail: str = "") -> float:
        (one,) = [
            s
            for s in fetched.series
            if s.signal == signal and s.service == service and s.detail == detail
        ]
        return float(one.values[-1])

    for service, rate in RATE.items():
        assert last("traffic", service) == pytest.approx(rate, rel=0.01)
        assert last("error_ratio", service) == pytest.approx(2.0, rel=0.01)  # in %
        # Half the requests within 100 ms; the 95th percentile interpolated in (0.1, 0.5].
        assert last("latency_p50", service) == pytest.approx(100.0, rel=0.01)
        assert last("latency_p95", service) == pytest.approx(475.0, rel=0.01)
        assert last("saturation", service, "cpu") == pytest.approx(40.0)
