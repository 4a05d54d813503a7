"""Prometheus recording and alerting rules for SLOs, as Sloth generates them.

Names, labels, group names and expressions follow ``sloth generate`` for the
``prometheus/v1`` spec, so the desktop (and any Sloth dashboard) works the same against the
sandbox and against a real cluster whose rules Sloth made.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..slos import (
    BURN_RATE_WINDOWS,
    PERIOD_DAYS,
    SLI_WINDOWS,
    SPEC_VERSION,
    WINDOW_PLACEHOLDER,
    Alert,
    Slo,
)

SLOTH_MODE = "cli-gen-prom"
SLOTH_VERSION = "aioke-sandbox"
PERIOD_WINDOW = f"{PERIOD_DAYS}d"
ALL_SLI_WINDOWS = (*SLI_WINDOWS, PERIOD_WINDOW)


def sli_record(window: str) -> str:
    """The recorded error ratio over ``window``, e.g. ``slo:sli_error:ratio_rate5m``."""
    return f"slo:sli_error:ratio_rate{window}"


def id_labels(slo: Slo) -> dict[str, str]:
    """The three labels that identify an SLO's series."""
    return {"sloth_id": slo.id, "sloth_service": slo.service, "sloth_slo": slo.name}


def sli_labels(slo: Slo, window: str) -> dict[str, str]:
    """Labels of the recorded error ratio over ``window`` (the history writes these too)."""
    return {**slo.labels, **id_labels(slo), "sloth_window": window}


def _selector(slo: Slo) -> str:
    inner = ", ".join(f'{key}="{value}"' for key, value in id_labels(slo).items())
    return "{" + inner + "}"


def _number(value: float) -> str:
    # Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, no trailing ".0".
    return str(int(value)) if value.is_integer() else repr(value)


def _sli_rules(slo: Slo) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for window in SLI_WINDOWS:
        sli = slo.sli
        if sli.error_ratio_query is not None:
            expr = f"({WINDOW_PLACEHOLDER.sub(window, sli.error_ratio_query)})\n"
        else:
            error = WINDOW_PLACEHOLDER.sub(window, sli.error_query or "")
            total = WINDOW_PLACEHOLDER.sub(window, sli.total_query or "")
            expr = f"({error})\n/\n({total})\n"
        rules.append(
            {"record": sli_record(window), "expr": expr, "labels": sli_labels(slo, window)}
        )
    five_minutes = f"{sli_record('5m')}{_selector(slo)}"
    rules.append(
        {
            "record": sli_record(PERIOD_WINDOW),
            "expr": (
                f"sum_over_time({five_minutes}[{PERIOD_WINDOW}])\n"
                "/ ignoring (sloth_window)\n"
                f"count_over_time({five_minutes}[{PERIOD_WINDOW}])\n"
            ),
            # Sloth writes only sloth_window here (the rest is inherited from the 5m series);
            # with the id labels too, two SLOs in one file do not fail promtool's lint.
            "labels": sli_labels(slo, PERIOD_WINDOW),
        }
    )
    return rules


def _meta_rules(slo: Slo) -> list[dict[str, Any]]:
    labels = {**slo.labels, **id_labels(slo)}
    selector = _selector(slo)
    per_budget = "/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
    budget = f"slo:error_budget:ratio{selector}\n"
    objective = _number(slo.objective / 100)  # Sloth's float, e.g. 0.9990000000000001
    info_labels = {
        **labels,
        "sloth_mode": SLOTH_MODE,
        "sloth_objective": _number(slo.objective),
        "sloth_spec": SPEC_VERSION,
        "sloth_version": SLOTH_VERSION,
    }
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({objective})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{objective})", "labels": labels},
        {"record": "slo:time_period:days", "expr": f"vector({PERIOD_DAYS})", "labels": labels},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{sli_record('5m')}{selector}\n{per_budget}{budget}",
            "labels": labels,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"{sli_record(PERIOD_WINDOW)}{selector}\n{per_budget}{budget}",
            "labels": labels,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - slo:period_burn_rate:ratio{selector}",
            "labels": labels,
        },
        {"record": "sloth_slo_info", "expr": "vector(1)", "labels": info_labels},
    ]


def _alert_expr(slo: Slo, severity: str) -> str:
    budget = _number(slo.error_budget_ratio)
    selector = _selector(slo)
    halves = []
    for window in (w for w in BURN_RATE_WINDOWS if w.severity == severity):
        rate = _number(window.burn_rate)
        # Sloth puts the shorter window first in each pair.
        short, long = sorted((window.short_window, window.long_window), key=_seconds)
        halves.append(
            "(\n"
            f"    ({sli_record(short)}{selector} > ({rate} * {budget}))\n"
            "    and ignoring (sloth_window)\n"
            f"    ({sli_record(long)}{selector} > ({rate} * {budget}))\n"
            ")"
        )
    return "\nor ignoring (sloth_window)\n".join(halves) + "\n"


def _seconds(window: str) -> int:
    return int(window[:-1]) * {"m": 60, "h": 3600, "d": 86400}[window[-1]]


def _alert_rules(slo: Slo) -> list[dict[str, Any]]:
    alerting = slo.alerting
    rules: list[dict[str, Any]] = []
    specs: tuple[tuple[str, Alert], ...] = (("page", alerting.page), ("ticket", alerting.ticket))
    for severity, spec in specs:
        if spec.disable:
            continue
        annotations = {
            "title": f"({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} "
            "SLO error budget burn rate is too fast.",
            "summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} "
            "SLO error budget burn rate is over expected.",
            **alerting.annotations,
            **spec.annotations,
        }
        rules.append(
            {
                "alert": alerting.name,
                "expr": _alert_expr(slo, severity),
                "labels": {**alerting.labels, **spec.labels, "sloth_severity": severity},
                "annotations": annotations,
            }
        )
    return rules


def rule_groups(slos: Iterable[Slo]) -> list[dict[str, Any]]:
    """Sloth's three rule groups per SLO: SLI recordings, metadata recordings, alerts."""
    groups: list[dict[str, Any]] = []
    for slo in slos:
        groups.append({"name": f"sloth-slo-sli-recordings-{slo.id}", "rules": _sli_rules(slo)})
        groups.append({"name": f"sloth-slo-meta-recordings-{slo.id}", "rules": _meta_rules(slo)})
        alerts = _alert_rules(slo)
        if alerts:
            groups.append({"name": f"sloth-slo-alerts-{slo.id}", "rules": alerts})
    return groups


class _RulesDumper(yaml.SafeDumper):
    """Writes multi-line expressions as ``|`` blocks, the way Sloth's output reads."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &id001 anchors: every rule reads on its own


def _sorted_labels(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Sloth (Go maps) writes labels and annotations in key order.
    for group in groups:
        for rule in group["rules"]:
            for key in ("labels", "annotations"):
                if key in rule:
                    rule[key] = dict(sorted(rule[key].items()))
    return groups


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RulesDumper.add_representer(str, _text)


def render_rules(slos: Iterable[Slo], *, header: str | None = None) -> str:
    """The rules file text: a "generated" header and the groups as YAML."""
    body = yaml.dump(
        {"groups": _sorted_labels(rule_groups(slos))},
        Dumper=_RulesDumper,
        sort_keys=False,
        width=10_000,
    )
    lead = header or "# Code generated by Aioke from Sloth prometheus/v1 specs. DO NOT EDIT."
    return f"---\n{lead}\n\n{body}"


def write_rules(slos: Iterable[Slo], path: Path) -> Path:
    """Write the rules file (atomically, so a reloading Prometheus never reads half a file)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render_rules(slos), encoding="utf-8")
    tmp.replace(path)
    return path
