"""``client.breakers``, ``client.chaos`` and ``client.runbooks``: the cluster's levers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..core.breakers import Breaker, BreakerTransition
from ..core.chaos import ChaosLaunch, ChaosRun, ChaosSafety, FaultType
from ..core.jsonshape import Fields
from ..core.runbooks import LogChunk, Runbook, RunbookExecution
from .calls import Calls, new_idempotency_key, parsed, parsed_list


def _segment(name: str) -> str:
    return quote(name, safe="")


class BreakersApi:
    """Read breakers and force, disable, close or reset one (If-Match from its last read)."""

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    def all(self) -> list[Breaker]:
        return parsed_list(self._calls.get("/breakers"), Breaker.from_json)

    def get(self, name: str) -> Breaker:
        reply = self._calls.get(f"/breakers/{_segment(name)}")
        return parsed(reply, lambda f: Breaker.from_json(f, reply.etag))

    def history(self, name: str, limit: int = 100) -> list[BreakerTransition]:
        reply = self._calls.get(f"/breakers/{_segment(name)}/history", {"limit": limit})
        return parsed_list(reply, BreakerTransition.from_json)

    def transition(
        self,
        name: str,
        to: str,
        *,
        ttl_seconds: int | None = None,
        reason: str = "",
        etag: str | None = None,
        idempotency_key: str | None = None,
    ) -> Breaker:
        """FORCE_OPEN or DISABLE (with a TTL and a step-up session), CLOSE or RESET."""
        path = f"/breakers/{_segment(name)}"
        body: dict[str, Any] = {"to": to, "reason": reason}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        reply = self._calls.change(
            "POST",
            f"{path}/transition",
            body,
            resource=path,
            etag=etag,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parsed(reply, lambda f: Breaker.from_json(f, reply.etag))


class ChaosApi:
    """Launch, follow, abort and halt chaos; the safety settings (admin)."""

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    def catalog(self) -> list[FaultType]:
        return parsed_list(self._calls.get("/chaos/catalog"), FaultType.from_json)

    def launch(self, launch: ChaosLaunch, *, idempotency_key: str | None = None) -> ChaosRun:
        """Start a run (a step-up session unless ``dry_run``); refused launches raise Conflict
        with the server's reason."""
        reply = self._calls.create("/chaos/runs", launch.to_json(), idempotency_key=idempotency_key)
        return parsed(reply, lambda f: ChaosRun.from_json(f, reply.etag))

    def runs(self, state: str | None = None, limit: int = 100) -> list[ChaosRun]:
        params: dict[str, Any] = {"limit": limit}
        if state is not None:
            params["state"] = state
        return parsed_list(self._calls.get("/chaos/runs", params), ChaosRun.from_json)

    def run(self, run_id: str) -> ChaosRun:
        reply = self._calls.get(f"/chaos/runs/{_segment(run_id)}")
        return parsed(reply, lambda f: ChaosRun.from_json(f, reply.etag))

    def abort(
        self, run_id: str, reason: str | None = None, *, idempotency_key: str | None = None
    ) -> ChaosRun:
        """End a run now. Safe to repeat, so it is retried like a read; no If-Match: stopping
        harm must not fail on a stale view."""
        body = None if reason is None else {"reason": reason}
        reply = self._calls.change(
            "POST",
            f"/chaos/runs/{_segment(run_id)}/abort",
            body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parsed(reply, lambda f: ChaosRun.from_json(f, reply.etag))

    def halt(self, reason: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Abort every run and refuse launches until :meth:`resume` (needs a step-up)."""
        reply = self._calls.change(
            "POST",
            "/chaos/halt",
            {"reason": reason},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parsed(reply, Fields.as_dict)

    def resume(self, *, idempotency_key: str | None = None) -> None:
        self._calls.change(
            "POST", "/chaos/resume", idempotency_key=idempotency_key or new_idempotency_key()
        )

    def halt_state(self) -> Mapping[str, Any] | None:
        """Who halted chaos and why, or None when launches are allowed."""
        reply = self._calls.get("/chaos/halt")
        return parsed(reply, lambda f: f.mapping("halted") or None)

    def safety(self) -> ChaosSafety:
        reply = self._calls.get("/chaos/safety")
        return parsed(reply, lambda f: ChaosSafety.from_json(f, reply.etag))

    def set_safety(self, settings: Mapping[str, Any], *, etag: str | None = None) -> ChaosSafety:
        reply = self._calls.change("PUT", "/chaos/safety", dict(settings), etag=etag)
        return parsed(reply, lambda f: ChaosSafety.from_json(f, reply.etag))


class RunbooksApi:
    """Runbooks, and starting, following, confirming and cancelling their executions."""

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    def all(self) -> list[Runbook]:
        return parsed_list(self._calls.get("/runbooks"), Runbook.from_json)

    def get(self, runbook_id: str) -> Runbook:
        return parsed(self._calls.get(f"/runbooks/{_segment(runbook_id)}"), Runbook.from_json)

    def execute(
        self,
        runbook_id: str,
        params: Mapping[str, Any],
        *,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> RunbookExecution:
        """Start an execution (a step-up session for a high-risk runbook unless dry)."""
        reply = self._calls.create(
            f"/runbooks/{_segment(runbook_id)}/executions",
            {"params": dict(params), "dry_run": dry_run},
            idempotency_key=idempotency_key,
        )
        return parsed(reply, lambda f: RunbookExecution.from_json(f, reply.etag))

    def _execution_path(self, runbook_id: str, execution_id: str) -> str:
        return f"/runbooks/{_segment(runbook_id)}/executions/{_segment(execution_id)}"

    def executions(self, runbook_id: str, limit: int = 20) -> list[RunbookExecution]:
        reply = self._calls.get(f"/runbooks/{_segment(runbook_id)}/executions", {"limit": limit})
        return parsed_list(reply, RunbookExecution.from_json)

    def execution(self, runbook_id: str, execution_id: str) -> RunbookExecution:
        reply = self._calls.get(self._execution_path(runbook_id, execution_id))
        return parsed(reply, lambda f: RunbookExecution.from_json(f, reply.etag))

    def log(self, runbook_id: str, execution_id: str, offset: int = 0) -> LogChunk:
        """Log lines after ``offset``; call again with ``next_offset`` until ``complete``."""
        path = self._execution_path(runbook_id, execution_id) + "/log"
        return parsed(self._calls.get(path, {"offset": offset}), LogChunk.from_json)

    def cancel(
        self, runbook_id: str, execution_id: str, *, idempotency_key: str | None = None
    ) -> RunbookExecution:
        """Cancel; safe to repeat, and sent without If-Match: stopping is always allowed."""
        path = self._execution_path(runbook_id, execution_id)
        reply = self._calls.change(
            "POST", f"{path}/cancel", idempotency_key=idempotency_key or new_idempotency_key()
        )
        return parsed(reply, lambda f: RunbookExecution.from_json(f, reply.etag))

    def confirm(
        self, runbook_id: str, execution_id: str, *, etag: str | None = None
    ) -> RunbookExecution:
        """Let an execution waiting at a confirmation step go on (If-Match: the version the
        operator saw, so a confirmation cannot release a later step)."""
        path = self._execution_path(runbook_id, execution_id)
        reply = self._calls.change("POST", f"{path}/confirm", resource=path, etag=etag)
        return parsed(reply, lambda f: RunbookExecution.from_json(f, reply.etag))
