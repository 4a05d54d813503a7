"""What every request handler needs, built once per app and passed in (no globals)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .auth.passwords import Passwords
from .auth.recent_uses import RecentUses
from .clock import Clock
from .db import Database
from .events import EventBus
from .metrics import ServerMetrics

if TYPE_CHECKING:  # the engine's package imports this module
    from .chaos.engine import ChaosEngine


@dataclass(frozen=True)
class Settings:
    access_token_seconds: int = 600  # 10 minutes: inside the 5-15 minute band
    refresh_token_seconds: int = 12 * 3600
    # A rotated refresh token presented again this soon, its successor unused, is a retry
    # of an answer lost on the way (Auth0's reuse interval), not theft.
    refresh_retry_seconds: int = 30
    step_up_seconds: int = 300
    enrollment_token_seconds: int = 600
    lockout_after_failures: int = 5
    lockout_base_seconds: int = 60
    lockout_max_seconds: int = 3600
    totp_issuer: str = "Aioke"
    # Where runbook YAML files live (the sandbox passes resources/runbooks); None: no runbooks.
    runbooks_dir: Path | None = None
    # Prometheus for chaos guards and runbook checks (the sandbox passes its own); None: none.
    prometheus_url: str | None = None
    # Sloth SLO specs served at /slos (the sandbox passes resources/slos); None: no SLOs.
    slos_dir: Path | None = None
    # The shortest time between a flag ramp's decisions: a 1 h burn rate barely moves faster.
    ramp_min_interval_seconds: float = 60.0


@dataclass
class Services:
    db: Database
    clock: Clock
    metrics: ServerMetrics
    passwords: Passwords
    settings: Settings = field(default_factory=Settings)
    events: EventBus = field(default_factory=EventBus)
    # Idempotency keys whose first request is still running: a second arrival gets 409.
    in_flight: set[tuple[int, str]] = field(default_factory=set)
    in_flight_lock: threading.Lock = field(default_factory=threading.Lock)
    # Access tokens a refresh issued, seen in use within the refresh retry window.
    recent_uses: RecentUses = field(default_factory=RecentUses)
    # Chaos runs' engine, set by chaos.attach(); None on an app built without chaos.
    chaos: ChaosEngine | None = None
