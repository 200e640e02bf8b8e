"""Truth tables for the round verdict and the confirmation window (fixed datetimes, no clock)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.policy.builders import FAST, T0, at, confirmed, observation, run
from watchdog import codec
from watchdog.model import Action, PairState, Policy, ReasonCode, Signal, SignalSource, State, Verdict
from watchdog.policy import evaluate, production_verdict

U, D, X = Verdict.UP, Verdict.DOWN, Verdict.UNKNOWN


def sig(source: SignalSource, verdict: Verdict) -> Signal:
    return Signal(source, verdict, "test", T0)


P, T, C = SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        ((), X),
        (((P, X),), X),
        (((P, X), (T, X)), X),
        (((P, U),), U),
        (((P, U), (T, X)), U),
        (((P, D),), D),
        (((P, D), (T, X)), D),
        (((P, D), (T, D)), D),
        (((P, D), (T, U)), D),  # the DR task never says UP (controlplane.task_signal): not abnormal
        (((P, U), (T, D)), U),
        (((T, D),), X),
        (((P, X), (T, D)), X),
        (((C, D),), X),
        (((C, D), (P, U)), U),
        (((C, U), (P, D)), D),
        (((SignalSource.DATA_PLANE, D), (P, X)), X),
        (((SignalSource.DATA_PLANE, D), (P, U)), U),  # no reference vouches for the SQL probe
        (((SignalSource.DATA_PLANE, D), (P, U), (SignalSource.DR_DATA_PLANE, U)), X),  # gray failure
        (((SignalSource.DATA_PLANE, D), (P, D)), X),  # a blind watchdog looks the same
        (((SignalSource.DATA_PLANE, D), (P, D), (SignalSource.DR_DATA_PLANE, U)), D),
        (((SignalSource.DATA_PLANE, D), (P, D), (SignalSource.CANARY, U)), D),
        (((SignalSource.DATA_PLANE, U), (P, D)), X),
        (((SignalSource.HEARTBEAT, U), (P, D)), X),
    ],
)
def test_production_verdict_table(
    signals: tuple[tuple[SignalSource, Verdict], ...], expected: Verdict
) -> None:
    """DOWN needs production's own cluster signal DOWN, no SQL answer from production and, where a data
    plane is probed, its DOWN vouched for by a network reference; the DR task's DOWN only corroborates;
    conflict or no evidence is UNKNOWN (the whole matrix: tests/unit/policy/test_signal_matrix.py)."""
    assert production_verdict([sig(s, v) for s, v in signals]) is expected


def test_conflict_is_reported_as_gray_failure() -> None:
    """Production DOWN by its control plane, its SQL endpoint answering: an UNKNOWN round with a
    signals_conflict reason and a gray_failure one."""
    obs = observation(at(0), D, extra=(sig(SignalSource.DATA_PLANE, U),))
    ev = evaluate(obs, PairState(), FAST, at(0))
    assert ev.decision.state is State.UNKNOWN and ev.decision.rule is ReasonCode.SIGNALS_CONFLICT
    assert ReasonCode.GRAY_FAILURE in ev.decision.codes
    assert ev.next_state.consecutive_down == 0


def test_broken_replication_with_production_up_is_healthy_and_resets() -> None:
    """Production AVAILABLE with the DR task abnormal on its side: an UP round (it resets the outage)
    that says dr_replication_broken."""
    down = evaluate(observation(at(0), D), PairState(), FAST, at(0)).next_state
    ev = evaluate(observation(at(10), U, extra=(sig(T, D),)), down, FAST, at(10))
    assert ev.decision.state is State.HEALTHY and ev.decision.verdict is U
    assert ev.decision.codes[:2] == (ReasonCode.PRODUCTION_UP, ReasonCode.DR_REPLICATION_BROKEN)
    assert (ev.next_state.consecutive_down, ev.next_state.first_down_at) == (0, None)
    plain = evaluate(observation(at(10), U), down, FAST, at(10)).decision
    assert ReasonCode.DR_REPLICATION_BROKEN not in plain.codes


def test_a_broken_replication_never_fails_over_a_mostly_available_production() -> None:
    """The review's case: production AVAILABLE in 21 of 25 rounds, the other rounds an unknown status,
    null or missing (UNKNOWN cluster signal), the DR task abnormal on production's side throughout.
    The old verdict made the 4 rounds DOWN and the 21 a conflict (neither counting nor resetting) and
    failed over on round 17; the DR task alone is never evidence, so no round is DOWN, nothing acts.
    (The replication being broken, the last sync stays where it stopped.)"""
    odd = {5, 11, 17, 23}  # the rounds that could not read production's status
    state, decisions = PairState(), []
    for i in range(25):
        obs = observation(at(10.0 * i), X if i in odd else U, extra=(sig(T, D),), last_sync=at(-30))
        ev = evaluate(obs, state, FAST, at(10.0 * i))
        decisions.append(ev.decision)
        state = ev.next_state
    assert all(d.action is Action.NONE for d in decisions)
    assert {d.state for d in decisions} == {State.HEALTHY, State.UNKNOWN}
    assert sum(ReasonCode.DR_REPLICATION_BROKEN in d.codes for d in decisions) == 21
    assert max(d.consecutive_down for d in decisions) == 0


@pytest.mark.parametrize(
    ("sequence", "expected_states"),
    [
        ([U, U], ["healthy", "healthy"]),
        ([D, D, D], ["suspect", "suspect", "failover_warranted"]),
        ([D, D, U, D, D, D], ["suspect", "suspect", "healthy", "suspect", "suspect", "failover_warranted"]),
        ([D, X, D, D], ["suspect", "unknown", "suspect", "failover_warranted"]),
        ([D, D, X, X], ["suspect", "suspect", "unknown", "unknown"]),
        ([X, X, X, X], ["unknown", "unknown", "unknown", "unknown"]),
        ([D, D, D, D], ["suspect", "suspect", "failover_warranted", "failed_over"]),
        ([D, U, D, U, D, U], ["suspect", "healthy"] * 3),
    ],
)
def test_confirmation_sequences(sequence: list[Verdict], expected_states: list[str]) -> None:
    """UP resets the count, UNKNOWN neither counts nor resets nor confirms; the latch holds afterwards."""
    rounds = [(10.0 * i, v) for i, v in enumerate(sequence)]
    states = [ev.decision.state.value for ev in run(rounds)]
    assert states == expected_states


@pytest.mark.parametrize(
    ("threshold", "offsets", "confirms"),
    [
        (3, [0, 10, 20], True),
        (3, [0, 10, 19], False),  # three rounds, but the window is 20 s
        (3, [0, 30], False),  # long enough, too few rounds
        (4, [0, 10, 20], False),
        (1, [20], False),  # one round cannot span 20 s
        (1, [0, 20], True),
    ],
)
def test_window_needs_both_rounds_and_time(threshold: int, offsets: list[float], confirms: bool) -> None:
    """Confirmation needs failure_threshold DOWN rounds AND min_outage_seconds since the first DOWN."""
    policy = replace(FAST, failure_threshold=threshold)
    last = run([(o, D) for o in offsets], policy)[-1].decision
    assert (last.action is Action.FAILOVER) is confirms
    assert last.state is (State.FAILOVER_WARRANTED if confirms else State.SUSPECT)


def test_confirming_reason_carries_numbers() -> None:
    """A suspect round says how many rounds and seconds are seen and needed."""
    d = run([(0, D), (10, D)])[-1].decision
    r = d.reason(ReasonCode.CONFIRMING)
    assert r is not None
    assert dict(r.values) == {
        "consecutive_down": 2.0,
        "failure_threshold": 3.0,
        "outage_seconds": 10.0,
        "min_outage_seconds": 20.0,
    }


def test_unknown_round_keeps_first_down_time() -> None:
    """An UNKNOWN round in an outage leaves the count and the outage start as they were."""
    evs = run([(0, D), (10, X)])
    assert evs[1].next_state.consecutive_down == 1
    assert evs[1].next_state.first_down_at == at(0)
    assert evs[1].decision.state is State.UNKNOWN


def test_degraded_is_reported_not_down() -> None:
    """sub_status DEGRADED on an AVAILABLE production is healthy with a degraded reason."""
    d = run([(0, U)], sub_status=("DEGRADED", "UNBALANCED"))[0].decision
    assert d.state is State.HEALTHY
    assert ReasonCode.DEGRADED in d.codes


def test_failover_decision_latches_and_starts_cooldown() -> None:
    """The FAILOVER decision's next state is latched with the cooldown running from now."""
    ev = confirmed()
    assert ev.decision.action is Action.FAILOVER
    assert ev.next_state.latched and ev.next_state.latched_at == at(20)
    assert ev.next_state.cooldown_until == at(20 + FAST.cooldown_seconds)


def test_sync_after_first_down_restarts_the_outage() -> None:
    """A DOWN round whose last sync is newer than the first DOWN restarts the count: production lived then."""
    first = run([(0, D)], last_sync=at(-30))[0]
    again = evaluate(observation(at(3600), D, last_sync=at(1800)), first.next_state, FAST, at(3600))
    assert (again.next_state.consecutive_down, again.next_state.first_down_at) == (1, at(3600))
    assert again.decision.expected_data_loss_seconds == 1800.0


@pytest.mark.parametrize(
    ("rounds", "count", "first_down", "restarted"),
    [
        ([(0, D), (10, X), (20, X), (30, D)], 2, 0, False),  # a short blind spell: one outage
        ([(0, D), (10, X), (400, D)], 1, 400, True),  # 400 s unseen > 300 s: counted afresh
        ([(0, D), (301, D)], 1, 301, True),  # no round at all for 301 s (a stalled daemon) counts too
        ([(0, D), (300, D)], 2, 0, False),  # exactly the limit still counts as one outage
        ([(0, D), (10, U), (400, D)], 1, 400, False),  # an UP round reset it anyway: no restart reason
    ],
)
def test_a_long_gap_between_down_rounds_restarts_the_confirmation(
    rounds: list[tuple[float, Verdict]], count: int, first_down: float, restarted: bool
) -> None:
    """A DOWN round more than max_down_gap_seconds after the previous DOWN round starts the count again."""
    policy = replace(FAST, failure_threshold=2, min_outage_seconds=0, max_down_gap_seconds=300)
    last = run(rounds, policy, last_sync=at(-60))[-1]
    assert last.next_state.consecutive_down == count
    assert last.next_state.first_down_at == at(first_down)
    assert (ReasonCode.OUTAGE_RESTARTED in last.decision.codes) is restarted
    assert (last.decision.action is Action.FAILOVER) is (count >= 2)


def test_the_gap_rule_never_closes_the_window_on_old_evidence() -> None:
    """Threshold met only by counting rounds an hour apart: no failover, the reason carries the numbers."""
    policy = replace(FAST, failure_threshold=3, min_outage_seconds=20)
    evs = run([(0, D), (10, D), (20, X), (3620, D)], policy, last_sync=at(-60))
    d = evs[-1].decision
    assert d.state is State.SUSPECT and d.action is Action.NONE
    gap = d.reason(ReasonCode.OUTAGE_RESTARTED)
    assert gap is not None and gap.values == {"gap_seconds": 3610.0, "max_down_gap_seconds": 300.0}


def test_journals_from_before_the_gap_rule_replay_without_it() -> None:
    """A recorded policy without max_down_gap_seconds decodes as no limit: old decisions replay exactly."""
    data = codec.policy_to_dict(FAST)
    del data["max_down_gap_seconds"]
    old = codec.policy_from_dict(data)
    assert old.max_down_gap_seconds is None
    evs = run([(0, D), (10, X), (4000, D), (4010, D)], old, last_sync=at(-60))
    assert evs[-1].next_state.consecutive_down == 3


def _walk(steps: list[float], policy: Policy, last_sync: float | None = None) -> list[tuple[float, Action]]:
    """DOWN rounds `policy.probe_interval_seconds` apart in real time; `steps` adds a wall-clock step
    before each round (seconds, negative = back). The last sync is at wall time `last_sync`, or 60 s
    before each round on the stepped clock (None). Returns (real seconds, action) per round."""
    state, wall, out = PairState(), 0.0, []
    for i, step in enumerate(steps):
        wall += step + (policy.probe_interval_seconds if i else 0.0)
        sync = at(last_sync) if last_sync is not None else None
        ev = evaluate(observation(at(wall), D, last_sync=sync), state, policy, at(wall))
        out.append((i * policy.probe_interval_seconds, ev.decision.action))
        state = ev.next_state
    return out


def _fails_over_at(rounds: list[tuple[float, Action]]) -> float | None:
    return next((t for t, action in rounds if action is Action.FAILOVER), None)


STEADY = replace(FAST, failure_threshold=4, min_outage_seconds=60, probe_interval_seconds=15)


def test_a_backward_clock_step_does_not_stretch_the_window() -> None:
    """A 200 s step back mid-outage (the sync stays within the skew): the failover comes one interval
    later (that step counts 0 s), not 200 s later (now - first_down_at went negative)."""
    assert _fails_over_at(_walk([0.0] * 10, STEADY, last_sync=-30)) == 60.0
    assert _fails_over_at(_walk([0.0, 0.0, -200.0] + [0.0] * 30, STEADY, last_sync=-30)) == 75.0


def test_an_hour_step_back_delays_by_one_interval_not_an_hour() -> None:
    """The review's numbers: a 1 h step back turned 60 s into 3,660 s; now 75 s. (Sync times in the
    stepped clock's frame, so they stay plausible; the data loss limit allows the hour they span.)"""
    policy = replace(STEADY, max_data_loss_seconds=7200)
    assert _fails_over_at(_walk([0.0, 0.0, -3600.0] + [0.0] * 300, policy)) == 75.0


def test_a_forward_clock_step_shortens_the_window_by_at_most_one_interval() -> None:
    """A 250 s step forward (under max_down_gap) counts as two intervals, not 250 s: the window
    closes at most one interval early; the failure_threshold count still applies in full."""
    policy = replace(STEADY, failure_threshold=2)
    assert _fails_over_at(_walk([0.0] * 10, policy, last_sync=-30)) == 60.0
    assert _fails_over_at(_walk([0.0, 250.0] + [0.0] * 10, policy, last_sync=-30)) == 45.0
    assert _fails_over_at(_walk([0.0, 250.0] + [0.0] * 10, STEADY, last_sync=-30)) == 45.0  # 4 rounds


def test_outage_duration_is_accumulated_and_restored_from_old_states() -> None:
    """The state carries the seen duration; a state recorded before it existed derives it from its
    first and last DOWN rounds (what was measured then), so journals written before still load."""
    evs = run([(0, D), (10, D)])
    assert evs[-1].next_state.outage_seconds == 10.0
    data = codec.pair_state_to_dict(evs[-1].next_state)
    assert codec.pair_state_from_dict(data) == evs[-1].next_state
    del data["outage_seconds"]
    assert codec.pair_state_from_dict(data).outage_seconds == 10.0
    assert run([(0, D), (10, D), (20, U)])[-1].next_state.outage_seconds == 0.0


AGED = replace(FAST, max_observation_age_seconds=25)
OPEN_OUTAGE = PairState(consecutive_down=5, first_down_at=at(-100), last_down_at=at(-10), outage_seconds=90)


@pytest.mark.parametrize(("age", "acts"), [(0, True), (25, True), (26, False), (1200, False)])
def test_a_stale_observation_never_counts_nor_acts(age: float, acts: bool) -> None:
    """An observation older than max_observation_age_seconds at decision time is UNKNOWN with
    observation_stale: it neither counts, resets nor acts (a process frozen after its last DOWN probe
    used to wake up and fail over on a 20-minute-old snapshot)."""
    ev = evaluate(observation(at(0), D, last_sync=at(-130)), OPEN_OUTAGE, AGED, at(age))
    d = ev.decision
    if acts:
        assert d.action is Action.FAILOVER
        return
    assert (d.state, d.action, d.rule, d.verdict) == (
        State.UNKNOWN,
        Action.NONE,
        ReasonCode.OBSERVATION_STALE,
        X,
    )
    reason = d.reason(ReasonCode.OBSERVATION_STALE)
    assert reason is not None and reason.values == {
        "observation_age_seconds": age,
        "max_observation_age_seconds": 25,
    }
    assert ev.next_state == OPEN_OUTAGE
    unbounded = evaluate(observation(at(0), D, last_sync=at(-130)), OPEN_OUTAGE, FAST, at(age)).decision
    assert unbounded.action is Action.FAILOVER  # None (journals from before the bound): no bound


def test_a_late_round_is_discarded_and_the_frozen_time_does_not_count() -> None:
    """A round that started far later than scheduled (the process frozen 190 s) is UNKNOWN with
    round_late; the next DOWN round adds at most two intervals for the frozen span, so the freeze
    does not fill min_outage_seconds (it used to: 210 s of 'outage' after two rounds)."""
    policy = replace(FAST, failure_threshold=2, min_outage_seconds=60)
    state = PairState()
    for offset in (0.0, 10.0):
        state = evaluate(observation(at(offset), D, last_sync=at(-30)), state, policy, at(offset)).next_state
    late = replace(observation(at(210), D, last_sync=at(-30)), late_seconds=190.0)
    ev = evaluate(late, state, policy, at(210))
    assert (ev.decision.state, ev.decision.rule, ev.decision.verdict) == (
        State.UNKNOWN,
        ReasonCode.ROUND_LATE,
        X,
    )
    assert ev.next_state == state
    after = evaluate(observation(at(220), D, last_sync=at(-30)), ev.next_state, policy, at(220))
    assert after.decision.state is State.SUSPECT and after.next_state.outage_seconds == 30.0
