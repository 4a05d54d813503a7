"""``PrometheusSource``: instant and range queries against any Prometheus-compatible API.

Built on prometheus-api-client's :class:`PrometheusConnect`, whose requests session gets an
:class:`~aioke_desktop.api.requests_bridge.EndpointAdapter`: the library builds the queries
and reads ``data.result``; the adapter gives every query the overall deadline, the size cap,
retries for reads and the context's TLS. The library drops ``warnings`` and Prometheus' error
documents, so the adapter hands the raw answer back to read them here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from ..core.alert_state import CurrentAlert, from_prometheus
from ..core.contexts import TlsSettings
from ..core.jsonshape import Fields, ShapeError
from ..core.series import QueryResult, parse_result
from .calls import malformed
from .errors import ApiError, MalformedResponse, Problem, QueryFailed, ServerError, Timeout
from .http import HttpEndpoint, HttpPolicy, Reply
from .requests_bridge import EndpointAdapter, captured_replies


def _when(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


class PrometheusSource:
    """Queries one Prometheus (or Thanos, Mimir, VictoriaMetrics) endpoint.

    Args:
        url: the API root, such as ``http://127.0.0.1:9090``.
        tls: certificate trust and the mTLS client certificate.
        policy: deadline (also sent as the query's own ``timeout``), size cap, retries.
        transport: for tests; by default the deadline-aware transport.
    """

    def __init__(
        self,
        url: str,
        *,
        tls: TlsSettings | None = None,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        url = url.rstrip("/")
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.endpoint = HttpEndpoint(url, tls=tls, policy=policy, transport=transport, **extra)
        self.policy = self.endpoint.policy
        session = requests.Session()
        # Proxies and .netrc from the environment would bypass the context's settings (the
        # adapter ignores them), and looking them up costs more than parsing an answer.
        session.trust_env = False
        self._prometheus = PrometheusConnect(
            url=url,
            session=session,
            timeout=self.policy.deadline_seconds,
            retry=Retry(total=0),  # retries happen below, in the endpoint, within the deadline
        )
        # Mounted after the library mounted its own adapter on ``url``: this one replaces it,
        # and the scheme-wide mounts catch anything else the session might send.
        adapter = EndpointAdapter(self.endpoint)
        for prefix in (url, "http://", "https://"):
            session.mount(prefix, adapter)
        self._session = session

    def close(self) -> None:
        self._session.close()
        self.endpoint.close()

    @property
    def last_latency_seconds(self) -> float | None:
        return self.endpoint.last_latency_seconds

    def _server_timeout(self) -> dict[str, str]:
        # Prometheus stops evaluating at this timeout instead of working on for nobody.
        return {"timeout": f"{self.policy.deadline_seconds:g}s"}

    def query(self, expr: str, at: float | None = None) -> QueryResult:
        """The value of ``expr`` now (or at Unix time ``at``)."""
        params = self._server_timeout()
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self._run(expr, lambda: self._prometheus.custom_query(expr, params=params))

    def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult:
        """``expr`` from ``start`` to ``end`` every ``step`` seconds.

        The library sends start and end rounded to whole seconds; callers align both to
        multiples of the step anyway, so that caches in front of Prometheus hit.
        """
        return self._run(
            expr,
            lambda: self._prometheus.custom_query_range(
                expr, _when(start), _when(end), f"{step:g}", params=self._server_timeout()
            ),
        )

    def alerts(self) -> list[CurrentAlert]:
        """Prometheus' own alerts, pending and firing (``/api/v1/alerts``): the Alerts page's
        source when a context has no Alertmanager, and the pending ones when it has."""
        reply = self.endpoint.request("GET", "/api/v1/alerts")
        if not reply.ok:
            raise _refusal(reply)
        try:
            data = Fields(reply.json()).obj("data")
            return [from_prometheus(item) for item in data.objects("alerts", optional=True)]
        except ShapeError as exc:
            raise malformed(exc) from None

    def _run(self, expr: str, call: Callable[[], Any]) -> QueryResult:
        with captured_replies() as replies:
            try:
                result = call()
            except ApiError:
                raise
            except PrometheusApiClientException:
                raise _refusal(replies[-1] if replies else None) from None
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedResponse(
                    "Prometheus answered with something other than a query result."
                ) from exc
        try:
            return parse_result(expr, result, _warnings(replies[-1] if replies else None))
        except ShapeError as exc:
            raise malformed(exc) from None


def _document(reply: Reply | None) -> dict[str, Any]:
    if reply is None:
        return {}
    try:
        data = json.loads(reply.body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _warnings(reply: Reply | None) -> tuple[str, ...]:
    # Parse the whole body a second time only when it mentions warnings at all.
    if reply is None or (b'"warnings"' not in reply.body and b'"infos"' not in reply.body):
        return ()
    data = _document(reply)
    found = [*(data.get("warnings") or []), *(data.get("infos") or [])]
    return tuple(str(w) for w in found)


def _refusal(reply: Reply | None) -> ApiError:
    data = _document(reply)
    status = 0 if reply is None else reply.status
    error = str(data.get("error") or "")
    kind = str(data.get("errorType") or "")
    problem = Problem(title=kind, detail=error, extra={"errorType": kind})
    if kind == "timeout":
        return Timeout(f"Prometheus gave up on the query: {error or 'timeout'}.")
    if error:
        return QueryFailed(status, problem, f"Prometheus could not run the query: {error}.")
    if status >= 500:
        return ServerError(status, problem, f"Prometheus answered {status}.")
    return MalformedResponse(f"Prometheus answered {status} without an explanation.")
