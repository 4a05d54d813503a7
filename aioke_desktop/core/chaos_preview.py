"""A chaos launch in one sentence, read before it is sent.

"Inject +300 ms ± 50 ms latency into 10 % of checkout's traffic for 5 min; abort if the burn
rate of checkout/availability exceeds 14.4×." The fault phrases follow the control plane's
own run summaries, so the preview and the run's summary in the table say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .chaos import ChaosGuard, ChaosLaunch


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def describe_fault(fault: str, params: Mapping[str, Any]) -> str:
    """What a fault does in a few words ("+300 ms ± 50 ms latency"); "?" for a missing value."""
    value = {k: _number(v) for k, v in params.items()}
    if fault == "latency":
        jitter = params.get("jitter_ms") or 0
        spread = f" ± {_number(jitter)} ms" if jitter else ""
        return f"+{value.get('latency_ms', '?')} ms{spread} latency"
    if fault == "error":
        status = value.get("status", "503")
        return f"HTTP {status} errors on {value.get('rate_percent', '?')} % of requests"
    if fault in ("cpu", "memory"):
        name = "CPU" if fault == "cpu" else "memory"
        saturation = params.get("saturation")
        level = f"{saturation * 100:g} %" if isinstance(saturation, int | float) else "?"
        return f"{name} saturation of {level}"
    if fault == "partition":
        return f"a network partition from {value.get('peer', '?')}"
    if fault == "degradation":
        return f"a cut to {value.get('capacity_percent', '?')} % capacity"
    shown = ", ".join(f"{k}={v}" for k, v in value.items())
    return f"{fault} ({shown})" if shown else fault


def duration_words(seconds: int) -> str:
    """``90`` → "1 min 30 s", ``300`` → "5 min", ``3600`` → "1 h"."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not (hours or minutes) else "")
    return " ".join(p for p in parts if p)


def describe_guard(guard: ChaosGuard | None) -> str:
    """The abort condition: "abort if ..." or "no guard: it stops only at its end or by hand"."""
    if guard is None:
        return "no guard: it stops only at its end or when someone aborts it"
    conditions = []
    if guard.slo:
        burn = f"{guard.max_burn_rate:g}×" if guard.max_burn_rate else "the page threshold"
        conditions.append(f"the burn rate of {guard.slo} exceeds {burn}")
    if guard.expr:
        side = "exceeds" if guard.comparison == ">" else "falls below"
        threshold = "?" if guard.threshold is None else f"{guard.threshold:g}"
        conditions.append(f"the guard query {side} {threshold}")
    return "abort if " + " or ".join(conditions)


def describe_launch(launch: ChaosLaunch) -> str:
    """The whole launch in one sentence."""
    verb = "Rehearse (nothing changes): would inject" if launch.dry_run else "Inject"
    fault = describe_fault(launch.fault, launch.params)
    target = launch.target or "?"
    how_long = (
        duration_words(launch.duration_seconds)
        if launch.duration_seconds > 0
        else "a duration still to choose"
    )
    guard = describe_guard(launch.guard)
    return (
        f"{verb} {fault} into {launch.blast_radius_percent:g} % of {target}'s traffic "
        f"for {how_long}; {guard}."
    )
