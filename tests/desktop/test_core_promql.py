"""Golden-signal PromQL from editable templates."""

from __future__ import annotations

import pytest

from aioke_desktop.core.promql import (
    GoldenSignalQueries,
    GoldenSignalTemplates,
    TemplateError,
    error_ratio_from_events,
    service_regex,
)


def test_defaults_fit_the_sandbox_opentelemetry_names() -> None:
    queries = GoldenSignalQueries(GoldenSignalTemplates(), ("checkout",), "5m")
    assert queries.traffic() == (
        "sum by (service) (rate(http_server_request_duration_seconds_count"
        '{service=~"checkout"}[5m]))'
    )
    assert queries.error_ratio() == (
        "(sum by (service) (rate(http_server_request_duration_seconds_count"
        '{service=~"checkout", http_response_status_code=~"5.."}[5m]))'
        " or 0 * sum by (service) (rate(http_server_request_duration_seconds_count"
        '{service=~"checkout"}[5m])))'
        " / sum by (service) (rate(http_server_request_duration_seconds_count"
        '{service=~"checkout"}[5m]))'
    )
    assert queries.latency(0.99) == (
        "histogram_quantile(0.99, sum by (service, le) "
        '(rate(http_server_request_duration_seconds_bucket{service=~"checkout"}[5m])))'
    )
    assert set(queries.latencies()) == {0.5, 0.95, 0.99}
    assert queries.saturation() == (
        'max by (service, resource) (aioke_saturation_ratio{service=~"checkout"})'
    )


def test_no_services_means_all_and_names_are_matched_exactly() -> None:
    assert service_regex([]) == ".+"
    assert service_regex(["search", "auth", "auth"]) == "auth|search"
    # A dot in a name matches a dot, not any character (escaped for RE2 inside a string).
    assert service_regex(["api.v2"]) == "api\\\\.v2"


def test_a_cluster_with_other_metric_names_edits_the_template() -> None:
    templates = GoldenSignalTemplates().with_changes(
        traffic='sum by (service) (rate(requests_total{job=~"$service"}[$window]))'
    )
    queries = GoldenSignalQueries(templates, ("web",), "1m")
    assert queries.traffic() == 'sum by (service) (rate(requests_total{job=~"web"}[1m]))'


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"traffic": "  "}, "The traffic query is empty."),
        ({"saturation": "foo{x=~'$services'}"}, "uses $services"),
        ({"traffic": "rate(x[$window]) * $quantile"}, "uses $quantile"),
    ],
)
def test_a_broken_template_is_refused_with_a_reason(
    changes: dict[str, str], complaint: str
) -> None:
    with pytest.raises(TemplateError, match=complaint.replace("$", r"\$")):
        GoldenSignalTemplates().with_changes(**changes)


def test_windows_and_quantiles_are_checked() -> None:
    queries = GoldenSignalQueries(GoldenSignalTemplates(), (), "5 minutes")
    with pytest.raises(TemplateError, match="not a PromQL duration"):
        queries.traffic()
    with pytest.raises(TemplateError, match="between 0 and 1"):
        GoldenSignalQueries(GoldenSignalTemplates()).latency(99)


def test_sloth_sli_queries_get_their_window() -> None:
    expr = error_ratio_from_events(
        'sum(rate(errors_total{service="a"}[{{.window}}]))',
        'sum(rate(requests_total{service="a"}[{{ .window }}]))',
        "1h",
    )
    assert expr == (
        '(sum(rate(errors_total{service="a"}[1h]))) / (sum(rate(requests_total{service="a"}[1h])))'
    )
