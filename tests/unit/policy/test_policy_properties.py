"""Hypothesis invariants of the pure policy over random timelines (fixed datetimes, no clock)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.policy.builders import FAST, T0, observation
from watchdog.model import (
    Action,
    Decision,
    IntentStatus,
    Mode,
    PairState,
    Policy,
    ReasonCode,
    Signal,
    SignalSource,
    State,
    Verdict,
)
from watchdog.policy import evaluate, evaluate_manual, production_verdict


@dataclass(frozen=True)
class Round:
    gap: float  # seconds since the previous round
    verdict: Verdict  # production's own cluster signal
    sync_age: float  # seconds between the last sync and this round
    dr_healthy: bool
    ack: bool  # an operator acks before this round
    task: Verdict = Verdict.UNKNOWN  # the DR task signal: DOWN (abnormal on production's side) or nothing
    delay: float = 0.0  # seconds between the observation and its decision (a frozen process)


AGE_BOUND = 25.0
rounds = st.builds(
    Round,
    gap=st.floats(1, 120),
    verdict=st.sampled_from(list(Verdict)),
    sync_age=st.sampled_from([5.0, 60.0, 300.0, 900.0, 5000.0]),
    dr_healthy=st.booleans(),
    ack=st.just(False),
    task=st.sampled_from([Verdict.UNKNOWN, Verdict.DOWN]),
    delay=st.sampled_from([0.0, 0.0, 0.0, 5.0, AGE_BOUND, AGE_BOUND + 1, 1200.0]),
)
timelines = st.lists(rounds, min_size=1, max_size=40)
policies = st.builds(
    lambda thr, win, loss, cool, mode, gap, age: replace(
        FAST,
        failure_threshold=thr,
        min_outage_seconds=win,
        max_data_loss_seconds=loss,
        cooldown_seconds=cool,
        mode=mode,
        max_down_gap_seconds=gap,
        max_observation_age_seconds=age,
    ),
    st.integers(1, 5),
    st.sampled_from([0.0, 15.0, 60.0, 200.0]),
    st.sampled_from([100.0, 600.0, 3600.0]),
    st.sampled_from([0.0, 300.0, 3600.0]),
    st.sampled_from([Mode.AUTO, Mode.AUTO, Mode.RECOMMEND, Mode.OBSERVE]),
    st.sampled_from([None, 60.0, 150.0, 300.0]),
    st.sampled_from([None, AGE_BOUND]),
)


def replay(
    timeline: list[Round], policy: Policy, acks: bool = False
) -> list[tuple[Round, datetime, Decision]]:
    """Run the timeline: (round, its observation time, its decision made `delay` later); with
    `acks`, an operator acks (clears the latch) where the round says so."""
    state, seen, out = PairState(), T0, []
    for r in timeline:
        seen += timedelta(seconds=r.gap)
        if acks and r.ack:
            state = replace(state, latched=False)
        obs = observation(
            seen,
            r.verdict,
            last_sync=seen - timedelta(seconds=r.sync_age),
            dr_status="AVAILABLE" if r.dr_healthy else "FAILED",
            extra=(Signal(SignalSource.DR_TASK, r.task, "task", seen),),
        )
        ev = evaluate(obs, state, policy, seen + timedelta(seconds=r.delay))
        out.append((r, seen, ev.decision))
        state = ev.next_state
    return out


def stale(r: Round, policy: Policy) -> bool:
    bound = policy.max_observation_age_seconds
    return bound is not None and r.delay > bound


@settings(max_examples=300, deadline=None)
@given(timelines, policies)
def test_never_failover_unless_the_latest_verdict_is_down(timeline: list[Round], policy: Policy) -> None:
    """A FAILOVER decision is only ever made on a round whose own verdict is DOWN."""
    for r, _, d in replay(timeline, policy):
        if d.action is Action.FAILOVER:
            assert r.verdict is Verdict.DOWN and d.verdict is Verdict.DOWN


@settings(max_examples=300, deadline=None)
@given(timelines, policies)
def test_never_failover_above_the_data_loss_limit(timeline: list[Round], policy: Policy) -> None:
    """Every FAILOVER has a known expected data loss within max_data_loss_seconds."""
    for _, _, d in replay(timeline, policy):
        if d.action is Action.FAILOVER:
            assert d.expected_data_loss_seconds is not None
            assert d.expected_data_loss_seconds <= policy.max_data_loss_seconds


@settings(max_examples=300, deadline=None)
@given(timelines, policies)
def test_never_failover_on_an_observation_older_than_the_bound(timeline: list[Round], policy: Policy) -> None:
    """No FAILOVER is ever decided on an observation older than max_observation_age_seconds at the
    time of the decision; a stale round's decision says observation_stale."""
    for _, seen, d in replay(timeline, policy):
        bound = policy.max_observation_age_seconds
        if bound is not None and (d.at - seen).total_seconds() > bound:
            assert d.action is not Action.FAILOVER and d.verdict is Verdict.UNKNOWN
            assert ReasonCode.OBSERVATION_STALE in d.codes


@settings(max_examples=300, deadline=None)
@given(timelines, policies)
def test_never_failover_when_the_own_cluster_signal_is_not_down_in_a_timeline(
    timeline: list[Round], policy: Policy
) -> None:
    """Over whole timelines, with the DR task abnormal on production's side in any rounds, every
    FAILOVER is on a round whose production-cluster signal is DOWN (the DR task alone never is)."""
    for r, _, d in replay(timeline, policy):
        if d.action is Action.FAILOVER:
            assert r.verdict is Verdict.DOWN


acked_rounds = st.builds(
    Round,
    gap=st.floats(1, 600),
    verdict=st.sampled_from([Verdict.DOWN, Verdict.DOWN, Verdict.UP, Verdict.UNKNOWN]),
    sync_age=st.just(5.0),
    dr_healthy=st.just(True),
    ack=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(acked_rounds, min_size=1, max_size=60), policies)
def test_never_twice_per_outage_nor_inside_the_cooldown(timeline: list[Round], policy: Policy) -> None:
    """Without an ack at most one FAILOVER ever; with acks, two are never closer than the cooldown."""
    no_ack = [d for _, _, d in replay(timeline, policy) if d.action is Action.FAILOVER]
    assert len(no_ack) <= 1
    times = [d.at for _, _, d in replay(timeline, policy, acks=True) if d.action is Action.FAILOVER]
    for earlier, later in itertools.pairwise(times):
        assert (later - earlier).total_seconds() >= policy.cooldown_seconds


@settings(max_examples=400, deadline=None)
@given(timelines, policies)
def test_failover_exactly_when_the_window_closes(timeline: list[Round], policy: Policy) -> None:
    """A reference model of the rules agrees round by round on when FAILOVER is decided: the outage's
    duration is the sum of the steps between its DOWN rounds, each at most two probe intervals; a
    stale observation counts as unknown; the DR task's signal changes nothing."""
    count, first_down, last_down, latched, seen = 0, None, None, False, 0.0
    limit, cap = policy.max_down_gap_seconds, 2 * policy.probe_interval_seconds
    for r, now, d in replay(timeline, policy):
        verdict = Verdict.UNKNOWN if stale(r, policy) else r.verdict  # stale evidence is discarded
        if verdict is Verdict.UP:
            count, first_down, last_down, seen = 0, None, None, 0.0
        elif verdict is Verdict.DOWN:
            synced_since = first_down is not None and now - timedelta(seconds=r.sync_age) > first_down
            step = (now - last_down).total_seconds() if first_down and last_down else 0.0
            unseen = limit is not None and step > limit
            restart = synced_since or unseen
            count, first_down = (1, now) if restart else (count + 1, first_down or now)
            seen = 0.0 if restart else seen + min(step, cap)
            last_down = now
        window_closed = (
            verdict is Verdict.DOWN
            and count >= policy.failure_threshold
            and first_down is not None
            and seen >= policy.min_outage_seconds
        )
        loss_ok = first_down is not None and (
            (first_down - (now - timedelta(seconds=r.sync_age))).total_seconds()
            <= policy.max_data_loss_seconds
        )
        expected = window_closed and loss_ok and r.dr_healthy and not latched and policy.mode is Mode.AUTO
        assert (d.action is Action.FAILOVER) is expected, (r, d.reasons)
        latched = latched or expected


signal_sets = st.lists(
    st.tuples(st.sampled_from(list(SignalSource)), st.sampled_from(list(Verdict)), st.booleans()), max_size=7
)
S = SignalSource


def quorum_says_down(found: list[tuple[SignalSource, Verdict, bool]]) -> bool:
    """The quorum restated from docs/decisions.md's rules (not from the code's table): production's
    control plane DOWN; no SQL answer from production (data plane or heartbeat UP); the watchdog not
    isolated (some reference answered: the DR side's API read, the DR SQL endpoint or a canary UP,
    when any reference is there at all); and a configured data plane DOWN with a network reference
    UP. A source whose signals disagree says UNKNOWN, but for the heartbeat: any heartbeat read UP is
    a row written on production. A signal with an error is an unread UNKNOWN."""
    seen: dict[SignalSource, set[Verdict]] = {}
    read: set[SignalSource] = set()
    for src, v, error in found:
        seen.setdefault(src, set()).add(Verdict.UNKNOWN if error else v)
        read |= set() if error else {src}
    one = {src: next(iter(vs)) if len(vs) == 1 else Verdict.UNKNOWN for src, vs in seen.items()}
    if Verdict.UP in seen.get(S.HEARTBEAT, set()):
        one[S.HEARTBEAT] = Verdict.UP
    net_ref = Verdict.UP in (one.get(S.DR_DATA_PLANE), one.get(S.CANARY))
    references = {S.DR_TASK, S.DR_CLUSTER, S.DR_DATA_PLANE, S.CANARY} & set(one)
    if references and not (net_ref or {S.DR_TASK, S.DR_CLUSTER} & read):
        return False
    if one.get(S.PRODUCTION_CLUSTER) is not Verdict.DOWN or Verdict.UP in (
        one.get(S.DATA_PLANE),
        one.get(S.HEARTBEAT),
    ):
        return False
    return S.DATA_PLANE not in one or (one[S.DATA_PLANE] is Verdict.DOWN and net_ref)


@settings(max_examples=500, deadline=None)
@given(signal_sets)
def test_failover_only_on_down_evidence_the_quorum_accepts(
    found: list[tuple[SignalSource, Verdict, bool]],
) -> None:
    """With the window closing and every guard passing, any mix of signals (every source, any verdict,
    read or not, repeated) fails over exactly when the quorum says production is DOWN: never on the
    DR task alone, never while production's SQL endpoint or heartbeat answers, never while the
    watchdog is isolated, never on a data plane DOWN that no reference can vouch for."""
    now = T0 + timedelta(seconds=1000)
    state = PairState(
        consecutive_down=5, first_down_at=T0, last_down_at=now - timedelta(seconds=10), outage_seconds=990
    )
    obs = observation(now, Verdict.DOWN, last_sync=T0 - timedelta(seconds=5))
    signals = tuple(
        Signal(src, Verdict.UNKNOWN if error else v, "generated", now, error="unread" if error else None)
        for src, v, error in found
    )
    decision = evaluate(replace(obs, signals=signals), state, FAST, now).decision
    assert (decision.action is Action.FAILOVER) is quorum_says_down(found), decision.reasons


@settings(max_examples=300, deadline=None)
@given(signal_sets, st.booleans())
def test_manual_failover_only_on_a_down_round_unless_forced(
    found: list[tuple[SignalSource, Verdict, bool]], force: bool
) -> None:
    """A manual failover with every guard passing goes through, unforced, exactly when this round's
    verdict is DOWN (a healthy or unseen production is refused, `production_not_down`); forced, always."""
    now = T0 + timedelta(seconds=1000)
    obs = observation(now, Verdict.DOWN, last_sync=now - timedelta(seconds=5))
    obs = replace(obs, signals=tuple(Signal(src, v, "generated", now) for src, v, _ in found))
    down = production_verdict(obs.signals) is Verdict.DOWN
    decision = evaluate_manual(obs, PairState(), FAST, now, force=force).decision
    assert (decision.action is Action.FAILOVER) is (down or force), decision.reasons
    assert (ReasonCode.PRODUCTION_NOT_DOWN in decision.codes) is not down


@settings(max_examples=200, deadline=None)
@given(
    timelines,
    policies,
    st.sampled_from([IntentStatus.FAILED, IntentStatus.COMPLETED, None]),
    st.one_of(st.none(), st.text(max_size=40)),
)
def test_a_latched_pair_reads_failover_failed_exactly_when_its_newest_intent_failed(
    timeline: list[Round], policy: Policy, last: IntentStatus | None, detail: str | None
) -> None:
    """Latched, whatever the rounds show: failover_failed (its reason naming the error and the ack)
    exactly when the newest intent ended failed, else failed_over; never an action either way."""
    state = PairState(latched=True, latched_at=T0, last_intent_status=last, last_intent_detail=detail)
    now = T0
    for r in timeline:
        now += timedelta(seconds=r.gap)
        obs = observation(now, r.verdict, last_sync=now - timedelta(seconds=r.sync_age))
        ev = evaluate(obs, state, policy, now)
        d = ev.decision
        assert d.action is Action.NONE and ev.next_state.latched
        if last is IntentStatus.FAILED:
            assert (d.state, d.rule) == (State.FAILOVER_FAILED, ReasonCode.FAILOVER_FAILED)
            assert (detail or "no detail") in d.reasons[0].message and "dr-watchdog ack" in d.reasons[
                0
            ].message
        else:
            assert (d.state, d.rule) == (State.FAILED_OVER, ReasonCode.LATCHED)
        state = ev.next_state


@settings(max_examples=300, deadline=None)
@given(signal_sets, policies, st.integers(0, 50), st.floats(0, 5000))
def test_never_failover_unless_the_own_cluster_signal_is_down(
    found: list[tuple[SignalSource, Verdict, bool]], policy: Policy, count: int, outage: float
) -> None:
    """Whatever the other signals say (the DR task abnormal on production's side included), a round
    whose production-cluster signal is not DOWN never fails over, however long the outage counted."""
    now = T0 + timedelta(seconds=outage)
    last = now - timedelta(seconds=1)
    state = PairState(consecutive_down=count, first_down_at=T0, last_down_at=last, outage_seconds=outage)
    signals = tuple(Signal(src, v, "generated", now) for src, v, _ in found)
    obs = replace(observation(now, Verdict.DOWN, last_sync=T0 - timedelta(seconds=5)), signals=signals)
    decision = evaluate(obs, state, policy, now).decision
    if not any(src is SignalSource.PRODUCTION_CLUSTER and v is Verdict.DOWN for src, v, _ in found):
        assert decision.action is not Action.FAILOVER
        assert decision.verdict is not Verdict.DOWN
