"""The control plane's request conventions in one place: JSON in and out, problem documents
to exceptions, an ETag remembered for each resource, If-Match and Idempotency-Key sent."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..core.jsonshape import Fields, ShapeError, objects
from .errors import MalformedResponse
from .http import HttpEndpoint, Reply
from .problems import raise_for_problem

T = TypeVar("T")


class ETagBook:
    """The ETag of each resource as last seen, so an edit names the version it started from.

    Thread-safe: pollers and dialogs read and write it from worker threads.
    """

    def __init__(self) -> None:
        self._tags: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> str | None:
        with self._lock:
            return self._tags.get(path)

    def remember(self, path: str, etag: str | None) -> None:
        if etag:
            with self._lock:
                self._tags[path] = etag

    def forget(self, path: str) -> None:
        with self._lock:
            self._tags.pop(path, None)


def new_idempotency_key() -> str:
    """A fresh key for one action; pass the same key again to retry that action by hand."""
    return str(uuid.uuid4())


def parsed(reply: Reply, build: Callable[[Fields], T]) -> T:
    """One object from ``reply`` built with ``build``; MalformedResponse on a wrong shape."""
    try:
        return build(Fields(reply.json()))
    except ShapeError as exc:
        raise malformed(exc) from None


def parsed_list(reply: Reply, build: Callable[[Fields], T]) -> list[T]:
    try:
        return [build(item) for item in objects(reply.json())]
    except ShapeError as exc:
        raise malformed(exc) from None


def malformed(exc: ShapeError) -> MalformedResponse:
    return MalformedResponse(f"The server's answer has an unexpected {exc.field} ({exc.problem}).")


class Calls:
    """Typed calls against one control plane.

    Args:
        http: the endpoint (base URL ``…/api/v1``).
        etags: where ETags are remembered.
    """

    def __init__(self, http: HttpEndpoint, etags: ETagBook | None = None) -> None:
        self.http = http
        self.etags = etags or ETagBook()

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        deadline_seconds: float | None = None,
    ) -> Reply:
        """GET ``path``; a resource's ETag is remembered for a later edit."""
        reply = raise_for_problem(
            self.http.request("GET", path, params=params, deadline_seconds=deadline_seconds)
        )
        self.etags.remember(path, reply.etag)
        return reply

    def create(self, path: str, body: Any, *, idempotency_key: str | None = None) -> Reply:
        """POST that creates or launches something, with an Idempotency-Key kept across
        retries, so a lost answer can never create it twice."""
        key = idempotency_key or new_idempotency_key()
        reply = raise_for_problem(
            self.http.request(
                "POST",
                path,
                json=body,
                headers={"Idempotency-Key": key},
            )
        )
        location = reply.headers.get("location")
        if location and reply.etag:
            self.etags.remember(_relative(location), reply.etag)
        return reply

    def post(self, path: str, body: Any = None, *, authenticated: bool = True) -> Reply:
        """POST that is not retried (it carries no Idempotency-Key)."""
        return raise_for_problem(
            self.http.request("POST", path, json=body, authenticated=authenticated)
        )

    def change(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        resource: str | None = None,
        etag: str | None = None,
        idempotency_key: str | None = None,
    ) -> Reply:
        """An edit of an existing resource, with If-Match from ``etag`` or the last ETag seen
        of ``resource`` (``path`` by default). A stale one raises :class:`StaleEdit`."""
        resource = resource or path
        headers = {}
        match = etag or self.etags.get(resource)
        if match:
            headers["If-Match"] = match
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        reply = raise_for_problem(self.http.request(method, path, json=body, headers=headers))
        self.etags.remember(resource, reply.etag)
        return reply


def _relative(location: str) -> str:
    """``/api/v1/flags/x`` → ``/flags/x``: ETags are kept by the path the client uses."""
    marker = "/api/v1"
    return location.split(marker, 1)[1] if marker in location else location
