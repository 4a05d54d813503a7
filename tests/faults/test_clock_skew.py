"""This computer's clock 5 minutes off: the login warns, and every expiry follows the server.

The control plane's clock runs 5 minutes ahead of this machine's (its ``OffsetClock``), and
the fault proxy shifts its ``Date`` header to match, so to the desktop it is exactly a server
whose clock differs from the local one by 300 s. Codes typed by the user come from their
phone, which is on the right (the server's) time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from faults.proxy import Fault, FaultProxy
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.session import Connection
from aioke_desktop.runtime.step_up import StepUps
from aioke_desktop.ui.dialogs.step_up import StepUpPrompter
from desktop.login_helpers import WAIT_MS, Login, MemoryKeyring, desktop_keyring, make_login
from harness import Cluster

__all__ = ["desktop_keyring"]

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

SKEW_SECONDS = 300


@pytest.fixture
def skewed(fresh_cluster: Cluster) -> Iterator[tuple[Cluster, FaultProxy]]:
    """A control plane 5 minutes ahead of this machine, seen through a proxy that says so."""
    fresh_cluster.clock.advance(SKEW_SECONDS)
    with FaultProxy(upstream=fresh_cluster.url) as proxy:
        proxy.set(Fault.clock_shift(SKEW_SECONDS))
        yield fresh_cluster, proxy


@pytest.fixture
def login(
    qtbot: QtBot, skewed: tuple[Cluster, FaultProxy], desktop_keyring: MemoryKeyring
) -> Iterator[Login]:
    made = make_login(qtbot, skewed[0])
    yield made
    made.close()


def test_the_login_warns_of_the_skew_and_tokens_expire_by_the_servers_clock(
    qtbot: QtBot, login: Login, skewed: tuple[Cluster, FaultProxy]
) -> None:
    cluster, proxy = skewed
    user = cluster.new_user("viewer")
    with qtbot.waitSignal(login.flow.server_checked, timeout=WAIT_MS):
        login.open_for(qtbot, login.context(user, control_plane_url=proxy.url))
    assert login.dialog.clock_warning.isVisible()
    warning = re.fullmatch(
        r"This computer's clock is (\d+) s behind the server's, so codes may be refused; "
        r"turn on automatic time \(NTP\)\.",
        login.dialog.clock_warning.text(),
    )
    assert warning is not None, login.dialog.clock_warning.text()
    assert SKEW_SECONDS - 1 <= int(warning.group(1)) <= SKEW_SECONDS + 1
    assert not login.dialog.error.isVisible()  # a warning, not a failure

    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in:
        login.type_login(qtbot, user.password, cluster.code(user))
    connection: Connection = logged_in.args[0]
    client = connection.cluster
    assert proxy.stats.clock_shifted > 0

    # By this machine's clock the token was issued 5 minutes "ago" or "ahead": the app must
    # not care. It lives the server's 10 minutes, and is refreshed once, when the server says.
    cluster.clock.advance(9 * 60)
    assert client.me().name == user.name
    assert client.auth.refreshes == 0
    cluster.clock.advance(2 * 60)
    with qtbot.assertNotEmitted(login.session.ended):
        assert client.me().name == user.name
    assert client.auth.refreshes == 1


def test_a_kept_totp_secret_makes_codes_by_the_servers_clock(
    qtbot: QtBot, login: Login, skewed: tuple[Cluster, FaultProxy], desktop_keyring: MemoryKeyring
) -> None:
    # Codes made from this machine's clock would be ten steps off and refused.
    cluster, proxy = skewed
    user = cluster.new_user("chaos")
    context = login.context(user, control_plane_url=proxy.url, remember_totp_secret=True)
    with (
        qtbot.assertNotEmitted(login.flow.prompt),
        qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in,
    ):
        login.flow.start(context, password=user.password, totp_secret=user.totp_secret)
    connection: Connection = logged_in.args[0]
    parent = QWidget()
    qtbot.addWidget(parent)
    step_ups = StepUps(login.runner, login.flow.codes)
    answers: list[bool] = []
    StepUpPrompter(step_ups)(parent, connection, "Halt all chaos: a fresh code.", answers.append)
    qtbot.waitUntil(lambda: answers == [True], timeout=WAIT_MS)
    me = connection.cluster.me()
    assert me.stepped_up
    # The step-up lasts the server's 5 minutes, judged without the local clock.
    assert step_ups.is_stepped_up(connection)
    failed = (
        cluster.sql()
        .execute("SELECT failed_logins FROM users WHERE name = ?", (user.name,))
        .fetchone()[0]
    )
    assert failed == 0  # no code was ever refused
