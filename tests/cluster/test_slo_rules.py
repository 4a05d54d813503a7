"""SLO specs load as Sloth reads them, and the rules made from them are Sloth's, checked by
the real ``promtool``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aioke_cluster.sandbox.rules import render_rules, write_rules
from aioke_cluster.sandbox.traffic import SERVICES
from aioke_cluster.slos import SloSpecError, load_slos, parse_spec

SLO_DIR = Path(__file__).resolve().parents[2] / "resources" / "slos"

GOOD_SPEC = """
version: "prometheus/v1"
service: "shop"
labels: {owner: "team-a"}
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{ .window }}]))
    alerting:
      name: ShopErrors
      page_alert: {labels: {severity: critical}}
      ticket_alert: {labels: {severity: warning}}
"""


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: apt-get install --no-install-recommends prometheus")
    return path


def spec_with(path: str, value: Any) -> str:
    """GOOD_SPEC with the value at ``path`` (``slos.0.objective``) replaced; None removes it."""
    doc = yaml.safe_load(GOOD_SPEC)
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return yaml.safe_dump(doc)


def rules_by_slo(text: str) -> dict[str, list[dict[str, Any]]]:
    groups = yaml.safe_load(text)["groups"]
    return {group["name"]: group["rules"] for group in groups}


def test_every_sandbox_service_has_an_availability_slo_and_checkout_a_latency_slo() -> None:
    slos = load_slos(SLO_DIR)
    ids = {slo.id for slo in slos}
    assert {f"{service}-requests-availability" for service in SERVICES} <= ids
    assert "checkout-requests-latency" in ids
    for slo in slos:
        assert slo.sli.error_query is not None
        assert f'service="{slo.service}"' in slo.sli.error_query


def test_generated_rules_for_the_shipped_slos_pass_promtool_check_rules(tmp_path: Path) -> None:
    path = write_rules(load_slos(SLO_DIR), tmp_path / "slo-rules.yml")
    result = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_promql_mistake_in_a_spec_is_caught_by_promtool(tmp_path: Path) -> None:
    broken = GOOD_SPEC.replace("sum(rate(http_requests_total[", "sum(rate(http_requests_total[[")
    path = tmp_path / "rules.yml"
    path.write_text(render_rules(parse_spec(broken)))
    result = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_rules_carry_sloths_names_labels_and_windows() -> None:
    groups = rules_by_slo(render_rules(parse_spec(GOOD_SPEC)))
    assert list(groups) == [
        "sloth-slo-sli-recordings-shop-requests-availability",
        "sloth-slo-meta-recordings-shop-requests-availability",
        "sloth-slo-alerts-shop-requests-availability",
    ]
    sli = groups["sloth-slo-sli-recordings-shop-requests-availability"]
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    assert [rule["record"] for rule in sli] == [f"slo:sli_error:ratio_rate{w}" for w in windows]
    for rule, window in zip(sli, windows, strict=True):
        assert rule["labels"]["sloth_window"] == window
        assert rule["labels"]["sloth_id"] == "shop-requests-availability"
        assert rule["labels"]["sloth_service"] == "shop"
        assert rule["labels"]["sloth_slo"] == "requests-availability"
        assert rule["labels"]["owner"] == "team-a"
    assert f"[{windows[2]}]" in sli[2]["expr"]  # {{ .window }} with spaces is filled too
    assert "sum_over_time(slo:sli_error:ratio_rate5m{" in sli[-1]["expr"]

    meta = {r["record"]: r for r in groups["sloth-slo-meta-recordings-shop-requests-availability"]}
    assert list(meta) == [
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
        "sloth_slo_info",
    ]
    # The same floats Sloth prints for 99.9, digit for digit.
    assert meta["slo:objective:ratio"]["expr"] == "vector(0.9990000000000001)"
    assert meta["slo:error_budget:ratio"]["expr"] == "vector(1-0.9990000000000001)"
    assert meta["slo:time_period:days"]["expr"] == "vector(30)"
    assert meta["sloth_slo_info"]["labels"]["sloth_objective"] == "99.9"


def test_alerts_page_and_ticket_on_sloths_multiwindow_multi_burn_rates() -> None:
    groups = rules_by_slo(render_rules(parse_spec(GOOD_SPEC)))
    page, ticket = groups["sloth-slo-alerts-shop-requests-availability"]
    assert page["alert"] == ticket["alert"] == "ShopErrors"
    assert page["labels"] == {"severity": "critical", "sloth_severity": "page"}
    assert ticket["labels"] == {"severity": "warning", "sloth_severity": "ticket"}
    budget = "0.0009999999999999432"  # Sloth's (100 - 99.9) / 100
    for alert, pairs in (
        (page, [("5m", "1h", "14.4"), ("30m", "6h", "6")]),
        (ticket, [("2h", "1d", "3"), ("6h", "3d", "1")]),
    ):
        for short, long, rate in pairs:
            for window in (short, long):
                assert f"slo:sli_error:ratio_rate{window}{{" in alert["expr"]
            assert f"> ({rate} * {budget}))\n    and ignoring (sloth_window)" in alert["expr"]
        assert "\nor ignoring (sloth_window)\n" in alert["expr"]
    assert page["annotations"]["title"].startswith("(page) {{$labels.sloth_service}}")


def test_a_disabled_ticket_alert_is_left_out() -> None:
    spec = spec_with("slos.0.alerting.ticket_alert", {"disable": True})
    page_only = rules_by_slo(render_rules(parse_spec(spec)))
    alerts = page_only["sloth-slo-alerts-shop-requests-availability"]
    assert [a["labels"]["sloth_severity"] for a in alerts] == ["page"]


def test_a_raw_sli_is_recorded_as_given() -> None:
    spec = spec_with("slos.0.sli", {"raw": {"error_ratio_query": "max(my_ratio[{{.window}}])"}})
    sli = rules_by_slo(render_rules(parse_spec(spec)))[
        "sloth-slo-sli-recordings-shop-requests-availability"
    ]
    assert sli[0]["expr"] == "(max(my_ratio[5m]))\n"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("slos.0.objective", 150, "slos[0].objective"),
        ("slos.0.objective", "high", "slos[0].objective"),
        ("slos.0.objetive", 99.0, "slos[0].objetive"),
        ("slos.0.sli.events.error_query", None, "slos[0].sli.events.error_query"),
        ("slos.0.sli.events.total_query", "sum(rate(x[5m]))", "slos[0].sli.events.total_query"),
        ("slos.0.sli", {"plugin": {"id": "x"}}, "slos[0].sli.plugin"),
        ("slos.0.sli", {}, "slos[0].sli"),
        ("slos.0.name", "has space", "slos[0].name"),
        ("slos.0.labels", {"bad-name": "x"}, "slos[0].labels.bad-name"),
        ("slos.0.labels", {"sloth_id": "x"}, "slos[0].labels.sloth_id"),
        ("slos.0.alerting.name", None, "slos[0].alerting.name"),
        ("slos.0.alerting.page_alert.disable", "yes", "slos[0].alerting.page_alert.disable"),
        ("version", "sloth.slok.dev/v1", "version"),
        ("service", "", "service"),
        ("slos", [], "slos"),
    ],
)
def test_spec_mistakes_name_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(SloSpecError) as caught:
        parse_spec(spec_with(path, value), source="shop.yaml")
    assert caught.value.field == field
    assert str(caught.value).startswith(f"shop.yaml: {field}: ")


def test_an_slo_defined_twice_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD_SPEC)
    (tmp_path / "b.yaml").write_text(GOOD_SPEC)
    with pytest.raises(SloSpecError, match=r"b\.yaml: .*also in a\.yaml"):
        load_slos(tmp_path)


def test_the_api_document_shows_objective_budget_and_burn_rate_windows() -> None:
    doc = parse_spec(GOOD_SPEC)[0].to_json()
    assert doc["id"] == "shop-requests-availability"
    assert doc["objective"] == 99.9
    assert doc["period"] == "30d"
    assert doc["sli"]["events"]["error_query"].startswith("sum(rate(http_requests_total")
    page = doc["alerting"]["page_alert"]
    assert page["labels"] == {"severity": "critical"}
    assert {"long": "1h", "short": "5m", "burn_rate": 14.4} in page["windows"]
    assert {"long": "3d", "short": "6h", "burn_rate": 1.0} in doc["alerting"]["ticket_alert"][
        "windows"
    ]
