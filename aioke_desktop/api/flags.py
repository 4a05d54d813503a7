"""``client.flags``: feature flags with ETag bookkeeping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..core.activity import AuditEntry
from ..core.flag_ramps import FlagRamp
from ..core.flags import Flag, FlagEvaluation
from .calls import Calls, new_idempotency_key, parsed, parsed_list


def _path(key: str) -> str:
    return f"/flags/{quote(key, safe='')}"


class FlagsApi:
    """Create, read, change, archive and evaluate flags.

    Edits send If-Match with the ETag last seen of the flag (from :meth:`get`, :meth:`create`
    or a previous edit), or the one given; a stale one raises ``StaleEdit`` naming who
    changed the flag and when.
    """

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    def all(self, *, stale: bool = False, include_archived: bool = False) -> list[Flag]:
        params = {"stale": stale, "include_archived": include_archived}
        return parsed_list(self._calls.get("/flags", params), Flag.from_json)

    def get(self, key: str) -> Flag:
        reply = self._calls.get(_path(key))
        return parsed(reply, lambda f: Flag.from_json(f, reply.etag))

    def create(
        self, key: str, settings: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Flag:
        """Create a flag; pass the ``idempotency_key`` of an earlier try to retry it safely."""
        body = {"key": key, **settings}
        reply = self._calls.create("/flags", body, idempotency_key=idempotency_key)
        self._calls.etags.remember(_path(key), reply.etag)
        return parsed(reply, lambda f: Flag.from_json(f, reply.etag))

    def update(
        self,
        key: str,
        changes: Mapping[str, Any],
        *,
        etag: str | None = None,
        idempotency_key: str | None = None,
    ) -> Flag:
        """Change the fields given (``depends_on=None`` removes the dependency); pass the
        ``idempotency_key`` of an earlier try to retry it without changing the flag twice."""
        reply = self._calls.change(
            "PATCH", _path(key), dict(changes), etag=etag, idempotency_key=idempotency_key
        )
        return parsed(reply, lambda f: Flag.from_json(f, reply.etag))

    def archive(
        self, key: str, *, etag: str | None = None, idempotency_key: str | None = None
    ) -> Flag:
        reply = self._calls.change("DELETE", _path(key), etag=etag, idempotency_key=idempotency_key)
        return parsed(reply, lambda f: Flag.from_json(f, reply.etag))

    def evaluate(self, key: str, context: Mapping[str, Any]) -> FlagEvaluation:
        """Whether the flag is on for ``context`` (``{"user_id": …}``); changes nothing."""
        reply = self._calls.post(f"{_path(key)}/evaluate", {"context": dict(context)})
        return parsed(reply, FlagEvaluation.from_json)

    def history(self, key: str, since: int | None = None, limit: int = 100) -> list[AuditEntry]:
        params: dict[str, Any] = {"limit": limit}
        if since is not None:
            params["since"] = since
        return parsed_list(self._calls.get(f"{_path(key)}/history", params), AuditEntry.from_json)

    # Burn-rate-gated ramps ----------------------------------------------------------------

    def ramps(self) -> list[FlagRamp]:
        """Every flag's newest ramp (without its step history)."""
        return parsed_list(self._calls.get("/flag-ramps"), FlagRamp.from_json)

    def ramp(self, key: str) -> FlagRamp:
        """The flag's newest ramp with every step; NotFound when it never had one."""
        return parsed(self._calls.get(f"{_path(key)}/ramp"), FlagRamp.from_json)

    def start_ramp(
        self,
        key: str,
        ramp: Mapping[str, Any],
        *,
        etag: str | None = None,
        idempotency_key: str | None = None,
    ) -> FlagRamp:
        """Start a ramp (``steps``, ``interval_seconds``, ``service``, ``max_burn_rate``) on
        the flag version ``etag`` names; the flag goes on at the first step."""
        reply = self._calls.change(
            "PUT",
            f"{_path(key)}/ramp",
            dict(ramp),
            resource=_path(key),
            etag=etag,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parsed(reply, FlagRamp.from_json)

    def stop_ramp(
        self, key: str, *, etag: str | None = None, idempotency_key: str | None = None
    ) -> FlagRamp:
        """Stop the running ramp; the rollout stays where the ramp left it."""
        reply = self._calls.change(
            "DELETE",
            f"{_path(key)}/ramp",
            resource=_path(key),
            etag=etag,
            idempotency_key=idempotency_key,
        )
        return parsed(reply, FlagRamp.from_json)
