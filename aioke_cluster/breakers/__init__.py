"""Circuit breakers on the calls between simulated services, as resilience4j has them."""

from .machine import (
    BreakerConfig,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
    Command,
    Transition,
    TransitionListener,
)
from .registry import SCHEMA, BreakerRegistry, breaker_name

__all__ = [
    "SCHEMA",
    "BreakerConfig",
    "BreakerRegistry",
    "BreakerSnapshot",
    "BreakerState",
    "CircuitBreaker",
    "Command",
    "Transition",
    "TransitionListener",
    "breaker_name",
]
