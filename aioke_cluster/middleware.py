"""Per-request plumbing as plain ASGI: request ids, a body size cap and request metrics."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from typing import Any

from fastapi import HTTPException  # FastAPI re-raises its own while reading a body
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import ServerMetrics

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

access_log = logging.getLogger("aioke_cluster.access")


class RequestIdFilter(logging.Filter):
    """Stamps every log record with the id of the request being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# A client's id is echoed into logs and audit rows, so accept only short, plain ones.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

MAX_BODY_BYTES = 1024 * 1024


class RequestContextMiddleware:
    """Assigns ``X-Request-ID``, caps request bodies and records request metrics."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: ServerMetrics,
        api_prefix: str = "",
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client_id = headers.get("x-request-id", "")
        request_id = client_id if _CLIENT_ID.match(client_id) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        declared = headers.get("content-length", "")
        too_big = declared.isdigit() and int(declared) > self.max_body
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            if too_big:
                raise HTTPException(413, f"Request bodies are limited to {self.max_body} bytes.")
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise HTTPException(413, f"Request bodies are limited to {self.max_body} bytes.")
            return message

        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, capped_receive, send_with_id)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", "unmatched")
            # Routes of an included router know their path without the router's prefix.
            if scope["path"].startswith(self.api_prefix) and route is not None:
                template = self.api_prefix + template.removeprefix(self.api_prefix)
            method = scope["method"]
            self.metrics.requests.labels(template, method, str(status)).inc()
            elapsed = time.perf_counter() - started
            self.metrics.duration.labels(template, method).observe(elapsed)
            # The path only: query strings and bodies may carry things that must not be logged.
            access_log.info("%s %s %s %.1f ms", method, scope["path"], status, elapsed * 1000)
            request_id_var.reset(token)
