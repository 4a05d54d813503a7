"""Page states against real servers: loading, data, empty, error, stale; never a frozen window."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.lateness import LatenessProbe
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages import PageState, ViewSettings
from aioke_desktop.ui.widgets.time_range import TimeRange
from desktop.ui_helpers import HOUR, FetchingPage, light_theme
from harness import Cluster


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung endpoint."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, name="hanging-server")
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def _client(url: str, deadline: float = 10.0) -> ClusterClient:
    context = Context("test", url, url, username="alice").check()
    return ClusterClient(context, policy=HttpPolicy(deadline_seconds=deadline, max_attempts=1))


def _page(qtbot: QtBot, runner: TaskRunner, fetch: Callable[[], object]) -> FetchingPage:
    page = FetchingPage(runner, light_theme(), lambda view: fetch)
    qtbot.addWidget(page)  # not shown: state is what matters, not a window manager
    return page


def test_a_page_shows_loading_then_data_from_the_real_control_plane(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster
) -> None:
    user = cluster.new_user("viewer")
    client = _client(cluster.url)
    client.login(user.name, user.password, cluster.code(user))
    page = _page(qtbot, runner, lambda: client.me().name)
    assert page.state is PageState.LOADING
    with qtbot.waitSignal(page.first_data_ready, timeout=10_000):
        page.activate(HOUR)
    assert page.state is PageState.DATA
    assert page.shown.text() == user.name
    page.deactivate()
    assert runner.wait_idle(10)
    client.close()


def test_an_unreachable_server_shows_the_error_in_one_sentence_with_a_retry(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    client = _client(f"http://127.0.0.1:{_closed_port()}")
    page = _page(qtbot, runner, lambda: client.me())
    with qtbot.waitSignal(
        page.state_changed, timeout=10_000, check_params_cb=lambda s: s is PageState.ERROR
    ):
        page.activate(HOUR)
    assert page._message.headline.text() == "Could not load this page"
    sentence = page._message.detail.text()
    assert sentence.endswith(".")
    assert "Traceback" not in sentence
    assert page._message.retry.isVisibleTo(page)
    page.deactivate()
    assert runner.wait_idle(10)
    client.close()


def test_an_empty_answer_reads_no_data(qtbot: QtBot, runner: TaskRunner) -> None:
    page = _page(qtbot, runner, lambda: [])
    with qtbot.waitSignal(page.first_data_ready, timeout=5000):
        page.activate(HOUR)
    assert page.state is PageState.EMPTY
    assert page._message.headline.text() == "No data"
    page.deactivate()


def test_a_failed_refresh_keeps_the_data_but_marks_it_stale(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    answers: list[object] = ["42 req/s", RuntimeError("Prometheus did not answer in time.")]

    def fetch() -> object:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    page = _page(qtbot, runner, fetch)
    with qtbot.waitSignal(page.first_data_ready, timeout=5000):
        page.activate(HOUR)
    with qtbot.waitSignal(page.poller.failed, timeout=5000):
        page.refresh()
    assert page.state is PageState.DATA
    assert page.shown.text() == "42 req/s"
    assert not page._content.isEnabled()  # greyed
    assert page._stale.isVisibleTo(page)
    assert page._stale.text().startswith("Stale since ")
    assert page._stale.text().endswith("Prometheus did not answer in time.")
    page.deactivate()


def test_a_hanging_endpoint_never_freezes_the_page_and_ends_at_its_deadline(
    qtbot: QtBot, runner: TaskRunner, hanging_server: str
) -> None:
    client = _client(hanging_server, deadline=2.0)
    page = _page(qtbot, runner, lambda: client.me())
    with LatenessProbe() as probe:
        page.activate(ViewSettings(TimeRange.last("5m"), 5))
        qtbot.waitUntil(lambda: page.state is PageState.ERROR, timeout=15_000)
    report = probe.report()
    assert report.samples > 50
    assert report.p99_ms < 50, str(report)
    assert "did not answer completely within 2 s." in page._message.detail.text()
    page.deactivate()
    assert runner.wait_idle(10)
    client.close()
