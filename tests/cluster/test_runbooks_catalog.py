"""Runbook files: the shipped ones load, and a broken one is refused naming file and field."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from aioke_cluster.runbooks import RunbookFileError, load_runbook, load_runbooks
from aioke_cluster.runbooks.catalog import ParamsError
from aioke_cluster.runbooks.params import substitute

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "runbooks"

VALID = """
id: demo
title: Demo
risk: low
parameters:
  type: object
  properties:
    service: {type: string, enum: [payments, checkout]}
    instances: {type: integer, minimum: 1, maximum: 20, default: 3}
  required: [service]
steps:
  - {kind: scale, service: "{{ params.service }}", instances: "{{ params.instances }}"}
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def broken(tmp_path: Path, old: str, new: str) -> RunbookFileError:
    assert old in VALID
    with pytest.raises(RunbookFileError) as caught:
        load_runbook(write(tmp_path, VALID.replace(old, new)))
    return caught.value


def test_every_shipped_runbook_loads_and_fills_in_its_parameters() -> None:
    runbooks = load_runbooks(SHIPPED)
    assert {
        "reset-breaker",
        "disable-flag",
        "stop-chaos-on-service",
        "scale-service",
        "failover-payments",
    } <= set(runbooks)
    assert runbooks["failover-payments"].risk == "high"
    samples: dict[str, Any] = {
        "breaker": "checkout->payments",
        "flag": "new-checkout-flow",
        "service": "payments",
        "instances": 4,
        "reason": "game day over",
    }
    for runbook in runbooks.values():
        wanted = set(runbook.parameters.get("required", []))
        params = runbook.check_params({k: v for k, v in samples.items() if k in wanted})
        assert runbook.resolve(params)


def test_a_whole_field_reference_keeps_the_parameters_type(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, VALID))
    params = runbook.check_params({"service": "payments"})
    assert params == {"service": "payments", "instances": 3}
    [step] = runbook.resolve(params)
    assert step.model_dump(exclude_none=True) == {
        "kind": "scale",
        "service": "payments",
        "instances": 3,
    }


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("risk: low", "risk: medium", "risk"),
        ("title: Demo\n", "", "title"),
        ("id: demo", "id: Demo Runbook", "id"),
        ("kind: scale", "kind: shell", "steps[0].kind"),
        ('instances: "{{ params.instances }}"', "instances: 99", "steps[0].instances"),
        ('instances: "{{ params.instances }}"', "instances: 3, command: ls", "steps[0].command"),
        ('"{{ params.service }}"', '"{{ params.servise }}"', "steps[0]"),
        (
            "{type: integer, minimum: 1, maximum: 20, default: 3}",
            "{type: string}",
            "steps[0].instances",
        ),
        ("type: integer", "type: integr", "parameters.properties.instances.type"),
        ("default: 3", "default: 30", "parameters.properties.instances.default"),
        ("  type: object\n", "  type: array\n", "parameters.type"),
    ],
)
def test_a_broken_file_is_refused_naming_the_file_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    error = broken(tmp_path, old, new)
    assert (error.source, error.field) == ("demo.yaml", field)
    assert str(error).startswith(f"demo.yaml: {field}: ")


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(RunbookFileError) as caught:
        load_runbook(write(tmp_path, "id: demo\nsteps: [\n"))
    assert caught.value.field.startswith("line ")


def test_two_files_with_one_id_are_refused(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "b.yaml")
    with pytest.raises(RunbookFileError, match=r"^b\.yaml: id: demo is already used by a\.yaml"):
        load_runbooks(tmp_path)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "params.service", "this parameter is required"),
        ({"service": "search"}, "params.service", "'search' is not one of"),
        ({"service": "payments", "instances": 0}, "params.instances", "0 is less than"),
        ({"service": "payments", "instances": "3"}, "params.instances", "'3' is not of type"),
        ({"service": "payments", "replicas": 2}, "params.replicas", "no such parameter"),
    ],
)
def test_parameters_are_checked_against_the_schema_naming_the_field(
    tmp_path: Path, params: dict[str, Any], field: str, message: str
) -> None:
    runbook = load_runbook(write(tmp_path, VALID))
    with pytest.raises(ParamsError) as caught:
        runbook.check_params(params)
    first = caught.value.errors[0]
    assert first["field"] == field
    assert message in first["message"]


def test_a_parameter_cannot_change_a_promql_expression_it_is_pasted_into() -> None:
    expr = 'up{service="{{ params.service }}"}'
    assert substitute({"expr": expr}, {"service": "payments"}) == {"expr": 'up{service="payments"}'}
    with pytest.raises(ValueError, match="cannot go into a PromQL expression"):
        substitute({"expr": expr}, {"service": 'x"} or vector(1) #'})
