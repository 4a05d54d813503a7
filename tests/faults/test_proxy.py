"""The fault proxy itself, against the real control plane: each fault does what it says."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from faults.proxy import GIB, Fault, FaultProxy

from desktop.conftest import _nothing_left_running  # noqa: F401 (autouse: no thread left behind)
from harness import Cluster


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=cluster.url) as running:
        yield running


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        yield http


def test_passes_requests_through_on_one_kept_alive_connection(
    proxy: FaultProxy, client: httpx.Client, cluster: Cluster
) -> None:
    direct = httpx.get(cluster.url + "/healthz", timeout=10)
    first = client.get("/healthz", headers={"Idempotency-Key": "k-1"})
    second = client.get("/healthz")
    assert (first.status_code, first.json()) == (direct.status_code, direct.json())
    assert second.status_code == 200
    assert proxy.stats.connections == 1
    assert proxy.stats["passed"] == 2
    assert proxy.requests[0].headers["idempotency-key"] == "k-1"
    assert [(r.method, r.path) for r in proxy.requests] == [("GET", "/healthz")] * 2


def test_refuse_closes_the_port_until_cleared(proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.set(Fault.refuse())
    with pytest.raises(httpx.ConnectError):
        httpx.get(proxy.url + "/healthz", timeout=5)
    proxy.clear()
    assert client.get("/healthz").status_code == 200


def test_hang_answers_nothing_and_ends_when_the_proxy_closes(cluster: Cluster) -> None:
    proxy = FaultProxy(upstream=cluster.url)
    proxy.start()
    proxy.set(Fault.hang(60))
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx.get(proxy.url + "/healthz", timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while proxy.stats.hung == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proxy.stats.hung == 1
    started = time.monotonic()
    proxy.close()
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert time.monotonic() - started < 6
    assert errors
    assert proxy.stats.forwarded == 0


def test_drip_slows_the_whole_answer_to_the_given_rate(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    proxy.set(Fault.drip(400))
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    size = len(response.content) + 100  # the status line and headers drip too
    assert elapsed >= 0.8 * size / 400
    assert proxy.stats.dripped == 1


def test_reset_mid_response_sends_part_then_resets(proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.set(Fault.reset_mid_response())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get("/metrics")
    assert (proxy.stats.forwarded, proxy.stats.reset) == (1, 1)


def test_drop_after_upstream_is_seeded_and_forwards_every_request(cluster: Cluster) -> None:
    def pattern(seed: int) -> list[bool]:
        with FaultProxy(upstream=cluster.url) as proxy, httpx.Client(timeout=10) as http:
            proxy.set(Fault.drop_after_upstream(probability=0.5, seed=seed))
            seen = []
            for _ in range(30):
                try:
                    seen.append(http.get(proxy.url + "/healthz").status_code == 200)
                except httpx.RemoteProtocolError:
                    seen.append(False)
            assert proxy.stats.forwarded == 30
            assert proxy.stats.dropped == seen.count(False)
            return seen

    first = pattern(seed=7)
    assert 5 <= first.count(False) <= 25
    assert pattern(seed=7) == first


def test_status_burst_answers_count_times_then_passes(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    proxy.set(Fault.status_burst(503, count=3))
    codes = [client.get("/healthz").status_code for _ in range(4)]
    assert codes == [503, 503, 503, 200]
    assert (proxy.stats.burst, proxy.stats.forwarded) == (3, 1)


def test_body_gives_html_pages_and_truncated_bodies(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    proxy.set(Fault.html_error(502))
    page = client.get("/healthz")
    assert page.status_code == 502
    assert page.headers["content-type"] == "text/html"
    assert page.text.startswith("<html>")
    proxy.set(Fault.body(b'{"status": "o', declared_length=100))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/healthz")


def test_huge_and_endless_bodies_stream_until_the_client_quits(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    for fault in (Fault.huge_body(), Fault.endless_chunked()):
        proxy.set(fault)
        with client.stream("GET", "/healthz") as response:
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 4 << 20:
                    break
        assert received > 4 << 20
    assert (proxy.stats.huge, proxy.stats.endless) == (1, 1)
    proxy.set(Fault.huge_body())
    with client.stream("GET", "/healthz") as response:
        assert response.headers["content-length"] == str(GIB)


def test_clock_shift_rewrites_the_date_header(proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.set(Fault.clock_shift(300).where(path_prefix="/healthz"))
    shifted = email.utils.parsedate_to_datetime(client.get("/healthz").headers["date"])
    plain = email.utils.parsedate_to_datetime(client.get("/metrics").headers["date"])
    assert 298 <= (shifted - plain).total_seconds() <= 302
    assert proxy.stats.clock_shifted == 1
