"""The faults chaos can inject, each with a JSON schema of its parameters.

The schemas are served as they are (``GET /chaos/catalog``) so a client can build its form
from them, and the same schemas validate a launch: what the catalog promises is what the
server checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

# The sandbox's topology; a control plane for another cluster passes its own names.
SANDBOX_SERVICES = (
    "gateway",
    "checkout",
    "payments",
    "inventory",
    "auth",
    "search",
    "recommendations",
)

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class FaultType:
    """One kind of fault: its id, what it does, and the schema of its parameters."""

    id: str
    title: str
    description: str
    params_schema: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "params_schema": self.params_schema,
        }


@dataclass(frozen=True)
class ParamError:
    """One parameter that does not fit the schema; ``field`` is e.g. ``params.latency_ms``."""

    field: str
    message: str


def _object(properties: dict[str, Any], required: Sequence[str]) -> dict[str, Any]:
    return {
        "$schema": _DIALECT,
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _saturation(resource: str) -> dict[str, Any]:
    return _object(
        {
            "saturation": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "description": f"{resource} saturation to hold the target at, 0-1 (1 = exhausted)",
            }
        },
        ["saturation"],
    )


class FaultCatalog:
    """The fault types for a set of services (a partition's peer must be one of them).

    Args:
        services: the services a run may target.
    """

    def __init__(self, services: Iterable[str] = SANDBOX_SERVICES) -> None:
        self.services: tuple[str, ...] = tuple(services)
        self._types = {t.id: t for t in self._build()}
        self._validators = {
            key: Draft202012Validator(t.params_schema) for key, t in self._types.items()
        }

    def _build(self) -> list[FaultType]:
        ms = {"type": "integer", "minimum": 0, "maximum": 60_000}
        return [
            FaultType(
                "latency",
                "Latency injection",
                "Adds latency_ms (± jitter_ms, uniformly) to the target's responses.",
                _object(
                    {
                        "latency_ms": {**ms, "minimum": 1, "description": "Added delay, ms"},
                        "jitter_ms": {**ms, "default": 0, "description": "Random ± spread, ms"},
                    },
                    ["latency_ms"],
                ),
            ),
            FaultType(
                "error",
                "Error injection",
                "Answers rate_percent of the target's requests with the given HTTP status.",
                _object(
                    {
                        "status": {
                            "type": "integer",
                            "minimum": 400,
                            "maximum": 599,
                            "default": 503,
                            "description": "HTTP status of the injected errors",
                        },
                        "rate_percent": {
                            "type": "number",
                            "exclusiveMinimum": 0,
                            "maximum": 100,
                            "description": "Share of affected requests that fail, %",
                        },
                    },
                    ["rate_percent"],
                ),
            ),
            FaultType(
                "cpu",
                "CPU exhaustion",
                "Holds the target's CPU saturation at the given level; responses slow down.",
                _saturation("CPU"),
            ),
            FaultType(
                "memory",
                "Memory exhaustion",
                "Holds the target's memory saturation at the given level; near 1, instances "
                "start failing.",
                _saturation("Memory"),
            ),
            FaultType(
                "partition",
                "Network partition",
                "Cuts the network between the target and its peer: calls either way fail.",
                _object(
                    {
                        "peer": {
                            "type": "string",
                            "enum": list(self.services),
                            "description": "The service on the other side of the partition",
                        }
                    },
                    ["peer"],
                ),
            ),
            FaultType(
                "degradation",
                "Service degradation",
                "Leaves the target capacity_percent of its capacity: queues grow, requests "
                "slow down and, past capacity, get shed.",
                _object(
                    {
                        "capacity_percent": {
                            "type": "number",
                            "minimum": 0,
                            "exclusiveMaximum": 100,
                            "description": "Capacity left, % of normal",
                        }
                    },
                    ["capacity_percent"],
                ),
            ),
        ]

    def all(self) -> list[FaultType]:
        return list(self._types.values())

    def get(self, fault: str) -> FaultType | None:
        return self._types.get(fault)

    def check(
        self, fault: str, target: str, params: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[ParamError]]:
        """Validate ``params`` for ``fault`` on ``target``.

        Returns:
            The parameters with the schema's defaults filled in and integers made ints, and
            the errors, first in the schema's property order; no errors means valid.
        """
        fault_type = self._types[fault]
        validator = self._validators[fault]
        order = list(fault_type.params_schema["properties"])
        errors = [_param_error(e) for e in validator.iter_errors(dict(params))]
        errors.sort(key=lambda e: _position(order, e.field))
        if fault == "partition" and params.get("peer") == target:
            errors.append(ParamError("params.peer", "must be a service other than the target"))
        return (_normalised(fault_type.params_schema, params) if not errors else {}), errors


def _param_error(error: ValidationError) -> ParamError:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [p for p in required if p not in error.instance]
        path.append(missing[0])
        return ParamError(".".join(["params", *path]), "is required")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        known = schema.get("properties", {})
        unknown = sorted(p for p in error.instance if p not in known)
        path.append(unknown[0])
        return ParamError(".".join(["params", *path]), "is not a parameter of this fault")
    return ParamError(".".join(["params", *path]), error.message)


def _position(order: list[str], field: str) -> int:
    name = field.split(".")[1] if "." in field else ""
    return order.index(name) if name in order else len(order)


def _normalised(schema: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    # The workload reads every parameter without defaults of its own, and 5.0 is a valid
    # JSON-schema integer that should still be stored as 5.
    result: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        if name in params:
            value = params[name]
            result[name] = int(value) if spec.get("type") == "integer" else value
        elif "default" in spec:
            result[name] = spec["default"]
    return result


def describe(fault: str, params: Mapping[str, Any]) -> str:
    """What a fault does, in a few words: "+300 ms ± 50 ms latency"."""
    if fault == "latency":
        jitter = params.get("jitter_ms") or 0
        return f"+{params['latency_ms']} ms" + (f" ± {jitter} ms" if jitter else "") + " latency"
    if fault == "error":
        return f"HTTP {params['status']} errors on {params['rate_percent']:g} % of requests"
    if fault in ("cpu", "memory"):
        name = "CPU" if fault == "cpu" else "memory"
        return f"{name} saturation of {params['saturation'] * 100:g} %"
    if fault == "partition":
        return f"a network partition from {params['peer']}"
    if fault == "degradation":
        return f"a cut to {params['capacity_percent']:g} % capacity"
    return fault
