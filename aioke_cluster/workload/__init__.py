"""The simulated services of the sandbox cluster: their topology, traffic and metrics."""

from .faults import ActiveFault, FaultSource
from .metrics import WorkloadMetrics
from .routes import install_workload
from .simulator import ServiceHealth, Simulator
from .topology import SCHEMA, TOPOLOGY, ServiceSpec, set_desired_instances

__all__ = [
    "SCHEMA",
    "TOPOLOGY",
    "ActiveFault",
    "FaultSource",
    "ServiceHealth",
    "ServiceSpec",
    "Simulator",
    "WorkloadMetrics",
    "install_workload",
    "set_desired_instances",
]
