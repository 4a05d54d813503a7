"""Item 6: a 1 GB Content-Length, or a chunked body that never ends.

Every client reads through the fault proxy with the product's own size cap (20 MiB) and
must stop there: a declared gigabyte is refused before reading, an endless body is cut off
at the cap. The process's peak RSS (VmHWM, reset before each read) may grow by less than
50 MiB; a panel shows the sentence. The cap's mechanics per client are in
tests/desktop/test_api_faults.py.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults.proxy import Fault, FaultProxy
from pytestqt.qtbot import QtBot

from aioke_desktop.api.alertmanager import AlertmanagerClient
from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import ResponseTooLarge
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import PageState
from desktop.conftest import _nothing_left_running  # noqa: F401 (autouse fixture)
from desktop.ui_helpers import HOUR, FetchingPage, light_theme
from harness import Cluster

# The offscreen platform's harmless note when a top-level page resizes itself.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

MiB = 1024 * 1024
CAP = HttpPolicy().max_response_bytes  # the product's default: 20 MiB


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _peak_growth_mib(read: Callable[[], object]) -> float:
    """How far the process's resident memory rose above where it was while ``read`` ran."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _status_kib("VmRSS")
    with pytest.raises(ResponseTooLarge) as too_large:
        read()
    assert "cut off" in too_large.value.message or "not read" in too_large.value.message
    return (_status_kib("VmHWM") - before) / 1024


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=cluster.url) as running:
        yield running


FAULTS = {"1 GB Content-Length": Fault.huge_body, "endless chunked": Fault.endless_chunked}


@pytest.mark.parametrize("make_fault", FAULTS.values(), ids=FAULTS.keys())
def test_every_client_stops_at_the_size_cap_with_little_memory(
    proxy: FaultProxy, make_fault: Callable[[], Fault]
) -> None:
    context = Context("huge", proxy.url, proxy.url)
    cluster = ClusterClient(context)
    prometheus = PrometheusSource(proxy.url)
    alertmanager = AlertmanagerClient(proxy.url + "/api/v2")
    reads: dict[str, Callable[[], object]] = {
        "control plane": cluster.slos,
        "prometheus": lambda: prometheus.query("up"),
        "alertmanager": alertmanager.silences,
    }
    proxy.set(make_fault())
    try:
        growth = {name: _peak_growth_mib(read) for name, read in reads.items()}
    finally:
        for client in (cluster, prometheus, alertmanager):
            client.close()
    streamed = proxy.stats.streamed_bytes / MiB
    print(f"{make_fault.__name__}: peak RSS growth {growth} MiB; {streamed:.0f} MiB sent in all")
    assert max(growth.values()) < 50
    assert proxy.stats.requests == 3  # a cut-off answer is not retried
    # Each read stopped at the cap; the sockets' buffers hold a few MiB more at most.
    assert proxy.stats.streamed_bytes < 3 * (CAP + 16 * MiB)


def test_the_panel_says_the_answer_was_too_large(
    qtbot: QtBot, runner: TaskRunner, proxy: FaultProxy
) -> None:
    source = PrometheusSource(proxy.url)
    proxy.set(Fault.endless_chunked())
    page = FetchingPage(runner, light_theme(), lambda view: lambda: source.query("up"))
    qtbot.addWidget(page)
    page.show()
    page.activate(HOUR)
    qtbot.waitUntil(lambda: page.state is PageState.ERROR, timeout=20_000)
    sentence = page._message.detail.text()
    print(sentence)
    assert sentence == "The answer from 127.0.0.1 passed 20480 KiB, so it was cut off."
    page.deactivate()
    runner.wait_idle(10)
    source.close()
