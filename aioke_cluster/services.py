"""What every request handler needs, built once per app and passed in (no globals)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .auth.passwords import Passwords
from .clock import Clock
from .db import Database
from .metrics import ServerMetrics


@dataclass(frozen=True)
class Settings:
    access_token_seconds: int = 600  # 10 minutes: inside the 5-15 minute band
    refresh_token_seconds: int = 12 * 3600
    step_up_seconds: int = 300
    enrollment_token_seconds: int = 600
    lockout_after_failures: int = 5
    lockout_base_seconds: int = 60
    lockout_max_seconds: int = 3600
    totp_issuer: str = "Aioke"


@dataclass
class Services:
    db: Database
    clock: Clock
    metrics: ServerMetrics
    passwords: Passwords
    settings: Settings = field(default_factory=Settings)
    # Idempotency keys whose first request is still running: a second arrival gets 409.
    in_flight: set[tuple[int, str]] = field(default_factory=set)
    in_flight_lock: threading.Lock = field(default_factory=threading.Lock)
