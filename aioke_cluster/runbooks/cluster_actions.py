"""The runbook executor's hands: each step's change made the way its own API makes it.

A change is written, audited and published in one transaction, exactly as the matching route
does it (same audit action and resource, so a flag's history shows the runbook's change), but
as ``"<user> via runbook <id>/<execution>"`` rather than as a request's principal.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import State

from .. import audit, events
from ..breakers import BreakerRegistry, Command
from ..chaos import operations as chaos_ops
from ..chaos import store as chaos_store
from ..clock import iso
from ..flags import store as flag_store
from ..flags.model import FlagSpec
from ..prometheus import PrometheusError, PrometheusQuery
from ..services import Services
from ..workload.topology import set_desired_instances
from .steps import StepFailed


class ControlPlaneActions:
    """:class:`~aioke_cluster.runbooks.steps.ClusterActions` against this control plane.

    Args:
        services: the control plane's services.
        app_state: ``app.state``; the breaker registry is looked up there when a step needs
            it, so the order in which ``create_app`` wires modules does not matter.
        prometheus: the query client for check steps (None: checks fail, saying why).
    """

    def __init__(
        self, services: Services, app_state: State, prometheus: PrometheusQuery | None = None
    ) -> None:
        self.services, self._state, self.prometheus = services, app_state, prometheus

    # Flags: the same change as PATCH /flags/{key}.

    def set_flag(
        self, key: str, *, enabled: bool | None, rollout_percentage: int | None, actor: str
    ) -> str:
        changes: dict[str, Any] = {}
        if enabled is not None:
            changes["enabled"] = enabled
        if rollout_percentage is not None:
            changes["rollout_percentage"] = rollout_percentage
        with self.services.db.write() as conn:
            now = self.services.clock.now()
            current = flag_store.load(conn, key)
            if current is None:
                raise StepFailed(f"there is no flag {key}")
            if current.archived:
                raise StepFailed(f"the flag {key} is archived and cannot change")
            try:
                spec = FlagSpec.model_validate({**current.spec.model_dump(), **changes})
            except ValidationError as exc:
                raise StepFailed(f"flag {key}: {exc.errors()[0]['msg']}") from None
            shown = _flag_state(spec)
            if spec == current.spec:
                return f"flag {key} already was {shown}; nothing changed"
            updated = current.changed(spec, now)
            flag_store.save(conn, updated)
            before, after = current.to_json(now), updated.to_json(now)
            self._audit(conn, actor, "flag.update", f"flag/{key}", before, after)
        return f"flag {key}: {_flag_state(current.spec)} → {shown}"

    # Breakers: the same change as POST /breakers/{name}/transition.

    def breakers_into(self, service: str) -> list[str]:
        return [n for n in self._breakers().names() if n.partition("->")[2] == service]

    def reset_breaker(self, name: str, *, actor: str) -> str:
        return self._command(name, Command.RESET, None, f"reset by {actor}", actor)

    def force_breaker(
        self, name: str, to: str, *, ttl_seconds: int, reason: str, actor: str
    ) -> str:
        return self._command(name, Command(to), ttl_seconds, reason, actor)

    def _command(
        self, name: str, command: Command, ttl: int | None, reason: str, actor: str
    ) -> str:
        registry = self._breakers()
        with self.services.db.write() as conn:
            before = registry.snapshot(name, conn)
            if before is None:
                raise StepFailed(f"there is no breaker {name}")
            registry.command(conn, name, command, reason=reason, ttl_seconds=ttl, actor=actor)
            after = registry.snapshot(name, conn)
            assert after is not None  # breakers are never removed
            forced = _iso(after.forced_until)
            self._audit(
                conn,
                actor,
                "breaker.transition",
                f"breaker/{name}",
                {"state": before.state, "forced_until": _iso(before.forced_until)},
                {
                    "state": after.state,
                    "forced_until": forced,
                    "command": command,
                    "reason": reason,
                },
            )
        until = f" until {forced}" if forced else ""
        return f"breaker {name}: {before.state} → {after.state}{until}"

    def _breakers(self) -> BreakerRegistry:
        registry: BreakerRegistry | None = getattr(self._state, "breakers", None)
        if registry is None:
            raise StepFailed("this control plane has no circuit breakers")
        return registry

    # Chaos: the same changes as POST /chaos/runs/{id}/abort and POST /chaos/halt.

    def abort_chaos(self, *, run_id: str | None, target: str | None, actor: str) -> str:
        with self.services.db.write() as conn:
            now = self.services.clock.now()
            if run_id is not None:
                run = chaos_store.load_run(conn, int(run_id)) if run_id.isdigit() else None
                if run is None:
                    raise StepFailed(f"there is no chaos run {run_id}")
                runs = [run]
            else:
                runs = chaos_ops.active_runs(conn, now, target)
            aborted = []
            for run in runs:
                result = chaos_ops.abort_run(conn, run, now=now, actor=actor, why="runbook step")
                if result.after is not None:
                    before, after = result.before, result.after
                    self._audit(
                        conn, actor, "chaos.abort", chaos_ops.run_resource(run.id),
                        chaos_ops.run_json(before, now), chaos_ops.run_json(after, now),
                    )  # fmt: skip
                    aborted.append(str(run.id))
        self._chaos_changed()
        where = f"run {run_id}" if run_id is not None else f"chaos on {target}"
        if not aborted:
            return f"{where}: nothing was running"
        return f"{where}: aborted run {', '.join(aborted)}"

    def halt_chaos(self, reason: str, *, actor: str) -> str:
        with self.services.db.write() as conn:
            result = chaos_ops.halt(conn, now=self.services.clock.now(), actor=actor, reason=reason)
            if result.changed:
                self._audit(
                    conn, actor, "chaos.halt", chaos_ops.CONTROL_RESOURCE, {"halted": None},
                    result.to_json(),
                )  # fmt: skip
        self._chaos_changed()
        if not result.changed:
            return f"chaos already was halted by {result.halt.by} ({result.halt.reason})"
        return f"chaos halted; aborted {len(result.aborted_runs)} running run(s)"

    def _chaos_changed(self) -> None:
        # After the commit: the workload drops the aborted faults at once.
        if self.services.chaos is not None:
            self.services.chaos.invalidate()

    # Scaling: the same change as POST /services/{name}/scale.

    def scale(self, service: str, instances: int, *, actor: str) -> str:
        with self.services.db.write() as conn:
            try:
                before = set_desired_instances(conn, service, instances)
            except KeyError:
                raise StepFailed(f"there is no service {service}") from None
            except ValueError as exc:
                raise StepFailed(str(exc)) from None
            if before != instances:
                self._audit(
                    conn, actor, "service.scale", f"service/{service}", {"instances": before},
                    {"instances": instances},
                )  # fmt: skip
        if before == instances:
            return f"{service} already ran {instances} instances; nothing changed"
        return f"{service}: {before} → {instances} instances"

    # Checks.

    def query(self, expr: str) -> float | None:
        if self.prometheus is None:
            raise StepFailed("no Prometheus is configured, so the check cannot be evaluated")
        try:
            return self.prometheus.value(expr)
        except PrometheusError as exc:
            raise StepFailed(str(exc)) from None

    def _audit(
        self,
        conn: sqlite3.Connection,
        actor: str,
        action: str,
        resource: str,
        before: Any,
        after: Any,
    ) -> None:
        """One audit row and its event, as :meth:`Action.audit` writes them for a request."""
        now = self.services.clock.now()
        entry = audit.append(
            conn, now=now, actor=actor, action=action, resource=resource, before=before,
            after=after,
        )  # fmt: skip
        events.publish(
            conn,
            self.services.events,
            now=now,
            kind=action,
            resource=resource,
            actor=actor,
            summary=f"{actor}: {action} {resource}",
            data={"before": before, "after": after, "audit_seq": entry.seq},
        )


def _flag_state(spec: FlagSpec) -> str:
    return f"{'enabled' if spec.enabled else 'disabled'} at {spec.rollout_percentage} %"


def _iso(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)
