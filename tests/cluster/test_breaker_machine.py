"""The breaker state machine, driven with explicit times: every transition, exact trial counts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from aioke_cluster.breakers import BreakerConfig, BreakerState, CircuitBreaker, Command, Transition

CLOSED, OPEN, HALF_OPEN, FORCED_OPEN, DISABLED = BreakerState
T0 = 1_000_000.0
CONFIG = BreakerConfig(
    sliding_window_size=4,
    failure_rate_threshold=50,
    slow_call_rate_threshold=75,
    slow_call_duration_seconds=1.0,
    minimum_number_of_calls=4,
    wait_duration_in_open_seconds=30,
    permitted_calls_in_half_open=3,
)

OK, SLOW = 0.01, 2.0


class Recorder:
    def __init__(self) -> None:
        self.transitions: list[Transition] = []

    def __call__(self, transition: Transition) -> None:
        self.transitions.append(transition)

    def moves(self) -> list[tuple[BreakerState, BreakerState]]:
        return [(t.from_state, t.to_state) for t in self.transitions]


def make(config: BreakerConfig = CONFIG) -> tuple[CircuitBreaker, Recorder]:
    recorder = Recorder()
    return CircuitBreaker("checkout->payments", config, T0, on_transition=recorder), recorder


def call(breaker: CircuitBreaker, now: float, *, success: bool = True, took: float = OK) -> bool:
    if not breaker.try_acquire(now):
        return False
    breaker.record(success, took, now)
    return True


def trip(breaker: CircuitBreaker, now: float = T0) -> None:
    for _ in range(4):
        call(breaker, now, success=False)
    assert breaker.state is OPEN


def test_failures_below_the_minimum_number_of_calls_do_not_trip() -> None:
    breaker, recorder = make()
    for _ in range(3):
        assert call(breaker, T0, success=False)
    snap = breaker.snapshot(T0)
    assert snap.state is CLOSED
    assert (snap.failure_rate, snap.calls_in_window) == (100.0, 3)
    assert recorder.transitions == []


def test_reaching_the_failure_rate_threshold_opens_the_breaker() -> None:
    breaker, recorder = make()
    for success in (True, True, False):
        call(breaker, T0, success=success)
    assert breaker.state is CLOSED
    call(breaker, T0 + 1, success=False)  # 2 of 4 failed: 50% >= 50%
    snap = breaker.snapshot(T0 + 1)
    assert snap.state is OPEN
    assert snap.opened_at == T0 + 1
    assert snap.next_half_open_at == T0 + 31
    assert snap.failure_rate == 50.0
    (transition,) = recorder.transitions
    assert (transition.from_state, transition.to_state, transition.time) == (CLOSED, OPEN, T0 + 1)
    assert "failure rate 50.0%" in transition.reason
    assert transition.actor is None


def test_old_outcomes_slide_out_of_the_window() -> None:
    breaker, _ = make()
    for success in (False, True, True, True, True, True, True):
        call(breaker, T0, success=success)
    call(breaker, T0, success=False)  # window now S S S F: 25%
    snap = breaker.snapshot(T0)
    assert snap.state is CLOSED
    assert (snap.failure_rate, snap.calls_in_window) == (25.0, 4)
    assert (snap.successful_calls, snap.failed_calls) == (6, 2)


def test_slow_successful_calls_open_the_breaker_at_the_slow_call_rate() -> None:
    breaker, recorder = make()
    for duration in (SLOW, SLOW, OK):
        call(breaker, T0, took=duration)
    assert breaker.state is CLOSED
    call(breaker, T0, took=SLOW)  # 3 of 4 slow: 75% >= 75%
    assert breaker.state is OPEN
    assert "slow-call rate 75.0%" in recorder.transitions[-1].reason
    assert breaker.snapshot(T0).slow_call_rate == 75.0


def test_a_minimum_above_the_window_size_acts_as_the_window_size() -> None:
    breaker, _ = make(BreakerConfig(sliding_window_size=2, minimum_number_of_calls=10))
    call(breaker, T0, success=False)
    call(breaker, T0, success=False)
    assert breaker.state is OPEN


def test_open_rejects_until_the_wait_elapses_and_counts_rejections() -> None:
    breaker, _ = make()
    trip(breaker)
    assert not breaker.try_acquire(T0 + 29.999)
    assert not breaker.try_acquire(T0 + 10)
    assert breaker.snapshot(T0 + 29.999).rejected_calls == 2
    assert breaker.state is OPEN  # reading never starts the trial


def test_half_open_admits_exactly_the_permitted_trial_calls() -> None:
    breaker, recorder = make()
    trip(breaker)
    admitted = [breaker.try_acquire(T0 + 30) for _ in range(10)]
    assert admitted == [True] * 3 + [False] * 7
    assert recorder.moves()[-1] == (OPEN, HALF_OPEN)
    assert recorder.transitions[-1].time == T0 + 30
    snap = breaker.snapshot(T0 + 30)
    assert (snap.state, snap.trial_calls_left, snap.rejected_calls) == (HALF_OPEN, 0, 7)


def test_successful_trial_calls_close_the_breaker_with_a_fresh_window() -> None:
    breaker, recorder = make()
    trip(breaker)
    for _ in range(3):
        assert breaker.try_acquire(T0 + 31)
    breaker.record(True, OK, T0 + 31)
    breaker.record(True, OK, T0 + 31)
    assert breaker.state is HALF_OPEN  # judged only once all 3 trials are in
    breaker.record(False, OK, T0 + 32)  # 1 of 3 failed: 33% < 50%
    snap = breaker.snapshot(T0 + 32)
    assert snap.state is CLOSED
    assert (snap.calls_in_window, snap.failure_rate, snap.opened_at) == (0, None, None)
    assert recorder.moves() == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_failing_trial_calls_reopen_the_breaker_for_another_wait() -> None:
    breaker, recorder = make()
    trip(breaker)
    for success in (True, False, False):
        assert call(breaker, T0 + 30, success=success)
    snap = breaker.snapshot(T0 + 30)
    assert snap.state is OPEN
    assert snap.next_half_open_at == T0 + 60
    assert recorder.transitions[-1].reason.startswith("trial calls failed: failure rate 66.7%")
    assert not breaker.try_acquire(T0 + 59)
    assert breaker.try_acquire(T0 + 60)
    assert breaker.state is HALF_OPEN


def test_concurrent_callers_get_exactly_the_permitted_trial_calls() -> None:
    breaker, _ = make(BreakerConfig(minimum_number_of_calls=1, permitted_calls_in_half_open=5))
    call(breaker, T0, success=False)
    start = threading.Barrier(16)

    def caller(_: int) -> list[bool]:
        start.wait()  # all 16 threads race for the trial calls at once
        return [breaker.try_acquire(T0 + 60) for _ in range(50)]

    with ThreadPoolExecutor(16) as pool:
        admitted = [ok for batch in pool.map(caller, range(16)) for ok in batch]
    assert admitted.count(True) == 5
    assert breaker.snapshot(T0 + 60).rejected_calls == 16 * 50 - 5


def test_forced_open_rejects_every_call_until_its_ttl_then_closes() -> None:
    breaker, recorder = make()
    transition = breaker.command(
        Command.FORCE_OPEN, T0, reason="drain payments", ttl_seconds=120, actor="alice"
    )
    assert transition is not None
    assert (transition.to_state, transition.actor) == (FORCED_OPEN, "alice")
    assert transition.forced_until == T0 + 120
    assert not breaker.try_acquire(T0 + 119.9)
    assert breaker.snapshot(T0 + 119.9).forced_until == T0 + 120
    assert breaker.try_acquire(T0 + 500)
    revert = recorder.transitions[-1]
    assert (revert.from_state, revert.to_state) == (FORCED_OPEN, CLOSED)
    assert revert.time == T0 + 120  # dated at the TTL, not when someone next looked
    assert breaker.snapshot(T0 + 500).forced_until is None


def test_forcing_again_replaces_the_end_of_the_forced_state() -> None:
    breaker, _ = make()
    breaker.command(Command.FORCE_OPEN, T0, reason="a", ttl_seconds=60)
    breaker.command(Command.FORCE_OPEN, T0 + 50, reason="longer", ttl_seconds=60)
    assert not breaker.try_acquire(T0 + 100)
    assert breaker.try_acquire(T0 + 110)


def test_disabled_lets_every_call_through_and_never_trips() -> None:
    breaker, recorder = make()
    breaker.command(Command.DISABLE, T0, reason="flaky probe", ttl_seconds=60)
    for _ in range(20):
        assert call(breaker, T0 + 1, success=False)
    snap = breaker.snapshot(T0 + 1)
    assert (snap.state, snap.failed_calls, snap.calls_in_window) == (DISABLED, 20, 0)
    assert breaker.snapshot(T0 + 60).state is CLOSED
    assert recorder.moves() == [(CLOSED, DISABLED), (DISABLED, CLOSED)]


def test_forced_states_need_a_ttl() -> None:
    breaker, recorder = make()
    for command in (Command.FORCE_OPEN, Command.DISABLE):
        with pytest.raises(ValueError, match="ttl_seconds"):
            breaker.command(command, T0, reason="no end")
    assert breaker.state is CLOSED
    assert recorder.transitions == []


def test_close_ends_an_open_breaker_with_a_fresh_window() -> None:
    breaker, recorder = make()
    trip(breaker)
    transition = breaker.command(Command.CLOSE, T0 + 5, reason="fixed", actor="bob")
    assert transition is not None
    assert transition.from_state is OPEN
    snap = breaker.snapshot(T0 + 5)
    assert (snap.state, snap.calls_in_window, snap.failed_calls) == (CLOSED, 0, 4)
    assert breaker.command(Command.CLOSE, T0 + 6, reason="again") is None
    assert len(recorder.transitions) == 2


def test_close_ends_a_forced_state_before_its_ttl() -> None:
    breaker, recorder = make()
    breaker.command(Command.FORCE_OPEN, T0, reason="drill", ttl_seconds=600)
    breaker.command(Command.CLOSE, T0 + 10, reason="drill over")
    assert breaker.try_acquire(T0 + 11)
    assert breaker.snapshot(T0 + 700).forced_until is None
    assert recorder.moves()[-1] == (FORCED_OPEN, CLOSED)
    assert len(recorder.transitions) == 2  # no second revert at the old TTL


def test_reset_clears_window_and_counters_and_is_always_recorded() -> None:
    breaker, recorder = make()
    call(breaker, T0, success=False)
    breaker.try_acquire(T0)
    transition = breaker.command(Command.RESET, T0 + 1, reason="clean slate")
    assert transition is not None
    assert (transition.from_state, transition.to_state) == (CLOSED, CLOSED)
    snap = breaker.snapshot(T0 + 1)
    assert (snap.calls_in_window, snap.failed_calls, snap.rejected_calls) == (0, 0, 0)
    assert len(recorder.transitions) == 1


def test_outcomes_of_calls_admitted_before_the_breaker_opened_change_nothing() -> None:
    breaker, recorder = make()
    assert breaker.try_acquire(T0)  # a long call starts while closed
    trip(breaker)
    breaker.record(True, OK, T0 + 1)  # and ends while open
    snap = breaker.snapshot(T0 + 1)
    assert (snap.state, snap.calls_in_window, snap.successful_calls) == (OPEN, 4, 1)
    assert len(recorder.transitions) == 1


def test_a_restored_forced_state_holds_until_its_end_then_records_the_revert_at_it() -> None:
    breaker, recorder = make()
    breaker.restore_forced(FORCED_OPEN, T0 + 60, T0)
    assert recorder.transitions == []
    assert not breaker.try_acquire(T0 + 59)
    assert breaker.snapshot(T0 + 3600).state is CLOSED
    assert [(t.to_state, t.time) for t in recorder.transitions] == [(CLOSED, T0 + 60)]


def test_only_transitions_make_a_new_version() -> None:
    breaker, _ = make()
    before = breaker.snapshot(T0)
    call(breaker, T0)
    assert breaker.snapshot(T0).version == before.version  # calls alone are not a new version
    trip(breaker, T0 + 1)
    after = breaker.snapshot(T0 + 1)
    assert after.version == before.version + 1
    assert after.changed_at == T0 + 1


@pytest.mark.parametrize(
    "bad",
    [
        {"sliding_window_size": 0},
        {"minimum_number_of_calls": 0},
        {"permitted_calls_in_half_open": 0},
        {"failure_rate_threshold": 0},
        {"slow_call_rate_threshold": 101},
        {"slow_call_duration_seconds": 0},
        {"wait_duration_in_open_seconds": -1},
    ],
)
def test_nonsense_configurations_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each field has its own message
        BreakerConfig(**bad)  # type: ignore[arg-type]
