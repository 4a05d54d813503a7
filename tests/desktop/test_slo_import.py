"""SLOs a context defines itself (Sloth or OpenSLO YAML): the SLO page's last source, used
when the cluster serves none; Sloth's recording rules still win for the SLOs they cover."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from aioke_cluster.resources import runbooks_dir, slos_dir
from aioke_cluster.services import Settings
from aioke_desktop.config.schema import AppConfig, ConfigError, from_document, to_document
from aioke_desktop.core.contexts import Context
from aioke_desktop.core.golden import GoldenPlan, fetch_golden
from aioke_desktop.core.slo_import import SloImportError, parse_slo_yaml, read_slo_files
from aioke_desktop.runtime.session import Connection, Session
from aioke_desktop.ui.pages.slos import source_text
from aioke_desktop.ui.slo_view.fetch import ClusterWithContextSlos, fetch_slos
from harness import Cluster, running_cluster
from sandbox_harness import Sandbox

SEARCH_OPENSLO = """\
apiVersion: openslo/v1
kind: Service
metadata: {name: search}
spec: {description: The search API}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: answers}
spec:
  service: search
  description: Search answers without a 5xx.
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  indicator:
    metadata: {name: search-answers}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: >-
                http_server_request_duration_seconds_count{service="search",
                http_response_status_code!~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'http_server_request_duration_seconds_count{service="search"}'}
  objectives:
    - {displayName: strict, target: 0.999}
    - {displayName: relaxed, target: 0.99}
"""
OPENSLO_IDS = {"search-answers-strict", "search-answers-relaxed"}
CHECKOUT_IDS = {"checkout-requests-availability", "checkout-requests-latency"}
SANDBOX_IDS = {s.id for s in read_slo_files(str(p) for p in sorted(slos_dir().glob("*.yaml")))}


def test_sloth_specs_import_as_the_control_plane_serves_them(cluster: Cluster) -> None:
    served = {s["id"]: s for s in cluster.user("viewer").get("/slos").json()}
    imported = read_slo_files(str(p) for p in sorted(slos_dir().glob("*.yaml")))
    assert {s.id for s in imported} == set(served)  # Sloth's ids: its rules are found
    for slo in imported:
        twin = served[slo.id]
        assert slo.objective_percent == twin["objective"]
        assert slo.period == twin["period"]
        assert slo.error_query == twin["sli"]["events"]["error_query"]
        assert slo.total_query == twin["sli"]["events"]["total_query"]
        assert dict(slo.labels) == twin["labels"]


def test_openslo_good_over_total_gives_one_slo_per_objective() -> None:
    strict, relaxed = parse_slo_yaml(SEARCH_OPENSLO)
    assert (strict.id, relaxed.id) == ("search-answers-strict", "search-answers-relaxed")
    assert (strict.objective_percent, relaxed.objective_percent) == (99.9, 99.0)
    assert strict.period == "28d"
    assert strict.period_seconds == 28 * 86400
    # Bad events are all events minus the good ones, each a rate over the window asked.
    total = 'sum(rate(http_server_request_duration_seconds_count{service="search"}[1h]))'
    assert strict.error_ratio_query("1h") == (
        f"(({total}) - (sum(rate(http_server_request_duration_seconds_count"
        f'{{service="search", http_response_status_code!~"5.."}}[1h])))) / ({total})'
    )


def test_sloths_kubernetes_resource_reads_like_its_plain_spec() -> None:
    plain = (slos_dir() / "checkout.yaml").read_text()
    body = "\n".join("  " + line for line in plain.splitlines())
    resource = (
        "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n"
        f"metadata: {{name: checkout}}\nspec:\n{body}\n"
    )
    assert parse_slo_yaml(resource) == parse_slo_yaml(plain)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("slos: [", r"^team\.yaml is not valid YAML at line 1\.$"),
        ("kind: Dashboard\n", r"neither Sloth .* nor OpenSLO"),
        ("version: prometheus/v1\nservice: x\nslos: []\n", r"defines no SLOs"),
        (
            "version: prometheus/v1\nservice: x\nslos:\n"
            "  - {name: a, objective: 100, sli: {raw: {error_ratio_query: q}}}\n",
            r"^team\.yaml: objective must lie between 0 and 100, not 100\.0\.$",
        ),
        (SEARCH_OPENSLO.replace("type: Prometheus", "type: Datadog", 1), r"Datadog is not PromQL"),
        (SEARCH_OPENSLO.replace("28d", "four weeks"), r"'four weeks' is not a duration"),
        (
            SEARCH_OPENSLO.replace("'http_server_request_duration_seconds_count", "'sum(x"),
            r"needs a \{\{\.window\}\} range",
        ),
    ],
)
def test_a_spec_that_cannot_be_imported_says_why_in_one_sentence(text: str, says: str) -> None:
    with pytest.raises(SloImportError, match=says):
        parse_slo_yaml(text, source="team.yaml")


def test_a_missing_file_and_a_repeated_slo_are_named(tmp_path: Path) -> None:
    with pytest.raises(SloImportError, match=r"Cannot read the SLO file .*gone\.yaml"):
        read_slo_files([str(tmp_path / "gone.yaml")])
    checkout = str(slos_dir() / "checkout.yaml")
    with pytest.raises(SloImportError, match="defines the SLO checkout-requests-"):
        read_slo_files([checkout, checkout])


# Against real parts: a control plane without SLOs, the sandbox's Prometheus and rules -------


@pytest.fixture
def cluster_without_slos(tmp_path: Path) -> Iterator[Cluster]:
    settings = Settings(runbooks_dir=runbooks_dir(), slos_dir=None)
    with running_cluster(tmp_path / "cluster.db", settings=settings) as running:
        yield running


def logged_in(context: Context, name: str, password: str, secret: str) -> Connection:
    connection = Connection.open(context, Session())
    user = connection.cluster.login(name, password, pyotp.TOTP(secret).now())
    connection.username, connection.roles = user.name, user.roles
    return connection


def test_a_cluster_without_slos_uses_the_contexts_files_and_sloths_rules_for_them(
    cluster_without_slos: Cluster, sandbox: Sandbox, tmp_path: Path
) -> None:
    openslo = tmp_path / "search.yaml"
    openslo.write_text(SEARCH_OPENSLO)
    files = (str(slos_dir() / "checkout.yaml"), str(openslo))
    user = cluster_without_slos.new_user("viewer")
    assert user.totp_secret
    context = Context(
        "team", cluster_without_slos.url, sandbox.prometheus_url, user.name, slo_files=files
    )
    connection = logged_in(context, user.name, user.password, user.totp_secret)
    try:
        assert connection.cluster.slos() == []
        now = time.time()
        snapshot = fetch_slos(
            connection, now - 3600, now, min_requests_per_hour=100, selected=None, history=False
        )
        # The Overview draws the same SLOs' thresholds and budgets.
        plan = GoldenPlan.build(context.queries, 900)
        golden = fetch_golden(
            connection.prometheus, plan, now=now, cluster=ClusterWithContextSlos(connection)
        )
    finally:
        connection.close()
    assert snapshot.defined_by == "context"
    assert "this context's SLO files" in source_text(snapshot)
    statuses = {s.slo.id: s for s in snapshot.readings.statuses}
    # The files' SLOs, and the other SLOs Sloth's rules describe in this Prometheus.
    assert set(statuses) == CHECKOUT_IDS | OPENSLO_IDS | SANDBOX_IDS
    assert statuses["checkout-requests-latency"].slo.total_query is not None  # the file's
    assert golden.slos is not None
    assert {s.id for s in golden.slos} == set(statuses)
    # The sandbox's Prometheus records Sloth's series for checkout: they are read first...
    assert all(statuses[i].from_rules for i in CHECKOUT_IDS)
    # ...and the OpenSLO SLOs, which no rule records, are computed from their queries.
    for slo_id in OPENSLO_IDS:
        hour = statuses[slo_id].reading("1h")
        assert not statuses[slo_id].from_rules
        assert hour is not None
        assert hour.requests is not None
        assert hour.requests > 100, hour
        assert math.isfinite(hour.error_ratio), hour
    assert snapshot.detail is not None
    assert snapshot.detail.burn


def test_without_definitions_sloths_rules_describe_the_slos(
    cluster_without_slos: Cluster, sandbox: Sandbox
) -> None:
    user = cluster_without_slos.new_user("viewer")
    assert user.totp_secret
    context = Context("team", cluster_without_slos.url, sandbox.prometheus_url, user.name)
    connection = logged_in(context, user.name, user.password, user.totp_secret)
    try:
        now = time.time()
        snapshot = fetch_slos(
            connection, now - 3600, now, min_requests_per_hour=100, selected=None, history=False
        )
    finally:
        connection.close()
    assert snapshot.defined_by == "rules"
    assert "Sloth's recording rules" in source_text(snapshot)
    served = {s.id: s for s in read_slo_files(str(p) for p in slos_dir().glob("*.yaml"))}
    statuses = {s.slo.id: s for s in snapshot.readings.statuses}
    assert set(statuses) == set(served)
    for slo_id, status in statuses.items():
        assert status.slo.objective_percent == served[slo_id].objective_percent
        assert status.slo.period == "30d"
        assert status.from_rules
        assert status.budget_recorded
        assert math.isfinite(status.budget_remaining), slo_id
        hour = status.reading("1h")
        assert hour is not None
        assert math.isfinite(hour.burn_rate), slo_id
    assert snapshot.detail is not None
    assert snapshot.detail.burn  # the burn chart reads the recorded ratios too


def test_a_cluster_that_serves_slos_is_preferred_to_the_contexts_files(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    openslo = tmp_path / "search.yaml"
    openslo.write_text(SEARCH_OPENSLO)
    user = sandbox.new_user("viewer")
    context = Context(
        "sandbox",
        sandbox.status["control_plane_url"],
        sandbox.prometheus_url,
        user.name,
        slo_files=(str(openslo),),
    )
    connection = logged_in(context, user.name, user.password, user.totp_secret)
    try:
        now = time.time()
        snapshot = fetch_slos(
            connection, now - 3600, now, min_requests_per_hour=100, selected=None, history=False
        )
    finally:
        connection.close()
    assert snapshot.defined_by == "cluster"
    ids = {s.slo.id for s in snapshot.readings.statuses}
    assert ids >= CHECKOUT_IDS
    assert not ids & OPENSLO_IDS


def test_a_contexts_slo_files_are_kept_in_the_settings_file() -> None:
    context = Context("team", "https://cp.example", "https://prom.example", slo_files=("a.yaml",))
    document = to_document(AppConfig((context,)))
    assert document["contexts"]["team"]["slo_files"] == ["a.yaml"]
    assert from_document(document).context("team").slo_files == ("a.yaml",)
    document["contexts"]["team"]["slo_files"] = ["a.yaml", 3]
    with pytest.raises(ConfigError, match=r"slo_files\[1\]"):
        from_document(document)
