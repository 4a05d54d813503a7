"""How a mutating request runs: authorised, idempotent, guarded by If-Match and audited.

A handler describes its change as a function of a write transaction; :meth:`Action.run`
wraps it so that the change, its audit row and its idempotency record commit together.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from . import audit, events
from .audit import canonical_json
from .auth.principal import Principal
from .problems import Problem
from .services import Services

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    user_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    headers TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (user_id, key)
);
"""

# Only these response headers are replayed with a stored response.
_REPLAYED_HEADERS = ("etag", "location")


@dataclass(frozen=True)
class Outcome:
    """What a change answers: status, JSON body and headers (ETag, Location)."""

    status: int
    body: Any
    headers: dict[str, str]
    replay_body: Any = None  # what a replay answers when the body must not be stored (secrets)


def etag(*parts: object) -> str:
    """A strong ETag for a resource version."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]
    return f'"{digest}"'


def _matches(if_match: str, current: str) -> bool:
    candidates = [c.strip() for c in if_match.split(",")]
    return "*" in candidates or current in candidates


class Action:
    """The context of one mutating request, given to handlers by :func:`action`."""

    def __init__(self, request: Request, services: Services, principal: Principal) -> None:
        self.services = services
        self.principal = principal
        self.request_id: str = request.state.request_id
        self.idempotency_key = request.headers.get("idempotency-key")
        self.if_match = request.headers.get("if-match")
        self._method = request.method
        self._path = request.url.path

    @property
    def now(self) -> float:
        return self.services.clock.now()

    def audit(
        self,
        conn: sqlite3.Connection,
        action: str,
        resource: str,
        before: Any = None,
        after: Any = None,
        summary: str | None = None,
    ) -> audit.AuditEntry:
        """Append the audit row and publish the matching event, in the caller's transaction."""
        entry = audit.append(
            conn,
            now=self.now,
            actor=self.principal.name,
            action=action,
            resource=resource,
            before=before,
            after=after,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
        )
        events.publish(
            conn,
            self.services.events,
            now=self.now,
            kind=action,
            resource=resource,
            actor=self.principal.name,
            summary=summary or f"{self.principal.name}: {action} {resource}",
            data={"before": before, "after": after, "audit_seq": entry.seq},
        )
        return entry

    def require_step_up(self) -> None:
        if not self.principal.is_stepped_up(self.now):
            raise Problem(
                403,
                "step-up-required",
                "This action needs a fresh second factor: confirm with a TOTP code first.",
            )

    def check_if_match(self, conn: sqlite3.Connection, resource: str, current: str) -> None:
        """428 without If-Match; 412 naming who changed the resource when the ETag is stale."""
        if self.if_match is None:
            raise Problem(
                428,
                "precondition-required",
                "Send If-Match with the ETag you loaded, so a stale edit cannot overwrite "
                "someone else's.",
            )
        if _matches(self.if_match, current):
            return
        last = conn.execute(
            "SELECT actor, time FROM audit WHERE resource = ? ORDER BY seq DESC LIMIT 1",
            (resource,),
        ).fetchone()
        who, when = (last["actor"], last["time"]) if last else ("someone", "an unknown time")
        raise Problem(
            412,
            "stale-edit",
            f"{resource} was changed by {who} at {when} since you loaded it.",
            current_etag=current,
            changed_by=who,
            changed_at=when,
        )

    def run(
        self,
        body: Any,
        change: Callable[[sqlite3.Connection], Outcome],
        *,
        require_key: bool = False,
    ) -> Response:
        """Run ``change`` in one write transaction, at most once per Idempotency-Key."""
        key = self.idempotency_key
        if key is None:
            if require_key:
                raise Problem(
                    400,
                    "idempotency-key-required",
                    "This request creates something: send an Idempotency-Key header so a "
                    "retry cannot create it twice.",
                )
            with self.services.db.write() as conn:
                return _respond(change(conn))
        if not 1 <= len(key) <= 255:
            raise Problem(400, "bad-idempotency-key", "Idempotency-Key must be 1-255 characters.")

        request_hash = hashlib.sha256(
            f"{self._method} {self._path}\n{canonical_json(body)}".encode()
        ).hexdigest()
        slot = (self.principal.user_id, key)
        with self.services.in_flight_lock:
            if slot in self.services.in_flight:
                raise Problem(
                    409,
                    "idempotency-key-in-use",
                    "A request with this Idempotency-Key is still being processed; retry later.",
                )
            self.services.in_flight.add(slot)
        try:
            with self.services.db.write() as conn:
                stored = conn.execute(
                    "SELECT * FROM idempotency WHERE user_id = ? AND key = ?", slot
                ).fetchone()
                if stored is not None:
                    if stored["request_hash"] != request_hash:
                        raise Problem(
                            422,
                            "idempotency-key-reused",
                            "This Idempotency-Key was already used for a different request.",
                        )
                    replay = Outcome(
                        stored["status"], json.loads(stored["body"]), json.loads(stored["headers"])
                    )
                    response = _respond(replay)
                    response.headers["Idempotent-Replayed"] = "true"
                    return response
                outcome = change(conn)
                kept = {k: v for k, v in outcome.headers.items() if k.lower() in _REPLAYED_HEADERS}
                conn.execute(
                    "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        *slot,
                        request_hash,
                        outcome.status,
                        json.dumps(
                            outcome.body if outcome.replay_body is None else outcome.replay_body
                        ),
                        json.dumps(kept),
                        self.now,
                    ),
                )
                return _respond(outcome)
        finally:
            with self.services.in_flight_lock:
                self.services.in_flight.discard(slot)


def _respond(outcome: Outcome) -> Response:
    if outcome.status == 204:
        return Response(status_code=204, headers=outcome.headers)
    return JSONResponse(outcome.body, status_code=outcome.status, headers=outcome.headers)
