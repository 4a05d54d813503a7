"""A requests adapter that sends through an :class:`HttpEndpoint`.

prometheus-api-client talks requests, whose timeouts, like httpx's, apply per read and whose
bodies are buffered whole. Mounting this adapter on its session puts the same overall
deadline, size cap, retries and TLS settings under it as under every other client, and lets
:class:`~aioke_desktop.api.prometheus.PrometheusSource` see the raw answer (its ``warnings``
and error documents, which the library drops).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from .http import HttpEndpoint, Reply

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding"}
_seen: ContextVar[list[Reply] | None] = ContextVar("aioke_bridge_replies", default=None)


@contextmanager
def captured_replies() -> Iterator[list[Reply]]:
    """Collect the answers the adapter receives in this block (this thread only)."""
    replies: list[Reply] = []
    token = _seen.set(replies)
    try:
        yield replies
    finally:
        _seen.reset(token)


def _seconds(timeout: Any) -> float | None:
    if isinstance(timeout, tuple):
        timeout = max((t for t in timeout if isinstance(t, int | float)), default=None)
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None


class EndpointAdapter(BaseAdapter):
    """Sends requests' prepared requests with the endpoint's limits (reads only)."""

    def __init__(self, endpoint: HttpEndpoint) -> None:
        super().__init__()
        self._endpoint = endpoint

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        body = request.body
        content = body.encode() if isinstance(body, str) else body
        if content is not None and not isinstance(content, bytes):
            raise TypeError("streamed request bodies are not supported")
        headers = {
            k: v.decode("latin-1") if isinstance(v, bytes) else v
            for k, v in (request.headers or {}).items()
            if k.lower() not in _HOP_BY_HOP
        }
        reply = self._endpoint.request(
            request.method or "GET",
            request.url or "",
            content=content,
            headers=headers,
            authenticated=False,
            repeatable=True,  # Prometheus' query API only reads, GET or POST
            deadline_seconds=_seconds(timeout),
        )
        replies = _seen.get()
        if replies is not None:
            replies.append(reply)
        return self._response(request, reply)

    def _response(self, request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        response = requests.Response()
        response.status_code = reply.status
        response.headers = CaseInsensitiveDict(
            {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
        )
        response.raw = io.BytesIO(reply.body)  # already decoded and capped
        response.url = reply.url
        response.reason = httpx.codes.get_reason_phrase(reply.status)
        response.encoding = get_encoding_from_headers(response.headers)
        response.request = request
        return response

    def close(self) -> None:
        """The endpoint outlives the session; :class:`PrometheusSource` closes it."""
