"""The real Prometheus and Alertmanager over a seeded history, plus a live target that
carries the history's series on, as the sandbox runs them."""

from __future__ import annotations

import io
import itertools
import os
import random
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.utils import floatToGoString

from aioke_cluster.sandbox import history
from aioke_cluster.sandbox.backfill import HistoryPlan, SeededHistory, seed_history
from aioke_cluster.sandbox.processes import (
    MissingBinaryError,
    MonitoringStack,
    ScrapeTarget,
    http_json,
)
from aioke_cluster.sandbox.rules import write_rules
from aioke_cluster.sandbox.traffic import LATENCY_BUCKETS, SERVICE_PROFILES, SERVICES
from aioke_cluster.slos import Slo, load_slos

pytestmark = pytest.mark.slow

SLO_DIR = Path(__file__).resolve().parents[2] / "resources" / "slos"
# A few hours keep the test quick; the lead time leaves the last history samples inside the
# 5-minute rate window for the first few minutes, as in the sandbox.
PLAN = HistoryPlan(days=3 / 24, fine_days=3 / 24, end_lead_seconds=120)
LIVE_LABELS = ("checkout", "/api/checkout", "POST", "200")


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.25)
    return result


@dataclass
class Running:
    stack: MonitoringStack
    seeded: SeededHistory
    slos: list[Slo]
    cache: Path

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} | ({"time": str(at)} if at is not None else {})
        url = f"{self.stack.prometheus_url}/api/v1/query?{urllib.parse.urlencode(params)}"
        result: list[dict[str, Any]] = http_json(url)["data"]["result"]
        return result


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    work = tmp_path_factory.mktemp("monitoring")
    slos = load_slos(SLO_DIR)
    seeded = seed_history(work / "tsdb", work / "cache", slos, PLAN)
    # A live target with one of the history's series, as the workload will serve it.
    registry = CollectorRegistry()
    requests = Histogram(
        "http_server_request_duration_seconds",
        "Request latency.",
        ["service", "http_route", "http_request_method", "http_response_status_code"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    for _ in range(50):
        requests.labels(*LIVE_LABELS).observe(0.1)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    target = ScrapeTarget("workload", f"127.0.0.1:{server.server_port}")
    rules = write_rules(slos, work / "slo-rules.yml")
    try:
        with MonitoringStack(work / "stack", [target], [rules], work / "tsdb") as stack:
            yield Running(stack, seeded, slos, work / "cache")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_history_is_queryable_for_every_service(running: Running) -> None:
    before_end = running.seeded.end - 600
    rates = running.query(
        "sum by (service) (rate(http_server_request_duration_seconds_count[10m]))", before_end
    )
    by_service = {r["metric"]["service"]: float(r["value"][1]) for r in rates}
    assert set(by_service) == set(SERVICES)
    assert all(rps > 0 for rps in by_service.values())
    p99 = running.query(
        "histogram_quantile(0.99, sum by (le) "
        '(rate(http_server_request_duration_seconds_bucket{service="checkout"}[10m])))',
        before_end,
    )
    assert 0.05 < float(p99[0]["value"][1]) < 2.5


def slo_ids(results: list[dict[str, Any]]) -> set[str]:
    return {r["metric"]["sloth_id"] for r in results}


def test_recording_rules_produce_the_5m_error_ratio_for_every_slo(running: Running) -> None:
    # timestamp() is the sample's own time: newer than the history means the rules made it.
    expr = f"timestamp(slo:sli_error:ratio_rate5m) > {running.seeded.end + 30}"
    every_slo = {slo.id for slo in running.slos}
    wait_for(
        lambda: slo_ids(running.query(expr)) == every_slo,
        "a recorded slo:sli_error:ratio_rate5m for each SLO",
    )


def test_the_30_day_window_holds_the_history_from_the_start(running: Running) -> None:
    every_slo = {slo.id for slo in running.slos}
    wait_for(
        lambda: slo_ids(running.query("slo:period_error_budget_remaining:ratio")) == every_slo,
        "slo:period_error_budget_remaining:ratio for each SLO",
    )
    replayed = running.query("count_over_time(slo:sli_error:ratio_rate5m[1h])", running.seeded.end)
    assert slo_ids(replayed) == every_slo
    assert all(float(r["value"][1]) >= 55 for r in replayed)  # one sample a minute


def test_live_scraping_continues_the_history_series(running: Running) -> None:
    service, route, method, status = LIVE_LABELS
    selector = (
        f'http_server_request_duration_seconds_count{{service="{service}",http_route="{route}",'
        f'http_request_method="{method}",http_response_status_code="{status}"}}'
    )
    # The history's total is in the tens of thousands; the live counter starts again at 50.
    wait_for(
        lambda: [float(r["value"][1]) for r in running.query(selector)] == [50.0],
        "the live sample",
    )
    series = running.query(f"count_over_time({selector}[1h])")
    assert len(series) == 1  # one series across the seam: same labels, job and instance
    assert series[0]["metric"] == {
        "service": service,
        "http_route": route,
        "http_request_method": method,
        "http_response_status_code": status,
        "job": "workload",
        "instance": "workload",
    }
    # rate() reads the restart from the history's total to 50 as a counter reset.
    assert running.query(f"rate({selector}[10m]) > 0")
    # Bucket bounds are written alike too ("1.0", not "1"), or quantiles would break here.
    for le in ("0.5", "1.0", "+Inf"):
        bucket = selector.replace("_count{", "_bucket{").replace("}", f',le="{le}"}}')
        assert [float(r["value"][1]) for r in running.query(bucket)] == [50.0]
        # The same series holds the history's thousands before the live 50.
        assert float(running.query(f"max_over_time({bucket}[1h])")[0]["value"][1]) > 1000


def test_alertmanager_is_reachable_and_prometheus_sends_to_it(running: Running) -> None:
    status = http_json(f"{running.stack.alertmanager_url}/api/v2/status")
    assert status["versionInfo"]["version"].startswith("0.")
    managers = wait_for(
        lambda: http_json(f"{running.stack.prometheus_url}/api/v1/alertmanagers")["data"][
            "activeAlertmanagers"
        ],
        "Prometheus discovering Alertmanager",
    )
    assert managers[0]["url"].startswith(running.stack.alertmanager_url)


def test_a_second_start_reuses_the_cached_history(running: Running, tmp_path: Path) -> None:
    again = seed_history(tmp_path / "tsdb", running.cache, running.slos, PLAN)
    assert again.cache_dir == running.seeded.cache_dir
    assert again.generated_seconds_of_history <= 120 + time.time() - running.seeded.end
    assert again.start >= running.seeded.start
    assert len(list((tmp_path / "tsdb").iterdir())) == again.blocks >= running.seeded.blocks


def test_stop_leaves_no_process_behind(tmp_path: Path) -> None:
    stack = MonitoringStack(tmp_path, [], [], tmp_path / "tsdb").start()
    processes = [child.process for child in stack.children]
    assert len(processes) == 2
    stack.stop()
    stack.stop()  # twice is harmless
    for process in processes:
        assert process.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.kill(process.pid, 0)


def test_a_missing_binary_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(MissingBinaryError, match="install the Debian package prometheus "):
        MonitoringStack(tmp_path, [], [], tmp_path / "tsdb").start()
    with pytest.raises(MissingBinaryError, match="install the Debian package prometheus "):
        seed_history(tmp_path / "tsdb", tmp_path / "cache", [], PLAN)
    (bin_dir / "prometheus").symlink_to("/usr/bin/prometheus")
    with pytest.raises(MissingBinaryError, match="Debian package prometheus-alertmanager"):
        MonitoringStack(tmp_path, [], [], tmp_path / "tsdb").start()


def test_history_le_labels_are_written_as_prometheus_client_writes_them() -> None:
    assert history.LE_VALUES[:-1] == [floatToGoString(b) for b in LATENCY_BUCKETS]


def test_history_counters_never_go_down_and_buckets_add_up() -> None:
    state = history.HistoryState(end=1_700_000_000)
    incidents = history.place_incidents([], 1_700_000_000)
    samples: dict[str, list[float]] = {}
    for _ in range(2):  # two pieces: the totals carry over
        out = io.StringIO()
        history.write_chunk(
            out,
            state,
            state.end + 1800,
            profiles=SERVICE_PROFILES,
            incidents=incidents,
            target_labels={"job": "workload", "instance": "workload"},
            step_seconds=60,
            rng=random.Random(1),
        )
        for line in out.getvalue().splitlines():
            series, value, _ = line.rsplit(" ", 2)
            samples.setdefault(series, []).append(float(value))
    counters = {k: v for k, v in samples.items() if not k.startswith("aioke_saturation")}
    assert all(len(v) == 60 for v in samples.values())
    assert all(a <= b for v in counters.values() for a, b in itertools.pairwise(v))
    for series, values in counters.items():
        if 'le="+Inf"' in series:
            count = series.replace("_bucket{", "_count{").replace(',le="+Inf"', "")
            assert values == counters[count]
            below = series.replace('le="+Inf"', 'le="10.0"')
            assert all(a <= b for a, b in zip(counters[below], values, strict=True))
