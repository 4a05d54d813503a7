"""Runbooks as YAML files in a directory, loaded and checked once at start-up.

A mistake in a file stops the control plane with the file and the field (``steps[2].ttl_seconds``)
named, rather than surfacing as a failed step in the middle of an incident.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import jsonschema
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .params import references, substitute
from .steps import STEP, Step

DEFAULT_TIMEOUT_SECONDS = 300
MAX_TIMEOUT_SECONDS = 3600
RUNBOOK_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"


class RunbookFileError(ValueError):
    """A runbook file that is not valid; ``field`` is the path to the offending value."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: {field}: {problem}")
        self.source = source
        self.field = field
        self.problem = problem


class ParamsError(ValueError):
    """Parameters that do not fit a runbook's schema; ``errors`` name each field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{errors[0]['field']}: {errors[0]['message']}")
        self.errors = errors


class _RunbookFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, StringConstraints(pattern=RUNBOOK_ID)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    risk: Literal["low", "high"]
    timeout_seconds: Annotated[int, Field(ge=1, le=MAX_TIMEOUT_SECONDS)] = DEFAULT_TIMEOUT_SECONDS
    parameters: dict[str, Any] = {"type": "object", "properties": {}}
    steps: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=100)]


@dataclass(frozen=True)
class Runbook:
    """One runbook: its parameters as a JSON schema and its steps with references unfilled."""

    id: str
    title: str
    description: str
    risk: Literal["low", "high"]
    timeout_seconds: int
    parameters: Mapping[str, Any]
    steps: tuple[Mapping[str, Any], ...]
    source: str

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        defaults = {
            name: copy.deepcopy(spec["default"])
            for name, spec in self.parameters.get("properties", {}).items()
            if isinstance(spec, Mapping) and "default" in spec
        }
        return {**defaults, **params}

    def check_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` with defaults filled in; raises :class:`ParamsError` naming each field."""
        filled = self.with_defaults(params)
        validator = jsonschema.Draft202012Validator(self.parameters)
        found = sorted(validator.iter_errors(filled), key=jsonschema.exceptions.relevance)
        if found:
            raise ParamsError([_param_error(e) for e in found])
        return filled

    def resolve(self, params: Mapping[str, Any]) -> list[Step]:
        """The steps with ``params`` filled in, validated (ValueError naming the step field)."""
        resolved = []
        for index, raw in enumerate(self.steps):
            try:
                resolved.append(STEP.validate_python(substitute(raw, params)))
            except ValidationError as exc:
                first = exc.errors()[0]
                raise ValueError(f"{_step_field(index, first)}: {first['msg']}") from None
        return resolved

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "risk": self.risk,
            "timeout_seconds": self.timeout_seconds,
            "parameters": self.parameters,
            "steps": [{"index": i, **step} for i, step in enumerate(self.steps)],
        }


def _param_error(error: jsonschema.ValidationError) -> dict[str, str]:
    path = [str(p) for p in error.absolute_path]
    # A missing or unexpected field is reported on its parent; name the field itself.
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [n for n in required if n not in error.instance]
        path.append(missing[0] if missing else "")
        message = "this parameter is required"
    elif error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = sorted(set(error.instance) - set(known))
        path.append(extra[0] if extra else "")
        message = "this runbook has no such parameter"
    else:
        message = error.message
    return {"field": ".".join(["params", *path]).rstrip("."), "message": message}


def _step_field(index: int, error: Any) -> str:
    # The first entry of a field's location is the kind, which the discriminator chose.
    tag_problem = error["type"] in ("union_tag_invalid", "union_tag_not_found")
    loc = ["kind"] if tag_problem else [str(p) for p in error["loc"][1:]]
    return ".".join([f"steps[{index}]", *loc])


def load_runbook(path: Path) -> Runbook:
    """Read and check one file; raises :class:`RunbookFileError` naming the field."""
    source = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise RunbookFileError(source, where, f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RunbookFileError(source, "(file)", "a runbook file holds one mapping")
    try:
        spec = _RunbookFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        raise RunbookFileError(source, field.lstrip(".") or "(file)", first["msg"]) from None
    parameters = _check_parameters(source, spec.parameters)
    runbook = Runbook(
        id=spec.id,
        title=spec.title,
        description=spec.description.strip(),
        risk=spec.risk,
        timeout_seconds=spec.timeout_seconds,
        parameters=parameters,
        steps=tuple(spec.steps),
        source=source,
    )
    _check_steps(runbook)
    return runbook


def _check_parameters(source: str, schema: dict[str, Any]) -> dict[str, Any]:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        field = ".".join(["parameters", *map(str, exc.absolute_path)])
        raise RunbookFileError(source, field, exc.message) from None
    if schema.get("type") != "object":
        raise RunbookFileError(source, "parameters.type", "the parameters must be an object")
    # A misspelt parameter must be an error, not silently ignored.
    schema = {"additionalProperties": False, **schema}
    for name, spec in schema.get("properties", {}).items():
        if isinstance(spec, Mapping) and "default" in spec:
            problem = jsonschema.Draft202012Validator(spec).iter_errors(spec["default"])
            first = next(problem, None)
            if first is not None:
                field = f"parameters.properties.{name}.default"
                raise RunbookFileError(source, field, first.message)
    return schema


def _sample(spec: Any) -> Any:
    """A value a parameter could take, to check the steps it fills in before any run."""
    if not isinstance(spec, Mapping):
        return "sample"
    for key in ("default", "const"):
        if key in spec:
            return spec[key]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    if kind == "integer":
        return int(spec.get("minimum", 1))
    if kind == "number":
        return float(spec.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return "sample"


def _check_steps(runbook: Runbook) -> None:
    declared = runbook.parameters.get("properties", {})
    for index, raw in enumerate(runbook.steps):
        unknown = sorted(references(raw) - set(declared))
        if unknown:
            raise RunbookFileError(
                runbook.source, f"steps[{index}]", f"refers to undeclared parameter {unknown[0]}"
            )
    samples = {name: _sample(spec) for name, spec in declared.items()}
    try:
        runbook.resolve(samples)
    except ValueError as exc:
        field, _, problem = str(exc).partition(": ")
        raise RunbookFileError(runbook.source, field, problem) from None


def load_runbooks(directory: Path | None) -> dict[str, Runbook]:
    """Every ``*.yaml``/``*.yml`` in ``directory`` by id (none when ``directory`` is None)."""
    if directory is None:
        return {}
    if not directory.is_dir():
        raise RunbookFileError(str(directory), "(directory)", "no such directory")
    runbooks: dict[str, Runbook] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        runbook = load_runbook(path)
        if runbook.id in runbooks:
            other = runbooks[runbook.id].source
            raise RunbookFileError(path.name, "id", f"{runbook.id} is already used by {other}")
        runbooks[runbook.id] = runbook
    return runbooks
