"""Tokens failing mid-action, through the desktop's real ``ActionRunner``.

``tests/desktop/test_login_session.py`` covers a page's refresh across an expired access
token and a session the server ended; these add what happens to a *change* caught in the
middle: it is done exactly once, whatever the tokens did meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from faults.proxy import Fault, FaultProxy
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.flags import Flag
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.ui.actions import Action, ActionRunner, Call
from aioke_desktop.ui.pages import PageState
from desktop.login_helpers import (
    WAIT_MS,
    Login,
    MemoryKeyring,
    desktop_keyring,
    log_in,
    make_login,
    page_of_services,
    steal_session,
)
from harness import Cluster

__all__ = ["desktop_keyring"]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=cluster.url) as running:
        yield running


def _login_through(qtbot: QtBot, cluster: Cluster, proxy: FaultProxy, policy: HttpPolicy) -> Login:
    def connect(context: Context, session: Session) -> Connection:
        context = Context(**{**context.__dict__, "control_plane_url": proxy.url})
        client = ClusterClient(
            context, policy=policy, on_session_change=session.tokens_changed_from_worker
        )
        return Connection(context, client, PrometheusSource(context.prometheus_url), None)

    return make_login(qtbot, cluster, connect=connect)


@pytest.fixture
def login(
    qtbot: QtBot, cluster: Cluster, proxy: FaultProxy, desktop_keyring: MemoryKeyring
) -> Iterator[Login]:
    # One try per request, so that the status line's Retry is what repeats the action.
    made = _login_through(qtbot, cluster, proxy, HttpPolicy(max_attempts=1))
    yield made
    made.close()


@pytest.fixture
def retrying_login(
    qtbot: QtBot, cluster: Cluster, proxy: FaultProxy, desktop_keyring: MemoryKeyring
) -> Iterator[Login]:
    """The app's own policy: a request safe to repeat is retried after a broken connection."""
    made = _login_through(qtbot, cluster, proxy, HttpPolicy())
    yield made
    made.close()


def _flag(connection: Connection) -> Flag:
    key = f"expiry-{uuid.uuid4().hex[:8]}"
    connection.cluster.flags.create(key, {"owner": "sre"}, idempotency_key=uuid.uuid4().hex)
    return connection.cluster.flags.get(key)


def _turn_on(flag: Flag, keys: list[str]) -> Action:
    def op(call: Call) -> Flag:
        keys.append(call.idempotency_key)
        return call.cluster.flags.update(
            flag.key, {"enabled": True}, etag=flag.etag, idempotency_key=call.idempotency_key
        )

    return Action(f"Turn {flag.key} on", "operator", op, resource=f"flag/{flag.key}")


def _updates(cluster: Cluster, flag: Flag) -> list[str | None]:
    rows = cluster.sql().execute(
        "SELECT idempotency_key FROM audit WHERE resource = ? AND action = 'flag.update'",
        (f"flag/{flag.key}",),
    )
    return [r[0] for r in rows]


def test_an_access_token_expiring_mid_action_is_refreshed_once_and_the_change_made_once(
    qtbot: QtBot, login: Login, proxy: FaultProxy
) -> None:
    user = login.cluster.new_user("operator")
    connection = log_in(qtbot, login, user)
    page = page_of_services(qtbot, login)
    flag, keys = _flag(connection), []
    actions = ActionRunner(login.runner, login.session, page)

    # The server turns the flag on, its answer is lost, and the token expires before Retry.
    proxy.set(Fault.drop_after_upstream(times=1).where("PATCH", "/api/v1/flags/"))
    with qtbot.waitSignal(actions.failed, timeout=WAIT_MS):
        actions.perform(_turn_on(flag, keys))
    assert actions.status.retry_button.isVisibleTo(actions.status)
    login.cluster.clock.advance(11 * 60)  # access tokens live 10 minutes

    with (
        qtbot.assertNotEmitted(login.session.ended),
        qtbot.assertNotEmitted(login.flow.prompt),
        qtbot.waitSignal(actions.succeeded, timeout=WAIT_MS),
    ):
        actions.status.retry_button.click()
    assert connection.cluster.auth.refreshes == 1  # one silent refresh
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert _updates(login.cluster, flag) == [keys[0]]  # done once, answered twice
    on = connection.cluster.flags.get(flag.key)
    assert on.enabled
    assert on.version == flag.version + 1
    assert actions.status.text() == f"Done: Turn {flag.key} on."
    page.deactivate()


def test_a_reused_refresh_token_mid_action_asks_for_the_code_and_keeps_page_and_action(
    qtbot: QtBot, login: Login, proxy: FaultProxy
) -> None:
    user = login.cluster.new_user("operator")
    connection = log_in(qtbot, login, user, remember=True)
    page = page_of_services(qtbot, login)
    shown = page.shown.text()
    flag, keys = _flag(connection), []
    actions = ActionRunner(login.runner, login.session, page)

    steal_session(login.cluster, connection)  # someone replayed the refresh token
    with (
        qtbot.assertNotEmitted(login.session.disconnected),
        qtbot.waitSignal(login.flow.prompt, timeout=WAIT_MS) as prompted,
        qtbot.waitSignal(actions.failed, timeout=WAIT_MS) as failed,
    ):
        actions.perform(_turn_on(flag, keys))
    assert prompted.args[0].resume  # only the code is asked for
    assert "session has ended" in failed.args[0]
    assert _updates(login.cluster, flag) == []  # nothing was done
    qtbot.waitUntil(login.dialog.isVisible, timeout=WAIT_MS)
    assert not login.dialog.password.isVisibleTo(login.dialog)
    assert page.shown.text() == shown  # the page is kept
    assert page.state is PageState.DATA
    assert actions.status.retry_button.isVisibleTo(actions.status)  # and so is the action

    login.cluster.next_step()
    with qtbot.waitSignal(login.flow.resumed, timeout=WAIT_MS):
        qtbot.keyClicks(login.dialog.code, login.cluster.code(user))
    assert login.session.connection is connection
    with qtbot.waitSignal(actions.succeeded, timeout=WAIT_MS):
        actions.status.retry_button.click()
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert _updates(login.cluster, flag) == [keys[0]]  # done once
    assert page.shown.text() == shown
    page.deactivate()


def test_a_refresh_whose_answer_is_lost_is_retried_and_the_action_completes_without_the_code(
    qtbot: QtBot, retrying_login: Login, proxy: FaultProxy
) -> None:
    login = retrying_login
    user = login.cluster.new_user("operator")
    connection = log_in(qtbot, login, user)
    page = page_of_services(qtbot, login)
    shown = page.shown.text()
    flag, keys = _flag(connection), []
    actions = ActionRunner(login.runner, login.session, page)
    login.cluster.clock.advance(11 * 60)  # access tokens live 10 minutes

    # The server rotates the refresh token and the answer is lost: the client still holds
    # the old one when its retry of the change refreshes again.
    proxy.set(Fault.drop_after_upstream(times=1).where("POST", "/api/v1/auth/refresh"))
    with (
        qtbot.assertNotEmitted(login.session.ended),
        qtbot.assertNotEmitted(login.flow.prompt),
        qtbot.assertNotEmitted(actions.failed),
        qtbot.waitSignal(actions.succeeded, timeout=WAIT_MS),
    ):
        actions.perform(_turn_on(flag, keys))
    assert proxy.stats.dropped == 1
    assert connection.cluster.auth.refreshes == 1  # the retry's answer; the lost one never came
    assert _updates(login.cluster, flag) == [keys[0]]  # done once
    assert connection.cluster.flags.get(flag.key).enabled
    assert login.session.connection is connection
    assert page.shown.text() == shown
    retried = login.cluster.sql().execute(
        "SELECT count(*) FROM audit WHERE action = 'auth.refresh.retried' AND resource = ?",
        (f"user/{user.name}",),
    )
    assert retried.fetchone()[0] == 1
    page.deactivate()
