"""Instant queries against Prometheus, for chaos guards and runbook checks.

Errors form a small hierarchy: :class:`PrometheusUnavailable` when Prometheus cannot be
asked (not running, timed out, answered 5xx), :class:`PrometheusQueryError` when it refused
the query or answered something that is not one number. Callers decide what "cannot know"
means for them; a guard, for one, treats it as blindness and aborts when it lasts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx


class PrometheusError(Exception):
    """Prometheus could not answer the question."""


class PrometheusUnavailable(PrometheusError):  # noqa: N818 - reads as the condition it names
    """Prometheus did not answer: refused connection, timeout, or a server error."""


class PrometheusQueryError(PrometheusError):
    """Prometheus rejected the query, or its answer does not fit the question asked."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and its value (NaN stays NaN here)."""

    labels: dict[str, str]
    value: float


class PrometheusQuery:
    """Instant queries over HTTP (``/api/v1/query``) with a timeout on every request.

    Args:
        base_url: Prometheus' URL, e.g. ``http://127.0.0.1:9090``.
        timeout: seconds to wait for connection and answer; a guard's loop and a launch
            request wait at most this long per query.
        transport: an httpx transport, for callers that route requests themselves.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = 2.0,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def vector(self, expr: str) -> list[Sample]:
        """Evaluate ``expr`` now; a scalar answer comes back as one unlabelled sample."""
        data = self._query(expr)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return [Sample({}, _number(result[1]))]
        if kind == "vector" and isinstance(result, list):
            return [Sample(dict(item["metric"]), _number(item["value"][1])) for item in result]
        raise PrometheusQueryError(
            f"{expr!r} gives a {kind}, not a number; query an instant vector or a scalar."
        )

    def value(self, expr: str) -> float | None:
        """The one number ``expr`` gives now, or None when it gives no series or NaN.

        Raises:
            PrometheusUnavailable: Prometheus did not answer.
            PrometheusQueryError: the query is invalid or gives more than one series.
        """
        samples = self.vector(expr)
        if not samples:
            return None
        if len(samples) > 1:
            raise PrometheusQueryError(
                f"{expr!r} gives {len(samples)} series, not one number; "
                "aggregate it, for example with max(...) or sum(...)."
            )
        value = samples[0].value
        return None if math.isnan(value) else value

    def close(self) -> None:
        self._client.close()

    def _query(self, expr: str) -> dict[str, Any]:
        try:
            reply = self._client.post("/api/v1/query", data={"query": expr})
        except httpx.TimeoutException as exc:
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} timed out") from exc
        except httpx.HTTPError as exc:
            raise PrometheusUnavailable(
                f"Prometheus at {self.base_url} did not answer ({type(exc).__name__})"
            ) from exc
        if reply.status_code >= 500:  # 503 is also how Prometheus says a query timed out
            raise PrometheusUnavailable(
                f"Prometheus at {self.base_url} answered HTTP {reply.status_code}"
            )
        try:
            body = reply.json()
        except ValueError as exc:
            raise PrometheusQueryError(
                f"Prometheus at {self.base_url} answered HTTP {reply.status_code} without JSON"
            ) from exc
        if body.get("status") != "success":
            error = body.get("error") or f"HTTP {reply.status_code}"
            raise PrometheusQueryError(f"Prometheus rejected {expr!r}: {error}")
        data: dict[str, Any] = body["data"]
        return data


def _number(text: str) -> float:
    # Prometheus sends values as strings: "1.5", "NaN", "+Inf".
    return float(text)
