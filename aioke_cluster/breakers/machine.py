"""One circuit breaker: the resilience4j state machine, pure; every method takes ``now``.

The hot path (``try_acquire`` and ``record``, from workload threads at hundreds of calls a
second) is a lock, a few comparisons and an O(1) window update."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"
    FORCED_OPEN = "FORCED_OPEN"
    DISABLED = "DISABLED"


class Command(StrEnum):
    """What an operator can ask of a breaker."""

    FORCE_OPEN = "FORCE_OPEN"
    DISABLE = "DISABLE"
    CLOSE = "CLOSE"
    RESET = "RESET"


@dataclass(frozen=True)
class BreakerConfig:
    """Thresholds of one breaker, named as resilience4j names them (as there, a minimum
    number of calls above the window size acts as the window size)."""

    sliding_window_size: int = 20
    failure_rate_threshold: float = 50.0
    slow_call_rate_threshold: float = 100.0
    slow_call_duration_seconds: float = 1.0
    minimum_number_of_calls: int = 10
    wait_duration_in_open_seconds: float = 30.0
    permitted_calls_in_half_open: int = 3

    def __post_init__(self) -> None:
        counts = (self.sliding_window_size, self.minimum_number_of_calls)
        if min(*counts, self.permitted_calls_in_half_open) < 1:
            raise ValueError("window size, minimum calls and half-open calls must be >= 1")
        for rate in (self.failure_rate_threshold, self.slow_call_rate_threshold):
            if not 0 < rate <= 100:
                raise ValueError("rate thresholds are percentages in (0, 100]")
        if self.slow_call_duration_seconds <= 0 or self.wait_duration_in_open_seconds < 0:
            raise ValueError("slow-call duration must be positive, the wait not negative")


@dataclass(frozen=True)
class Transition:
    """A state change, for history and the event feed; ``actor`` is None when the breaker
    moved by itself."""

    breaker: str
    from_state: BreakerState
    to_state: BreakerState
    reason: str
    time: float
    forced_until: float | None = None
    actor: str | None = None


TransitionListener = Callable[[Transition], None]
_FORCED_BY = {Command.FORCE_OPEN: BreakerState.FORCED_OPEN, Command.DISABLE: BreakerState.DISABLED}

_FAILED, _SLOW = 1, 2  # bits of one call's outcome in the window


class _Window:
    """A count-based sliding window over the last ``size`` outcomes, with running counts."""

    __slots__ = ("_next", "_ring", "calls", "failed", "minimum", "size", "slow")

    def __init__(self, size: int, minimum: int) -> None:
        self.size, self.minimum = size, min(minimum, size)
        self._ring = [0] * size
        self._next = self.calls = self.failed = self.slow = 0

    def add(self, outcome: int) -> None:
        if self.calls == self.size:
            old = self._ring[self._next]
            self.failed -= old & _FAILED
            self.slow -= (old & _SLOW) >> 1
        else:
            self.calls += 1
        self._ring[self._next] = outcome
        self._next = (self._next + 1) % self.size
        self.failed += outcome & _FAILED
        self.slow += (outcome & _SLOW) >> 1

    def rates(self) -> tuple[float | None, float | None]:
        if not self.calls:
            return None, None
        return 100.0 * self.failed / self.calls, 100.0 * self.slow / self.calls

    def breach(self, config: BreakerConfig) -> str | None:
        """Why the window's rates trip the breaker, or None while they are fine (or too few)."""
        if self.calls < self.minimum:
            return None
        failure, slow = 100.0 * self.failed / self.calls, 100.0 * self.slow / self.calls
        if failure >= config.failure_rate_threshold:
            return f"failure rate {failure:.1f}% >= {config.failure_rate_threshold:g}%"
        if slow >= config.slow_call_rate_threshold:
            return f"slow-call rate {slow:.1f}% >= {config.slow_call_rate_threshold:g}%"
        return None


@dataclass(frozen=True)
class BreakerSnapshot:
    """A consistent read of one breaker. The window figures are the trial window while
    HALF_OPEN and the window that tripped it while OPEN."""

    name: str
    state: BreakerState
    config: BreakerConfig
    failure_rate: float | None
    slow_call_rate: float | None
    calls_in_window: int
    successful_calls: int
    failed_calls: int
    slow_calls: int
    rejected_calls: int
    trial_calls_left: int
    changed_at: float
    version: int
    opened_at: float | None
    next_half_open_at: float | None
    forced_until: float | None
    last_transition: Transition | None


class CircuitBreaker:
    """A caller -> callee breaker: CLOSED, OPEN, HALF_OPEN, FORCED_OPEN or DISABLED.

    ``on_transition`` runs under the breaker's lock, so it must be quick and must not call
    back into this breaker (the registry only queues the transition there).
    """

    def __init__(
        self, name: str, config: BreakerConfig, now: float, on_transition: TransitionListener
    ) -> None:
        self.name, self.config = name, config
        self._on_transition = on_transition
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._window = self._closed_window()
        self._changed_at, self._version = now, 0
        self._opened_at: float | None = None
        self._half_open_at = 0.0
        self._forced_until: float | None = None
        self._trials_left = 0
        self._last: Transition | None = None
        self._successful = self._failed = self._slow = self._rejected = 0

    @property
    def state(self) -> BreakerState:  # a lock-free glance; use snapshot() for a consistent read
        return self._state

    def try_acquire(self, now: float) -> bool:
        """May a call go through now? A rejected call counts in ``rejected_calls``."""
        with self._lock:
            self._expire(now)
            state = self._state
            if state is BreakerState.CLOSED or state is BreakerState.DISABLED:
                return True
            if state is BreakerState.OPEN and now >= self._half_open_at:
                state = self._move(BreakerState.HALF_OPEN, now, "wait in OPEN over").to_state
            if state is BreakerState.HALF_OPEN and self._trials_left > 0:
                self._trials_left -= 1
                return True
            self._rejected += 1
            return False

    def record(self, success: bool, duration: float, now: float) -> None:
        """Record the outcome of a call that :meth:`try_acquire` let through."""
        slow = duration >= self.config.slow_call_duration_seconds
        outcome = (0 if success else _FAILED) | (_SLOW if slow else 0)
        with self._lock:
            self._expire(now)
            self._successful += success
            self._failed += not success
            self._slow += slow
            state = self._state
            # Late outcomes (calls admitted before an OPEN or a forced state) and DISABLED
            # calls are counted above but never judged.
            if state is BreakerState.CLOSED:
                self._window.add(outcome)
                why = self._window.breach(self.config)
                if why is not None:
                    self._move(BreakerState.OPEN, now, why)
            elif state is BreakerState.HALF_OPEN:
                self._window.add(outcome)
                if self._window.calls == self._window.size:
                    why = self._window.breach(self.config)
                    if why is None:
                        self._move(BreakerState.CLOSED, now, "trial calls succeeded")
                    else:
                        self._move(BreakerState.OPEN, now, f"trial calls failed: {why}")

    def command(
        self,
        command: Command,
        now: float,
        *,
        reason: str,
        ttl_seconds: float | None = None,
        actor: str | None = None,
    ) -> Transition | None:
        """Apply an operator's command; the transition made, or None when nothing changed.

        FORCE_OPEN and DISABLE hold for ``ttl_seconds`` (a repeat replaces the end); CLOSE
        starts a fresh window (nothing when closed); RESET also zeroes the counters.
        """
        with self._lock:
            self._expire(now)
            target = _FORCED_BY.get(command)
            if target is not None:
                if ttl_seconds is None or ttl_seconds <= 0:
                    raise ValueError(f"{command} needs a positive ttl_seconds")
                return self._move(target, now, reason, forced_until=now + ttl_seconds, actor=actor)
            if command is Command.CLOSE and self._state is BreakerState.CLOSED:
                return None
            if command is Command.RESET:
                self._successful = self._failed = self._slow = self._rejected = 0
            return self._move(BreakerState.CLOSED, now, reason, actor=actor)

    def restore_forced(self, state: BreakerState, forced_until: float, now: float) -> None:
        """Put back a forced state saved before a restart, without recording a transition
        (if it has ended, the next read or call records the revert, dated ``forced_until``)."""
        with self._lock:
            self._state, self._forced_until = state, forced_until
            self._changed_at = now

    def snapshot(self, now: float) -> BreakerSnapshot:
        """Read the breaker; a forced state whose TTL has run out reverts first."""
        with self._lock:
            self._expire(now)
            failure, slow = self._window.rates()
            is_open = self._state is BreakerState.OPEN
            return BreakerSnapshot(
                name=self.name,
                state=self._state,
                config=self.config,
                failure_rate=failure,
                slow_call_rate=slow,
                calls_in_window=self._window.calls,
                successful_calls=self._successful,
                failed_calls=self._failed,
                slow_calls=self._slow,
                rejected_calls=self._rejected,
                trial_calls_left=self._trials_left,
                changed_at=self._changed_at,
                version=self._version,
                opened_at=self._opened_at if is_open else None,
                next_half_open_at=self._half_open_at if is_open else None,
                forced_until=self._forced_until,
                last_transition=self._last,
            )

    # Everything below runs with the lock held.

    def _closed_window(self) -> _Window:
        return _Window(self.config.sliding_window_size, self.config.minimum_number_of_calls)

    def _expire(self, now: float) -> None:
        if self._forced_until is not None and now >= self._forced_until:
            # Dated at the end of the TTL, not at whenever somebody next looked.
            self._move(BreakerState.CLOSED, self._forced_until, "forced state ended at its TTL")

    def _move(
        self,
        to: BreakerState,
        now: float,
        reason: str,
        *,
        forced_until: float | None = None,
        actor: str | None = None,
    ) -> Transition:
        transition = Transition(self.name, self._state, to, reason, now, forced_until, actor)
        self._state, self._forced_until = to, forced_until
        self._changed_at, self._version, self._last = now, self._version + 1, transition
        self._trials_left = 0
        if to is BreakerState.CLOSED:
            self._window = self._closed_window()
            self._opened_at = None
        elif to is BreakerState.OPEN:  # the window that tripped stays visible while OPEN
            self._opened_at = now
            self._half_open_at = now + self.config.wait_duration_in_open_seconds
        elif to is BreakerState.HALF_OPEN:
            trials = self.config.permitted_calls_in_half_open
            self._window, self._trials_left = _Window(trials, trials), trials
        self._on_transition(transition)
        return transition
