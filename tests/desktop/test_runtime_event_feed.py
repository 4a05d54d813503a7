"""The event feed follows the real control plane: history first, then changes as they come."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.event_feed import EventFeed
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from harness import Cluster


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown(timeout_s=40)


def _connect(cluster: Cluster, session: Session) -> Connection:
    user = cluster.new_user("viewer")
    context = Context("test", cluster.url, "http://127.0.0.1:9", username=user.name)
    connection = Connection.open(context, session)
    logged_in = connection.cluster.login(user.name, user.password, cluster.code(user))
    connection.username, connection.roles = logged_in.name, logged_in.roles
    return connection


def test_the_feed_delivers_history_then_a_new_change(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    old = f"old-{uuid.uuid4().hex[:6]}"
    operator.post("/flags", json={"key": old, "owner": "sre"}, headers={"Idempotency-Key": old})

    session = Session()
    feed = EventFeed(runner, session, wait_seconds=2)
    seen: list[str] = []
    feed.arrived.connect(lambda events: seen.extend(e.resource for e in events))
    session.attach(_connect(cluster, session))
    qtbot.waitUntil(lambda: f"flag/{old}" in seen, timeout=10_000)

    new = f"new-{uuid.uuid4().hex[:6]}"
    operator.post("/flags", json={"key": new, "owner": "sre"}, headers={"Idempotency-Key": new})
    qtbot.waitUntil(lambda: f"flag/{new}" in seen, timeout=10_000)
    assert seen.count(f"flag/{new}") == 1
    assert [e.resource for e in feed.recent()][-1] == f"flag/{new}"

    with qtbot.waitSignal(feed.reset, timeout=2000):
        session.detach()
    assert feed.recent() == []
