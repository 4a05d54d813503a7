"""Item 5: malformed answers on every client call.

1,000 Hypothesis-generated answers (bad JSON, JSON of the wrong shape, truncated JSON, HTML
pages, bytes, with statuses from 200 to 504) go to every call of ClusterClient,
PrometheusSource and AlertmanagerClient through an in-process transport (fast: no sockets).
Every failure must be one of our typed errors (api/errors.py) carrying a one-line sentence;
nothing else may escape. A few then go over the wire through the fault proxy in front of the
real control plane, and a panel shows the sentence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from faults.proxy import Fault, FaultProxy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from aioke_desktop.api.alertmanager import AlertmanagerClient
from aioke_desktop.api.auth import Tokens
from aioke_desktop.api.cluster import ClusterClient
from aioke_desktop.api.errors import ApiError
from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.alerts import Matcher
from aioke_desktop.core.chaos import ChaosLaunch
from aioke_desktop.core.contexts import Context
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.base import PageState
from desktop.conftest import _nothing_left_running  # noqa: F401 (autouse fixture)
from desktop.ui_helpers import HOUR, FetchingPage, light_theme
from harness import Cluster

# The offscreen platform's harmless note when a top-level page resizes itself.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


class Canned(httpx.BaseTransport):
    """Answers every request with the answer the current example chose."""

    def __init__(self) -> None:
        self.answer = httpx.Response(200)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            self.answer.status_code, headers=self.answer.headers, content=self.answer.content
        )


def _no_sleep(_seconds: float) -> None:
    """Retries happen as in the app, without their pauses."""


Call = Callable[[], object]


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[Canned, dict[str, Call]]]:
    canned = Canned()
    context = Context("fuzz", "http://127.0.0.1:1", "http://127.0.0.1:2")
    cluster = ClusterClient(context, transport=canned, sleep=_no_sleep)
    prometheus = PrometheusSource("http://127.0.0.1:2", transport=canned, sleep=_no_sleep)
    alertmanager = AlertmanagerClient("http://127.0.0.1:3", transport=canned, sleep=_no_sleep)
    tokens = Tokens("access-token", "refresh-token", 900.0)
    c, p, a = cluster, prometheus, alertmanager

    def logged_in(call: Call) -> Call:
        def run() -> object:
            c.auth.set_tokens(tokens)  # a 401 answer may have ended the session
            return call()

        return run

    launch = ChaosLaunch("latency", "payments", {"ms": 100}, 60)
    calls: dict[str, Call] = {
        "login": lambda: c.login("alice", "password", "123456"),
        "enroll": lambda: c.enroll("enrolment-token"),
        "confirm_enrollment": lambda: c.confirm_enrollment("enrolment-token", "123456"),
        "refresh_session": logged_in(c.refresh_session),
        "logout": logged_in(c.logout),
        "step_up": logged_in(lambda: c.step_up("123456")),
        "me": logged_in(c.me),
        "services": logged_in(c.services),
        "slos": logged_in(c.slos),
        "events": logged_in(lambda: c.events(after=3)),
        "audit": logged_in(c.audit),
        "verify_audit": logged_in(c.verify_audit),
        "flags.all": logged_in(c.flags.all),
        "flags.get": logged_in(lambda: c.flags.get("checkout")),
        "flags.create": logged_in(lambda: c.flags.create("checkout", {"owner": "sre"})),
        "flags.update": logged_in(lambda: c.flags.update("checkout", {"enabled": True})),
        "flags.archive": logged_in(lambda: c.flags.archive("checkout")),
        "flags.evaluate": logged_in(lambda: c.flags.evaluate("checkout", {"user": "u1"})),
        "flags.history": logged_in(lambda: c.flags.history("checkout")),
        "breakers.all": logged_in(c.breakers.all),
        "breakers.get": logged_in(lambda: c.breakers.get("payments")),
        "breakers.history": logged_in(lambda: c.breakers.history("payments")),
        "breakers.transition": logged_in(lambda: c.breakers.transition("payments", "open")),
        "chaos.catalog": logged_in(c.chaos.catalog),
        "chaos.launch": logged_in(lambda: c.chaos.launch(launch)),
        "chaos.runs": logged_in(c.chaos.runs),
        "chaos.run": logged_in(lambda: c.chaos.run("run-1")),
        "chaos.abort": logged_in(lambda: c.chaos.abort("run-1", "enough")),
        "chaos.halt": logged_in(lambda: c.chaos.halt("incident")),
        "chaos.resume": logged_in(c.chaos.resume),
        "chaos.halt_state": logged_in(c.chaos.halt_state),
        "chaos.safety": logged_in(c.chaos.safety),
        "chaos.set_safety": logged_in(lambda: c.chaos.set_safety({"max_concurrent": 2})),
        "runbooks.all": logged_in(c.runbooks.all),
        "runbooks.get": logged_in(lambda: c.runbooks.get("restart")),
        "runbooks.execute": logged_in(lambda: c.runbooks.execute("restart", {"service": "x"})),
        "runbooks.executions": logged_in(lambda: c.runbooks.executions("restart")),
        "runbooks.execution": logged_in(lambda: c.runbooks.execution("restart", "e1")),
        "runbooks.log": logged_in(lambda: c.runbooks.log("restart", "e1")),
        "runbooks.cancel": logged_in(lambda: c.runbooks.cancel("restart", "e1")),
        "runbooks.confirm": logged_in(lambda: c.runbooks.confirm("restart", "e1")),
        "prometheus.query": lambda: p.query("up"),
        "prometheus.query_range": lambda: p.query_range("up", 1_700_000_000, 1_700_003_600, 60),
        "prometheus.alerts": p.alerts,
        "alertmanager.status": a.status,
        "alertmanager.alerts": a.alerts,
        "alertmanager.alert_groups": a.alert_groups,
        "alertmanager.silences": a.silences,
        "alertmanager.create_silence": lambda: a.create_silence(
            [Matcher("service", "payments")],
            starts_at=1_700_000_000,
            ends_at=1_700_003_600,
            created_by="alice",
            comment="maintenance",
        ),
        "alertmanager.expire_silence": lambda: a.expire_silence("s-1"),
    }
    yield canned, calls
    for client in (cluster, prometheus, alertmanager):
        client.close()


# -- what a broken server may send ------------------------------------------------------
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Keys our clients read, so that wrong-shape JSON often gets past the first lookup.
_keys = st.sampled_from(
    ["data", "status", "result", "resultType", "items", "name", "roles", "access_token",
     "refresh_token", "expires_in", "events", "next", "key", "version", "state", "id",
     "detail", "type", "title", "errorType", "error", "warnings", "metric", "values", "value",
     "silenceID", "alerts", "labels", "enrollment_token", "halted", "entries"]
)  # fmt: skip
_shaped = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=16,
)
_html = st.sampled_from(
    [
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>SSO</body></html>",
        b"",
    ]
)


@st.composite
def answers(draw: st.DrawFn) -> httpx.Response:
    kind = draw(st.sampled_from(["json", "shaped", "truncated", "html", "bytes"]))
    if kind in ("json", "shaped"):
        body = json.dumps(draw(_json if kind == "json" else _shaped)).encode()
    elif kind == "truncated":
        whole = json.dumps(draw(_shaped)).encode()
        body = whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    elif kind == "html":
        body = draw(_html)
    else:
        body = draw(st.binary(max_size=64))
    status = draw(st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 412, 422, 423, 428,
                                   429, 500, 502, 503, 504]))  # fmt: skip
    content_type = draw(
        st.sampled_from(["application/json", "application/problem+json", "text/html", "text/plain"])
    )
    headers = {"content-type": content_type}
    if draw(st.booleans()):
        headers["retry-after"] = draw(st.sampled_from(["1", "soon", "-5", "1e9"]))
    if draw(st.booleans()):
        headers["etag"] = draw(st.sampled_from(['"v1"', "", "W/"]))
    return httpx.Response(status, headers=headers, content=body)


CALL_NAMES = [
    "login", "enroll", "confirm_enrollment", "refresh_session", "logout", "step_up", "me",
    "services", "slos", "events", "audit", "verify_audit", "flags.all", "flags.get",
    "flags.create", "flags.update", "flags.archive", "flags.evaluate", "flags.history",
    "breakers.all", "breakers.get", "breakers.history", "breakers.transition", "chaos.catalog",
    "chaos.launch", "chaos.runs", "chaos.run", "chaos.abort", "chaos.halt", "chaos.resume",
    "chaos.halt_state", "chaos.safety", "chaos.set_safety", "runbooks.all", "runbooks.get",
    "runbooks.execute", "runbooks.executions", "runbooks.execution", "runbooks.log",
    "runbooks.cancel", "runbooks.confirm", "prometheus.query", "prometheus.query_range",
    "prometheus.alerts", "alertmanager.status", "alertmanager.alerts",
    "alertmanager.alert_groups", "alertmanager.silences", "alertmanager.create_silence",
    "alertmanager.expire_silence",
]  # fmt: skip
outcomes: dict[str, int] = {"returned": 0, "typed error": 0}


def _a_plain_sentence(error: ApiError) -> bool:
    message = error.message
    return bool(message.strip()) and "\n" not in message and "Traceback" not in message


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,  # the same 1,000 answers in every run
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(CALL_NAMES), answer=answers())
def test_every_client_call_turns_any_broken_answer_into_a_typed_error_with_a_sentence(
    clients: tuple[Canned, dict[str, Call]], name: str, answer: httpx.Response
) -> None:
    canned, calls = clients
    canned.answer = answer
    failure: ApiError | None = None
    try:
        calls[name]()
    except ApiError as error:  # anything else propagates and fails: an unhandled exception
        failure = error
    outcomes["returned" if failure is None else "typed error"] += 1
    if failure is not None:
        assert _a_plain_sentence(failure), (name, failure.message)


def test_the_fuzzing_covered_every_call_and_mostly_failed(
    clients: tuple[Canned, dict[str, Call]],
) -> None:
    assert sorted(clients[1]) == sorted(CALL_NAMES)  # no client call left out
    print(f"1,000 malformed answers: {outcomes}")
    if sum(outcomes.values()):  # after the fuzz test in a normal run
        assert outcomes["typed error"] > outcomes["returned"]


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=cluster.url) as running:
        yield running


WIRE_FAULTS = {
    "html": Fault.html_error(502),
    "truncated": Fault.body(b'{"name": "alice", "rol', declared_length=200),
    "bad json": Fault.body(b'{"name": alice}'),
    "wrong shape": Fault.body(b'{"name": 7, "roles": "admin"}'),
    "login page": Fault.body(b"<html>Sign in</html>", status=200, content_type="text/html"),
}


@pytest.mark.parametrize("fault", WIRE_FAULTS.values(), ids=WIRE_FAULTS.keys())
def test_a_malformed_answer_over_the_wire_shows_its_sentence_on_the_panel(
    qtbot: QtBot, runner: TaskRunner, cluster: Cluster, proxy: FaultProxy, fault: Fault
) -> None:
    user = cluster.new_user("viewer")
    client = ClusterClient(Context("wire", proxy.url, "http://127.0.0.1:9"))
    client.login(user.name, user.password, cluster.code(user))
    proxy.set(fault.where(path_prefix="/api/v1/me"))
    page = FetchingPage(runner, light_theme(), lambda view: client.me)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    started = time.monotonic()
    page.activate(HOUR)
    qtbot.waitUntil(lambda: page.state is PageState.ERROR, timeout=10_000)
    sentence = page._message.detail.text()
    print(f"{fault.kind}: {sentence!r}")
    assert page._message.headline.text() == "Could not load this page"
    assert sentence.endswith(".")
    assert "\n" not in sentence
    assert time.monotonic() - started < 10
    page.deactivate()
    runner.wait_idle(10)
    client.close()
