"""The login dialog against the real control plane: a login, and each way one can fail."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import socket
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.api.transport import DeadlineTransport
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.keyring_guard import SERVICE
from aioke_desktop.runtime.session import Connection, Session
from desktop.keyrings import MemoryKeyring
from desktop.login_helpers import WAIT_MS, Login, desktop_keyring, make_login
from harness import Cluster

__all__ = ["desktop_keyring"]  # the fixture, imported for the tests below

# The offscreen platform cannot resize a shown top-level window to its new size hint.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def login(qtbot: QtBot, cluster: Cluster, desktop_keyring: MemoryKeyring) -> Iterator[Login]:
    made = make_login(qtbot, cluster)
    yield made
    made.close()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_typing_the_sixth_digit_logs_in_and_remembers_the_password(
    qtbot: QtBot, login: Login, desktop_keyring: MemoryKeyring
) -> None:
    user = login.cluster.new_user("operator")
    context = login.context(user)
    login.open_for(qtbot, context)
    assert login.dialog.username.text() == user.name
    assert login.dialog.password.text() == ""  # nothing in the keyring yet
    login.dialog.remember.setChecked(True)
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS) as logged_in:
        login.type_login(qtbot, user.password, login.cluster.code(user))
    connection = logged_in.args[0]
    assert login.session.connection is connection
    assert (connection.username, connection.roles) == (user.name, ("operator",))
    assert not login.dialog.isVisible()
    assert login.dialog.password.text() == ""  # wiped from the widget once done
    assert desktop_keyring.entries[(SERVICE, f"lab/{user.name}")] == user.password


def test_a_wrong_code_is_said_plainly_and_the_code_can_be_typed_again(
    qtbot: QtBot, login: Login
) -> None:
    user = login.cluster.new_user("viewer")
    login.open_for(qtbot, login.context(user))
    with qtbot.waitSignal(login.flow.failed, timeout=WAIT_MS):
        login.type_login(qtbot, user.password, _wrong(login.cluster.code(user)))
    assert login.dialog.error.text() == "The username, password or code is wrong."
    assert login.dialog.isVisible()
    assert login.dialog.code.text() == ""
    assert login.dialog.password.text() == user.password  # only the code is typed again
    assert login.dialog.code.isEnabled()
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS):
        login.type_login(qtbot, None, login.cluster.code(user))


def _failed_logins(cluster: Cluster, name: str) -> int:
    row = cluster.sql().execute("SELECT failed_logins FROM users WHERE name = ?", (name,))
    return int(row.fetchone()[0])


def test_a_code_this_app_already_used_is_explained_and_never_sent(
    qtbot: QtBot, login: Login
) -> None:
    user = login.cluster.new_user("viewer")
    context = login.context(user)
    code = login.cluster.code(user)
    login.open_for(qtbot, context)
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS):
        login.type_login(qtbot, user.password, code)
    login.flow.log_out()
    login.open_for(qtbot, context)
    with qtbot.waitSignal(login.flow.failed, timeout=WAIT_MS):
        login.type_login(qtbot, user.password, code)
    assert login.dialog.error.text() == "That code was already used; wait for the next one."
    assert login.dialog.code.text() == ""
    assert _failed_logins(login.cluster, user.name) == 0  # it did not count towards a lockout
    login.cluster.next_step()
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS):
        login.type_login(qtbot, None, login.cluster.code(user))


def test_a_lockout_says_how_long_to_wait_and_counts_down(qtbot: QtBot, login: Login) -> None:
    user = login.cluster.new_user("viewer")
    login.open_for(qtbot, login.context(user))
    for _ in range(5):
        with qtbot.waitSignal(login.flow.failed, timeout=WAIT_MS):
            login.type_login(qtbot, "not the password", login.cluster.code(user))
    text = login.dialog.error.text()
    assert text.startswith("Too many failed attempts: this account is locked for ")
    assert text.endswith(" more seconds.")
    seconds = int(text.split(" for ")[1].split()[0])
    assert 50 <= seconds <= 60
    assert not login.dialog.code.isEnabled()  # nothing to type until it is over
    assert not login.dialog.submit_button.isEnabled()
    qtbot.waitUntil(lambda: login.dialog.error.text() != text, timeout=3_000)
    assert f"locked for {seconds - 1} more seconds" in login.dialog.error.text()


def test_enrolment_shows_the_qr_code_and_the_secret_once_then_logs_in(
    qtbot: QtBot, login: Login
) -> None:
    user = login.cluster.new_user("operator", enrolled=False)
    login.open_for(qtbot, login.context(user))
    qtbot.keyClicks(login.dialog.password, user.password)
    with qtbot.waitSignal(login.flow.enrolling, timeout=WAIT_MS) as enrolling:
        qtbot.mouseClick(login.dialog.submit_button, Qt.MouseButton.LeftButton)
    secret = enrolling.args[0].secret
    assert login.dialog.enrolling
    pixmap = login.dialog.enrolment.qr.pixmap()
    assert not pixmap.isNull()
    assert pixmap.width() >= 150  # big enough for a phone camera
    showing = [
        label
        for label in login.dialog.findChildren(QLabel)
        if secret in label.text().replace(" ", "") and label.isVisibleTo(login.dialog)
    ]
    assert len(showing) == 1
    code = pyotp.TOTP(secret).at(login.cluster.clock.now())
    with qtbot.waitSignal(login.flow.logged_in, timeout=WAIT_MS):
        qtbot.keyClicks(login.dialog.enrolment.code, code)
    assert login.session.connection is not None
    assert login.session.connection.username == user.name
    assert all(
        secret not in lbl.text().replace(" ", "") for lbl in login.dialog.findChildren(QLabel)
    )
    assert login.dialog.enrolment.qr.pixmap().isNull()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_server_is_named_before_anything_is_typed(qtbot: QtBot, login: Login) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with qtbot.waitSignal(login.flow.server_checked, timeout=WAIT_MS):
        login.open_for(qtbot, login.context(control_plane_url=url, username="alice"))
    assert login.dialog.error.text() == (
        f"The control plane at {url} cannot be reached; check that it is running and that "
        "the context's address is right."
    )


def test_a_tls_failure_says_what_to_check(qtbot: QtBot, login: Login) -> None:
    # https:// to the control plane that speaks plain http: the handshake fails.
    url = login.cluster.url.replace("http://", "https://")
    with qtbot.waitSignal(login.flow.server_checked, timeout=WAIT_MS):
        login.open_for(qtbot, login.context(control_plane_url=url, username="alice"))
    text = login.dialog.error.text()
    assert text.startswith("The TLS connection to 127.0.0.1 failed")
    assert text.endswith("check the context's CA bundle and client certificate.")


class SkewedDate(httpx.BaseTransport):
    """The real transport, with a server whose clock is ``seconds`` ahead (a fault)."""

    def __init__(self, inner: httpx.BaseTransport, seconds: float) -> None:
        self._inner, self._seconds = inner, seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        date = email.utils.parsedate_to_datetime(response.headers["date"])
        shifted = date + dt.timedelta(seconds=self._seconds)
        response.headers["date"] = email.utils.format_datetime(shifted, usegmt=True)
        return response

    def close(self) -> None:
        self._inner.close()


def test_a_server_clock_40_s_ahead_is_warned_about(qtbot: QtBot, cluster: Cluster) -> None:
    def connect(context: Context, session: Session) -> Connection:
        transport = SkewedDate(DeadlineTransport(context.tls), 40)
        client = ClusterClient(context, transport=transport)
        return Connection(context, client, PrometheusSource(context.prometheus_url), None)

    login = make_login(qtbot, cluster, connect=connect)
    try:
        with qtbot.waitSignal(login.flow.server_checked, timeout=WAIT_MS):
            login.open_for(qtbot, login.context(username="alice"))
        assert login.dialog.clock_warning.isVisible()
        warning = re.fullmatch(
            r"This computer's clock is (\d+) s behind the server's, so codes may be refused; "
            r"turn on automatic time \(NTP\)\.",
            login.dialog.clock_warning.text(),
        )
        assert warning is not None
        assert 39 <= int(warning.group(1)) <= 41  # the Date header has whole seconds
        assert not login.dialog.error.isVisible()  # a warning, not a failure
    finally:
        login.close()
