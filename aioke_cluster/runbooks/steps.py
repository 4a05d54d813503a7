"""The things a runbook step can do, and nothing else: no shell, no code, no template engine.

Each kind is a strict pydantic model that knows how to say what it would do (a dry run) and
how to do it through :class:`ClusterActions`, the executor's only way to touch the cluster.
Step fields may hold ``{{ params.name }}``, filled in by :mod:`.params` before validation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, model_validator

from ..workload.topology import MAX_INSTANCES, MIN_INSTANCES

MAX_WAIT_SECONDS = 3600

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=500)]


class StepFailed(Exception):  # noqa: N818 - reads as what happened to the step
    """A step could not do its job; the message is one plain sentence for the log."""


class Stopped(Exception):  # noqa: N818 - it names what happened to the execution
    """The execution was cancelled, timed out or the control plane is stopping."""


class ClusterActions(Protocol):
    """What runbook steps may do to the control plane and the simulated cluster.

    Each change is audited as ``actor`` and returns one sentence saying what it did; it
    raises :class:`StepFailed` when it cannot be done (unknown breaker, archived flag...).
    """

    def breakers_into(self, service: str) -> list[str]:
        """The names of the breakers guarding calls to ``service``."""
        ...

    def reset_breaker(self, name: str, *, actor: str) -> str: ...

    def force_breaker(
        self, name: str, to: str, *, ttl_seconds: int, reason: str, actor: str
    ) -> str: ...

    def set_flag(
        self, key: str, *, enabled: bool | None, rollout_percentage: int | None, actor: str
    ) -> str: ...

    def abort_chaos(self, *, run_id: str | None, target: str | None, actor: str) -> str: ...

    def halt_chaos(self, reason: str, *, actor: str) -> str: ...

    def scale(self, service: str, instances: int, *, actor: str) -> str: ...

    def query(self, expr: str) -> float | None:
        """The value of an instant PromQL query; None when it has no data."""
        ...


class StepContext(Protocol):
    """What the executor gives a running step."""

    actions: ClusterActions
    actor: str

    def now(self) -> float: ...

    def log(self, text: str) -> None: ...

    def pause(self, seconds: float) -> None:
        """Wait on the control plane's clock; raises :class:`Stopped` if stopped meanwhile."""
        ...

    def await_confirmation(self, prompt: str) -> str:
        """Wait until an operator confirms; returns who did. Raises :class:`Stopped`."""
        ...


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: Name | None = None  # a label for the UI; the kind's description stands in

    @property
    def continue_on_failure(self) -> bool:
        return False

    def describe(self) -> str:
        """What this step would do, in one sentence (a dry run's answer)."""
        raise NotImplementedError

    def run(self, ctx: StepContext) -> str:
        """Do it; return what was done. Raises :class:`StepFailed` or :class:`Stopped`."""
        raise NotImplementedError

    @property
    def title(self) -> str:
        return self.name or self.describe()


class BreakerReset(_Step):
    """Reset one breaker, or (``callee``) every breaker guarding calls to a service."""

    kind: Literal["breaker_reset"]
    breaker: Name | None = None
    callee: Name | None = None

    @model_validator(mode="after")
    def _one_of(self) -> BreakerReset:
        if (self.breaker is None) == (self.callee is None):
            raise ValueError("name either breaker or callee")
        return self

    def describe(self) -> str:
        which = f"breaker {self.breaker}" if self.breaker else f"every breaker into {self.callee}"
        return f"reset {which} to CLOSED and zero the counters"

    def run(self, ctx: StepContext) -> str:
        names = [self.breaker] if self.breaker else ctx.actions.breakers_into(str(self.callee))
        if not names:
            raise StepFailed(f"no breaker guards calls to {self.callee}")
        return "; ".join(ctx.actions.reset_breaker(name, actor=ctx.actor) for name in names)


class BreakerForce(_Step):
    kind: Literal["breaker_force"]
    breaker: Name
    to: Literal["FORCE_OPEN", "DISABLE"]
    ttl_seconds: Annotated[int, Field(ge=1, le=86400)]
    reason: Text = ""

    def describe(self) -> str:
        return f"{self.to} breaker {self.breaker} for {self.ttl_seconds} s"

    def run(self, ctx: StepContext) -> str:
        return ctx.actions.force_breaker(
            self.breaker,
            self.to,
            ttl_seconds=self.ttl_seconds,
            reason=self.reason or f"runbook step: {self.describe()}",
            actor=ctx.actor,
        )


class FlagSet(_Step):
    kind: Literal["flag_set"]
    flag: Name
    enabled: bool | None = None
    rollout_percentage: Annotated[int, Field(ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> FlagSet:
        if self.enabled is None and self.rollout_percentage is None:
            raise ValueError("set enabled, rollout_percentage or both")
        return self

    def describe(self) -> str:
        changes = []
        if self.enabled is not None:
            changes.append("enable" if self.enabled else "disable")
        if self.rollout_percentage is not None:
            changes.append(f"roll out to {self.rollout_percentage} %")
        return f"{' and '.join(changes)} flag {self.flag}"

    def run(self, ctx: StepContext) -> str:
        return ctx.actions.set_flag(
            self.flag,
            enabled=self.enabled,
            rollout_percentage=self.rollout_percentage,
            actor=ctx.actor,
        )


class ChaosAbort(_Step):
    kind: Literal["chaos_abort"]
    run_id: Name | None = None
    target: Name | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ChaosAbort:
        if (self.run_id is None) == (self.target is None):
            raise ValueError("name either run_id or target")
        return self

    def describe(self) -> str:
        if self.run_id is not None:
            return f"abort chaos run {self.run_id}"
        return f"abort every chaos run on {self.target}"

    def run(self, ctx: StepContext) -> str:
        return ctx.actions.abort_chaos(run_id=self.run_id, target=self.target, actor=ctx.actor)


class ChaosHalt(_Step):
    kind: Literal["chaos_halt"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]

    def describe(self) -> str:
        return f"halt all chaos and block new runs ({self.reason})"

    def run(self, ctx: StepContext) -> str:
        return ctx.actions.halt_chaos(self.reason, actor=ctx.actor)


class Scale(_Step):
    kind: Literal["scale"]
    service: Name
    instances: Annotated[int, Field(ge=MIN_INSTANCES, le=MAX_INSTANCES)]

    def describe(self) -> str:
        return f"scale {self.service} to {self.instances} instances"

    def run(self, ctx: StepContext) -> str:
        return ctx.actions.scale(self.service, self.instances, actor=ctx.actor)


class Wait(_Step):
    kind: Literal["wait"]
    seconds: Annotated[float, Field(gt=0, le=MAX_WAIT_SECONDS)]

    def describe(self) -> str:
        return f"wait {self.seconds:g} s"

    def run(self, ctx: StepContext) -> str:
        ctx.pause(self.seconds)
        return f"waited {self.seconds:g} s"


Comparison = Literal["<", "<=", ">", ">=", "==", "!="]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class Check(_Step):
    """A PromQL condition, retried every ``interval_seconds`` for up to ``within_seconds``
    because recovery takes a few scrapes to show."""

    kind: Literal["check"]
    expr: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    comparison: Comparison
    threshold: float
    on_fail: Literal["stop", "continue"] = "stop"
    within_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = 0
    interval_seconds: Annotated[float, Field(ge=1, le=300)] = 5

    @property
    def continue_on_failure(self) -> bool:
        return self.on_fail == "continue"

    def describe(self) -> str:
        within = f" within {self.within_seconds:g} s" if self.within_seconds else ""
        return f"check that {self.expr} {self.comparison} {self.threshold:g}{within}"

    def run(self, ctx: StepContext) -> str:
        give_up_at = ctx.now() + self.within_seconds
        while True:
            value = ctx.actions.query(self.expr)
            shown = "no data" if value is None else f"{value:g}"
            if value is not None and _COMPARE[self.comparison](value, self.threshold):
                return f"{self.expr} = {shown}, {self.comparison} {self.threshold:g} as wanted"
            left = give_up_at - ctx.now()
            if left <= 0:
                raise StepFailed(f"{self.expr} = {shown}, not {self.comparison} {self.threshold:g}")
            ctx.log(f"{self.expr} = {shown}, not yet {self.comparison} {self.threshold:g}")
            ctx.pause(min(self.interval_seconds, left))


class Confirm(_Step):
    kind: Literal["confirm"]
    prompt: Annotated[str, StringConstraints(min_length=1, max_length=1000)]

    def describe(self) -> str:
        return f"ask an operator to confirm: {self.prompt}"

    def run(self, ctx: StepContext) -> str:
        return f"confirmed by {ctx.await_confirmation(self.prompt)}"


Step = Annotated[
    BreakerReset | BreakerForce | FlagSet | ChaosAbort | ChaosHalt | Scale | Wait | Check | Confirm,
    Field(discriminator="kind"),
]
STEP = TypeAdapter(Step)
STEP_KINDS = (
    "breaker_reset", "breaker_force", "flag_set", "chaos_abort", "chaos_halt",
    "scale", "wait", "check", "confirm",
)  # fmt: skip
