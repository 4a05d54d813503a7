"""100 chaos launches, 100 flag edits and 100 runbook executions while half the answers are
lost after the server acted (dropped, or the connection reset mid-answer): each is done
exactly once.

Everything the user's click goes through is real: the desktop's ``ActionRunner`` (one
Idempotency-Key per action, kept on every retry), the ``ClusterClient``'s own bounded retries,
and the control plane's idempotency records. Only the network between them is the fault
proxy. When the client's retries are spent, the status line's Retry is clicked, as the user
would.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import shiboken6
from faults.proxy import Fault, FaultProxy
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.chaos import ChaosLaunch
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.flags import Flag
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.actions import Action, ActionRunner, Call
from aioke_desktop.ui.pages.base import Page
from aioke_desktop.ui.pages.chaos import ChaosPage
from aioke_desktop.ui.pages.flags import FlagsPage
from desktop.ops_helpers import NO_POLLING
from desktop.ui_helpers import light_theme
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

EACH = 100
WAIT_MS = 15_000
USER_RETRIES = 10


class Desk:
    """A logged-in desktop session behind the proxy, with one page's ActionRunner."""

    def __init__(self, qtbot: QtBot, cluster: Cluster, proxy: FaultProxy) -> None:
        self.user = cluster.new_user("operator", "chaos")
        context = Context(
            name="lab",
            control_plane_url=proxy.url,
            prometheus_url="http://127.0.0.1:9",
            username=self.user.name,
        ).check()
        # No pause between the client's own retries: the test is about counts, not timing.
        client = ClusterClient(context, policy=HttpPolicy(max_attempts=4), sleep=lambda _s: None)
        logged = client.login(self.user.name, self.user.password, cluster.code(self.user))
        cluster.next_step()
        client.step_up(cluster.code(self.user))  # chaos launches need it; it lasts 5 minutes
        prometheus = PrometheusSource(context.prometheus_url)
        self.connection = Connection(context, client, prometheus, None, logged.name, logged.roles)
        self.runner = TaskRunner(short_threads=2, long_threads=1)
        self.session = Session()
        # The pages exist before the login, as in the app (FlagsPage cannot be built after).
        self.pages: dict[type[Page], Page] = {}
        for page_type in (ChaosPage, FlagsPage):
            page = page_type(self.runner, light_theme(), self.session)  # type: ignore[call-arg]
            qtbot.addWidget(page)
            self.pages[page_type] = page
        self.session.attach(self.connection)
        self.page = QWidget()
        qtbot.addWidget(self.page)
        # The session is stepped up already: the prompt says yes without asking.
        self.actions = ActionRunner(
            self.runner, self.session, self.page, step_up=lambda _p, _c, _r, then: then(True)
        )
        self.done: collections.Counter[str] = collections.Counter()
        self.retries = 0
        self.actions.succeeded.connect(lambda text: self.done.update([text]))

    def shown(self, qtbot: QtBot, page_type: type[Page]) -> list[Any]:
        """What ``page_type``'s table shows for this session, loaded once."""
        page = self.pages[page_type]
        with qtbot.waitSignal(page.first_data_ready, timeout=WAIT_MS):
            page.activate(NO_POLLING)
        items: list[Any] = page.model.items()  # type: ignore[attr-defined]
        page.deactivate()
        self.runner.wait_idle(10)
        return items

    def close(self) -> None:
        self.runner.shutdown(5.0)
        self.session.detach()
        shiboken6.delete(self.runner)

    def do(self, qtbot: QtBot, action: Action) -> Any:
        """Perform ``action`` and click Retry after each failure until it is done."""
        results: list[Any] = []
        failures: list[str] = []
        action = replace(action, on_done=results.append, on_failed=failures.append)
        self.actions.perform(action)
        for _ in range(USER_RETRIES):
            qtbot.waitUntil(lambda: bool(results) or bool(failures), timeout=WAIT_MS)
            if results:
                return results[0]
            failures.clear()
            self.retries += 1
            assert self.actions.status.retry_button.isVisibleTo(self.actions.status)
            self.actions.status.retry_button.click()
        pytest.fail(f"{action.description}: still failing after {USER_RETRIES} retries")


@pytest.fixture
def desk(qtbot: QtBot, fresh_cluster: Cluster) -> Iterator[tuple[Desk, FaultProxy, Cluster]]:
    with FaultProxy(upstream=fresh_cluster.url) as proxy:
        made = Desk(qtbot, fresh_cluster, proxy)
        try:
            yield made, proxy, fresh_cluster
        finally:
            made.close()


def _lossy(method: str, path: str, seed: int) -> list[Fault]:
    """Half the answers lost after the server acted: a quarter dropped, a quarter reset."""
    return [
        Fault.drop_after_upstream(probability=0.25, seed=seed).where(method, path),
        Fault.reset_mid_response(probability=1 / 3, seed=seed + 1).where(method, path),
    ]


def _launch(n: int) -> Action:
    launch = ChaosLaunch("latency", "search", {"latency_ms": 50 + n}, duration_seconds=1)
    return Action(
        f"Launch chaos {n}",
        "chaos",
        lambda call: call.cluster.chaos.launch(launch, idempotency_key=call.idempotency_key),
        destructive=True,
    )


def _edit(flag: Flag, rollout: int) -> Action:
    def op(call: Call) -> Flag:
        return call.cluster.flags.update(
            flag.key,
            {"rollout_percentage": rollout},
            etag=flag.etag,
            idempotency_key=call.idempotency_key,
        )

    return Action(f"Set {flag.key} to {rollout} %", "operator", op, resource=f"flag/{flag.key}")


def _execute(n: int) -> Action:
    def op(call: Call) -> Any:
        return call.cluster.runbooks.execute(
            "disable-flag", {"flag": "killed-by-runbook"}, idempotency_key=call.idempotency_key
        )

    return Action(f"Run disable-flag {n}", "operator", op)


def test_a_hundred_of_each_action_with_half_the_answers_lost_are_each_done_once(
    qtbot: QtBot, desk: tuple[Desk, FaultProxy, Cluster]
) -> None:
    me, proxy, cluster = desk
    client = me.connection.cluster
    edited = [client.flags.create(f"edit-{n}", {"owner": "sre"}) for n in range(10)]
    client.flags.create("killed-by-runbook", {"owner": "sre", "enabled": True})
    proxy.set(
        *_lossy("POST", "/api/v1/chaos/runs", 1),
        *_lossy("PATCH", "/api/v1/flags/", 3),
        *_lossy("POST", "/api/v1/runbooks/", 5),
    )

    launched = [me.do(qtbot, _launch(n)).id for n in range(EACH)]
    flags: dict[str, Flag] = {f.key: f for f in edited}
    for n in range(EACH):
        loaded = flags[f"edit-{n % 10}"]
        flags[loaded.key] = me.do(qtbot, _edit(loaded, n + 1))  # the next edit sends its ETag
    executed = [me.do(qtbot, _execute(n)).id for n in range(EACH)]
    proxy.clear()

    lost = proxy.stats.dropped + proxy.stats.reset
    assert lost >= 100  # the faults did fire, about half the time
    # Each shown once: one "Done" per action, and each answer names a different resource.
    assert len(me.done) == 3 * EACH
    assert set(me.done.values()) == {1}
    assert len(set(launched)) == len(set(executed)) == EACH
    on_chaos_page = collections.Counter(run.id for run in me.shown(qtbot, ChaosPage))
    assert on_chaos_page == {run_id: 1 for run_id in launched}
    on_flags_page = {f.key: f.rollout_percentage for f in me.shown(qtbot, FlagsPage)}
    assert {k: v for k, v in on_flags_page.items() if k.startswith("edit-")} == {
        f"edit-{n}": EACH - 9 + n for n in range(10)
    }

    # Exactly one of each on the server: by its rows, and by its audit log.
    db = cluster.sql()
    rows = db.execute(
        "SELECT action, resource, idempotency_key FROM audit WHERE actor = ?", (me.user.name,)
    ).fetchall()
    by_action = collections.Counter(r["action"] for r in rows)
    assert by_action["chaos.launch"] == EACH
    assert by_action["runbook.execute"] == EACH
    edits = [r for r in rows if r["action"] == "flag.update"]
    assert sum(r["resource"].startswith("flag/edit-") for r in edits) == EACH
    keys = collections.Counter(r["idempotency_key"] for r in rows if r["idempotency_key"])
    assert [k for k, n in keys.items() if n > 1] == []  # 0 duplicates
    runs = db.execute("SELECT id FROM chaos_runs WHERE created_by = ?", (me.user.name,))
    assert sorted(str(r[0]) for r in runs) == sorted(launched)
    executions = db.execute(
        "SELECT id FROM runbook_executions WHERE started_by = ? AND dry_run = 0", (me.user.name,)
    )
    assert sorted(r[0] for r in executions) == sorted(executed)
    versions = dict(db.execute("SELECT key, version FROM flags WHERE key LIKE 'edit-%'").fetchall())
    assert versions == {f"edit-{n}": 1 + EACH // 10 for n in range(10)}
    db.close()
    stats = proxy.stats
    print(f"answers lost: {lost} ({stats.dropped} dropped, {stats.reset} reset) of")
    print(f"{stats.forwarded} forwarded; Retry clicked {me.retries} times")
