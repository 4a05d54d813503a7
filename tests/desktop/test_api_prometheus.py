"""PrometheusSource and AlertmanagerClient against the real binaries (Debian packages
``prometheus`` and ``prometheus-alertmanager``), each started on 127.0.0.1 for this module;
warnings, which a stock Prometheus cannot be made to send, come from a mock transport."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from aioke_desktop.api.alertmanager import AlertmanagerClient
from aioke_desktop.api.errors import MalformedResponse, QueryFailed, ServerError
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.alerts import Matcher
from aioke_desktop.core.promql import GoldenSignalQueries, GoldenSignalTemplates


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: apt-get install {package}")
    return found


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url} exited with {process.returncode}"
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become ready")


def _run(args: list[str], url: str) -> Iterator[str]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    port = _free_port()
    yield from _run(
        [
            _binary("prometheus", "prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        f"http://127.0.0.1:{port}",
    )


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("alertmanager")
    config = work / "alertmanager.yml"
    config.write_text("route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
    port = _free_port()
    yield from _run(
        [
            _binary("prometheus-alertmanager", "prometheus-alertmanager"),
            f"--config.file={config}",
            f"--storage.path={work}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        f"http://127.0.0.1:{port}",
    )


@pytest.fixture
def source(prometheus: str) -> Iterator[PrometheusSource]:
    client = PrometheusSource(prometheus, policy=HttpPolicy(deadline_seconds=10))
    yield client
    client.close()


def test_values_nan_and_infinities_arrive_as_floats(source: PrometheusSource) -> None:
    assert source.query("vector(42)").series[0].last == 42
    assert math.isnan(source.query("vector(0) / 0").series[0].last)
    assert source.query("vector(1) / 0").series[0].last == math.inf
    assert source.query("vector(-1) / 0").series[0].last == -math.inf
    scalar = source.query("1 / 0")
    assert scalar.result_type == "scalar"
    assert scalar.series[0].last == math.inf


def test_an_empty_result_is_not_a_zero(source: PrometheusSource) -> None:
    empty = source.query('up{job="no-such-job"}')
    zero = source.query("vector(0)")
    assert empty.is_empty
    assert not empty.series
    assert not zero.is_empty
    assert zero.series[0].last == 0


def test_a_range_query_has_one_point_per_step(source: PrometheusSource) -> None:
    end = float(int(time.time()) // 15 * 15)
    result = source.query_range('label_replace(vector(7), "service", "gateway", "", "")',
                                end - 300, end, 15)  # fmt: skip
    assert result.result_type == "matrix"
    series = result.by_label("service")["gateway"]
    assert len(series.values) == 21
    assert series.timestamps[0] == end - 300
    assert set(series.values) == {7.0}


def test_bad_promql_says_what_prometheus_said(source: PrometheusSource) -> None:
    with pytest.raises(QueryFailed) as failed:
        source.query("sum(")
    assert "parse error" in failed.value.message
    assert failed.value.error_type == "bad_data"


def _canned(status: int, body: bytes, content_type: str = "application/json") -> PrometheusSource:
    transport = httpx.MockTransport(
        lambda _: httpx.Response(status, content=body, headers={"Content-Type": content_type})
    )
    policy = HttpPolicy(deadline_seconds=5, max_attempts=2)
    return PrometheusSource("http://prom.test", transport=transport, policy=policy,
                            sleep=lambda _: None)  # fmt: skip


def test_warnings_travel_with_the_data() -> None:
    body = (
        b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},'
        b'"value":[1700000000,"NaN"]}]},"warnings":["partial response: store b is down"]}'
    )
    source = _canned(200, body)
    result = source.query("up")
    source.close()
    assert result.warnings == ("partial response: store b is down",)
    assert math.isnan(result.series[0].last)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        (200, b"<html>proxy login</html>", "text/html", MalformedResponse),
        (200, b'{"status":"success","data":{"result":[{"metric":{}}]}}', "application/json",
         MalformedResponse),
        (200, b'{"status":"success","data":{"result":"oops"}}', "application/json",
         MalformedResponse),
        (502, b"<html>Bad gateway</html>", "text/html", ServerError),
    ],
)  # fmt: skip
def test_answers_that_are_not_results_raise_a_sentence(
    status: int, body: bytes, content_type: str, error: type[Exception]
) -> None:
    source = _canned(status, body, content_type)
    with pytest.raises(error) as raised:
        source.query("up")
    source.close()
    assert str(raised.value).endswith(".")


def test_alerts_and_silences_round_trip(alertmanager: str) -> None:
    now = time.time()
    httpx.post(
        f"{alertmanager}/api/v2/alerts",
        json=[{"labels": {"alertname": "HighBurn", "severity": "page", "service": "checkout"},
               "annotations": {"summary": "checkout burns its budget"}}],
    ).raise_for_status()  # fmt: skip
    client = AlertmanagerClient(alertmanager, policy=HttpPolicy(deadline_seconds=10))
    try:
        alerts = client.alerts()
        assert [a.name for a in alerts] == ["HighBurn"]
        assert alerts[0].severity == "page"
        assert alerts[0].state == "active"
        silence_id = client.create_silence(
            [Matcher("alertname", "HighBurn")],
            starts_at=now,
            ends_at=now + 3600,
            created_by="sre",
            comment="fixing it",
        )
        active = {s.id: s for s in client.silences()}[silence_id]
        assert active.active
        assert active.matchers == (Matcher("alertname", "HighBurn"),)
        deadline = time.monotonic() + 10
        while client.alerts()[0].state != "suppressed":
            assert time.monotonic() < deadline, "the silence never took effect"
            time.sleep(0.1)
        assert client.alerts()[0].silenced_by == (silence_id,)
        groups = client.alert_groups()
        assert groups[0].receiver == "nobody"
        client.expire_silence(silence_id)
        assert {s.id: s for s in client.silences()}[silence_id].state == "expired"
    finally:
        client.close()


def test_every_golden_signal_query_is_valid_promql(source: PrometheusSource) -> None:
    queries = GoldenSignalQueries(GoldenSignalTemplates(), ("checkout", "payments"), "5m")
    for expr in (queries.traffic(), queries.error_ratio(), queries.saturation(),
                 *queries.latencies().values()):  # fmt: skip
        assert source.query(expr).is_empty  # parsed and ran; this Prometheus has no such data
