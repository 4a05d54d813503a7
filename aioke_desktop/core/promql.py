"""PromQL for the golden signals, built from templates a context can edit.

The defaults fit OpenTelemetry's metric names as the sandbox exposes them; a cluster whose
metrics are named otherwise changes the templates in its context, and every chart follows.
Templates use ``$service`` (a regex matching the selected services) and ``$window`` (a range
such as ``5m``); ``$quantile`` appears only in the latency template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from string import Template

TRAFFIC = (
    "sum by (service) (rate(http_server_request_duration_seconds_count"
    '{service=~"$service"}[$window]))'
)
# A service without a single 5xx has no 5xx series at all: "or 0 * traffic" makes that a
# ratio of 0 (a service without traffic stays without a ratio, 0/0), not "No data".
ERROR_RATIO = (
    "(sum by (service) (rate(http_server_request_duration_seconds_count"
    '{service=~"$service", http_response_status_code=~"5.."}[$window]))'
    " or 0 * sum by (service) (rate(http_server_request_duration_seconds_count"
    '{service=~"$service"}[$window])))'
    " / "
    "sum by (service) (rate(http_server_request_duration_seconds_count"
    '{service=~"$service"}[$window]))'
)
LATENCY = (
    "histogram_quantile($quantile, sum by (service, le) "
    '(rate(http_server_request_duration_seconds_bucket{service=~"$service"}[$window])))'
)
SATURATION = 'max by (service, resource) (aioke_saturation_ratio{service=~"$service"})'

LATENCY_QUANTILES = (0.5, 0.95, 0.99)
_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_PLACEHOLDER = re.compile(r"\$(\w+)|\$\{(\w+)\}")
_ALLOWED = {
    "traffic": {"service", "window"},
    "error_ratio": {"service", "window"},
    "latency": {"service", "window", "quantile"},
    "saturation": {"service", "window"},
}


class TemplateError(ValueError):
    """A query template that cannot be used; the message names the template and the fault."""


@dataclass(frozen=True)
class GoldenSignalTemplates:
    """The four golden-signal queries of a context, as editable PromQL templates."""

    traffic: str = TRAFFIC
    error_ratio: str = ERROR_RATIO
    latency: str = LATENCY
    saturation: str = SATURATION

    def check(self) -> None:
        """Raise :class:`TemplateError` for an empty template or an unknown placeholder."""
        for field in fields(self):
            text = getattr(self, field.name)
            if not text.strip():
                raise TemplateError(f"The {field.name} query is empty.")
            used = {a or b for a, b in _PLACEHOLDER.findall(text)}
            unknown = sorted(used - _ALLOWED[field.name])
            if unknown:
                allowed = ", ".join(f"${name}" for name in sorted(_ALLOWED[field.name]))
                raise TemplateError(
                    f"The {field.name} query uses ${unknown[0]}; it may use {allowed}."
                )

    def with_changes(self, **changes: str) -> GoldenSignalTemplates:
        changed = replace(self, **changes)
        changed.check()
        return changed

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def service_regex(services: Iterable[str]) -> str:
    """A PromQL regex matching exactly these services (``.+`` for all of them)."""
    names = sorted(set(services))
    if not names:
        return ".+"
    # Escape regex metacharacters, then backslashes again for the PromQL string literal.
    return "|".join(re.escape(name) for name in names).replace("\\", "\\\\")


def check_window(window: str) -> str:
    if not _DURATION.match(window):
        raise TemplateError(f"{window!r} is not a PromQL duration such as 5m or 1h.")
    return window


@dataclass(frozen=True)
class GoldenSignalQueries:
    """The golden-signal PromQL for a set of services over a rate window.

    Args:
        templates: the context's templates.
        services: the services to show; empty means every service.
        window: the rate window, such as ``5m``.
    """

    templates: GoldenSignalTemplates
    services: tuple[str, ...] = ()
    window: str = "5m"

    def _render(self, template: str, **extra: str) -> str:
        values = {
            "service": service_regex(self.services),
            "window": check_window(self.window),
            **extra,
        }
        return Template(template).safe_substitute(values)

    def traffic(self) -> str:
        """Requests per second by service."""
        return self._render(self.templates.traffic)

    def error_ratio(self) -> str:
        """The share of requests answered with a 5xx, by service (0-1)."""
        return self._render(self.templates.error_ratio)

    def latency(self, quantile: float) -> str:
        """The ``quantile`` (0-1) of request latency in seconds, by service."""
        if not 0 < quantile < 1:
            raise TemplateError(f"A latency quantile lies between 0 and 1, not {quantile}.")
        return self._render(self.templates.latency, quantile=f"{quantile:g}")

    def latencies(self) -> dict[float, str]:
        """p50, p95 and p99."""
        return {q: self.latency(q) for q in LATENCY_QUANTILES}

    def saturation(self) -> str:
        """Saturation (0-1) by service and resource (cpu, memory, queue)."""
        return self._render(self.templates.saturation)


def sloth_window(query: str, window: str) -> str:
    """Fill Sloth's ``{{.window}}`` placeholder in an SLI query with a range such as ``1h``."""
    return re.sub(r"\{\{\s*\.window\s*\}\}", check_window(window), query)


def error_ratio_from_events(error_query: str, total_query: str, window: str) -> str:
    """The SLI error ratio for a window from Sloth-style bad and total event queries."""
    return f"({sloth_window(error_query, window)}) / ({sloth_window(total_query, window)})"
