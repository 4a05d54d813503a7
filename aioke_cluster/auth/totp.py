"""RFC 6238 codes: 30 s steps, 6 digits, one step of tolerance either side."""

from __future__ import annotations

import hmac

import pyotp

STEP_SECONDS = 30
WINDOW_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def matching_step(secret: str, code: str | None, now: float) -> int | None:
    """The time step whose code ``code`` is, within the window, or None."""
    if not code or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_SECONDS)
    for step in range(current + WINDOW_STEPS, current - WINDOW_STEPS - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
