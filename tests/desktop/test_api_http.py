"""The endpoint's rules for retries and clocks, with a scripted transport (a fault a real
server cannot show on demand: fifty 503s in a row, a clock five minutes off)."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from aioke_desktop.api.errors import ServerError
from aioke_desktop.api.http import HttpEndpoint, HttpPolicy
from aioke_desktop.api.problems import raise_for_problem


class Always503(httpx.MockTransport):
    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.method)
        return httpx.Response(503, text="<html>maintenance</html>")


def _endpoint(transport: httpx.BaseTransport, pauses: list[float]) -> HttpEndpoint:
    policy = HttpPolicy(deadline_seconds=30, max_attempts=4, backoff_base_seconds=0.5)
    return HttpEndpoint("http://cp.test", policy=policy, transport=transport,
                        sleep=pauses.append, jitter=lambda: 0.999)  # fmt: skip


def test_reads_are_retried_a_bounded_number_of_times_with_growing_pauses() -> None:
    transport, pauses = Always503(), list[float]()
    endpoint = _endpoint(transport, pauses)
    with pytest.raises(ServerError) as failed:
        raise_for_problem(endpoint.request("GET", "/flags"))
    endpoint.close()
    assert transport.seen == ["GET"] * 4
    assert pauses == pytest.approx([0.4995, 0.999, 1.998])
    assert failed.value.message == "The server failed to handle the request."


def test_posts_are_retried_only_with_an_idempotency_key() -> None:
    transport, pauses = Always503(), list[float]()
    endpoint = _endpoint(transport, pauses)
    endpoint.request("POST", "/flags/x/evaluate", json={})
    assert transport.seen == ["POST"]
    endpoint.request("POST", "/flags", json={}, headers={"Idempotency-Key": "k1"})
    endpoint.close()
    assert transport.seen == ["POST"] * 5


def test_retries_stop_when_the_deadline_cannot_cover_the_pause() -> None:
    transport, pauses = Always503(), list[float]()
    policy = HttpPolicy(deadline_seconds=1, max_attempts=10, backoff_base_seconds=0.8)
    endpoint = HttpEndpoint("http://cp.test", policy=policy, transport=transport,
                            sleep=pauses.append, jitter=lambda: 0.999)  # fmt: skip
    assert endpoint.request("GET", "/me").status == 503
    endpoint.close()
    assert len(transport.seen) == 2  # 0.8 s fits in the second left; 1.6 s does not


def test_the_server_clock_is_compared_with_ours() -> None:
    ahead = email.utils.formatdate(time.time() + 300, usegmt=True)
    transport = httpx.MockTransport(lambda _: httpx.Response(200, headers={"Date": ahead}))
    endpoint = HttpEndpoint("http://cp.test", transport=transport)
    assert endpoint.clock_skew_seconds is None
    endpoint.request("GET", "/me")
    endpoint.close()
    assert endpoint.clock_skew_seconds == pytest.approx(300, abs=1.5)
