"""Guards and launch checks: what Prometheus must say for a run to start and to go on.

A guard names an SLO, a PromQL expression with a threshold, or both. An SLO guard breaches
when the SLO's page-level burn-rate alert fires or its current burn rate passes
``max_burn_rate`` (14.4, the page alert's fast burn, unless the run says otherwise). A guard
that gets no answer is *blind*; the engine aborts a run whose guard stays blind, because a
fault nobody can watch is a fault nobody can stop in time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..problems import Problem
from ..prometheus import PrometheusError, PrometheusQuery
from .store import SafetySettings

PAGE_BURN_RATE = 14.4

Comparison = Literal[">", "<"]


@dataclass(frozen=True)
class GuardCheck:
    """One query of a guard and the value that breaches it."""

    what: str
    expr: str
    threshold: float
    comparison: Comparison
    breach_text: str | None = None  # a plainer sentence than "X is 1, above 0"


@dataclass(frozen=True)
class Verdict:
    """A guard's state now: breached (with reason and value), blind (with why), or fine."""

    breached: bool = False
    reason: str | None = None
    observed: float | None = None
    blind: str | None = None


def is_breach(value: float, threshold: float, comparison: Comparison) -> bool:
    return value > threshold if comparison == ">" else value < threshold


def guard_checks(guard: Mapping[str, Any]) -> list[GuardCheck]:
    """The queries a stored guard (the run's ``guard`` JSON) runs on every evaluation."""
    checks: list[GuardCheck] = []
    slo = guard.get("slo")
    if slo:
        service, name = str(slo).split("/", 1)
        labels = f'sloth_service="{service}",sloth_slo="{name}"'
        checks.append(
            GuardCheck(
                f"the page alert of {slo}",
                f'count(ALERTS{{alertstate="firing",sloth_severity="page",{labels}}}) or vector(0)',
                0,
                ">",
                breach_text=f"the page-level burn-rate alert of {slo} is firing",
            )
        )
        checks.append(
            GuardCheck(
                f"the burn rate of {slo}",
                burn_rate_expr(labels),
                float(guard.get("max_burn_rate") or PAGE_BURN_RATE),
                ">",
            )
        )
    expr = guard.get("expr")
    if expr:
        checks.append(
            GuardCheck(
                "the guard expression",
                str(expr),
                float(guard["threshold"]),
                guard.get("comparison") or ">",
            )
        )
    return checks


def burn_rate_expr(labels: str, window: str = "5m") -> str:
    """The highest burn rate over ``window`` of the SLOs matching ``labels`` (PromQL matchers).

    ``5m`` reads Sloth's ``slo:current_burn_rate:ratio``; another window divides that
    window's recorded error ratio by the error budget, as Sloth's alerts do. Flag ramps
    read the 1 h window through this too, so guards and ramps agree on what burning means.
    """
    if window == "5m":
        rate = f"slo:current_burn_rate:ratio{{{labels}}}"
    else:
        rate = (
            f"slo:sli_error:ratio_rate{window}{{{labels}}}"
            " / on(sloth_id, sloth_slo, sloth_service) group_left"
            f" slo:error_budget:ratio{{{labels}}}"
        )
    # No error in the window means no error series at all, so the ratio is empty rather
    # than 0; the SLO's objective series tells the two apart.
    return f"max({rate}) or on() (0 * max(slo:objective:ratio{{{labels}}}))"


def judge(check: GuardCheck, value: float | None) -> Verdict:
    """The decision for one check's value (None: the query gave no data)."""
    if value is None:
        return Verdict(blind=f"{check.what} ({check.expr}) gives no data")
    if not is_breach(value, check.threshold, check.comparison):
        return Verdict()
    side = "above" if check.comparison == ">" else "below"
    plain = f"{check.what} is {value:g}, {side} the threshold {check.threshold:g}"
    reason = check.breach_text or plain
    return Verdict(breached=True, reason=reason, observed=value)


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """A breach anywhere wins over blindness, which wins over all-clear."""
    verdicts = list(verdicts)
    for verdict in verdicts:
        if verdict.breached:
            return verdict
    for verdict in verdicts:
        if verdict.blind:
            return verdict
    return Verdict()


def evaluate(prometheus: PrometheusQuery, guard: Mapping[str, Any]) -> Verdict:
    """Run every check of ``guard`` against Prometheus now."""
    verdicts = []
    for check in guard_checks(guard):
        try:
            verdicts.append(judge(check, prometheus.value(check.expr)))
        except PrometheusError as exc:
            verdicts.append(Verdict(blind=f"{check.what}: {exc}"))
    return combine(verdicts)


def launch_refusal(
    prometheus: PrometheusQuery | None,
    *,
    target: str,
    guard: Mapping[str, Any] | None,
    safety: SafetySettings,
) -> Problem | None:
    """Why a run on ``target`` must not start now, as the 409 to answer; None if it may."""
    if prometheus is None:
        return _without_prometheus(guard, safety, "no Prometheus is configured")
    services = {target}
    if guard and guard.get("slo"):
        services.add(str(guard["slo"]).split("/", 1)[0])
    try:
        for service in sorted(services):
            refusal = _slo_refusal(prometheus, service, safety.error_budget_floor_percent)
            if refusal:
                return refusal
    except PrometheusError as exc:
        return _without_prometheus(guard, safety, str(exc))
    if guard is None:
        return None
    verdict = evaluate(prometheus, guard)
    if verdict.breached:
        return Problem(
            409,
            "guard-breached",
            f"The guard is already breached: {verdict.reason}.",
            observed_value=verdict.observed,
        )
    if verdict.blind:
        return Problem(
            409,
            "guard-blind",
            f"The guard cannot be evaluated: {verdict.blind}; a run needs a guard that can "
            "see its effect.",
        )
    return None


def _without_prometheus(
    guard: Mapping[str, Any] | None, safety: SafetySettings, why: str
) -> Problem | None:
    if guard is not None:
        return Problem(
            409,
            "guard-unavailable",
            f"This run names a guard, but {why}, so the guard cannot be evaluated.",
        )
    if safety.unguarded_without_prometheus:
        return None
    return Problem(
        409,
        "error-budget-unknown",
        f"The error budget cannot be checked because {why}; the safety settings refuse "
        "runs without it.",
    )


def _slo_refusal(prometheus: PrometheusQuery, service: str, floor_percent: float) -> Problem | None:
    firing = prometheus.vector(
        f'ALERTS{{alertstate="firing",sloth_severity="page",sloth_service="{service}"}}'
    )
    if firing:
        slo = f"{service}/{firing[0].labels.get('sloth_slo', '?')}"
        return Problem(
            409,
            "slo-alert-firing",
            f"The page-level burn-rate alert of {slo} is firing; launch when it has resolved.",
            slo=slo,
        )
    remaining = prometheus.vector(
        f'slo:period_error_budget_remaining:ratio{{sloth_service="{service}"}}'
    )
    for sample in sorted(remaining, key=lambda s: s.value):
        percent = sample.value * 100
        if percent < floor_percent:  # NaN compares false: no traffic, no verdict
            slo = f"{service}/{sample.labels.get('sloth_slo', '?')}"
            return Problem(
                409,
                "error-budget-low",
                f"{slo} has {percent:.1f} % of its error budget left, below the floor of "
                f"{floor_percent:g} %.",
                slo=slo,
                remaining_percent=round(percent, 3),
                floor_percent=floor_percent,
            )
    return None
