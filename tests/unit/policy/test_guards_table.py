"""Truth tables for the guards on a confirmed outage: one parametrize axis per factor."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.policy.builders import CONFIRM, FAST, PROD_ID, STANDBY_ID, at, confirmed, observation, run
from watchdog.model import (
    Action,
    IntentStatus,
    Mode,
    PairState,
    Pause,
    ReasonCode,
    State,
    Verdict,
)
from watchdog.policy import Evaluation, evaluate, evaluate_manual

D = Verdict.DOWN


def blocked_by(code: ReasonCode | None, **kwargs: object) -> None:
    d = confirmed(**kwargs).decision  # type: ignore[arg-type]
    if code is None:
        assert (d.state, d.action) == (State.FAILOVER_WARRANTED, Action.FAILOVER), d.reasons
    else:
        assert (d.state, d.action) == (State.BLOCKED, Action.NONE)
        assert code in d.codes, d.reasons
        assert d.rule is code


@pytest.mark.parametrize(
    ("sync_age_at_first_down", "code"),
    [
        (0, None),
        (60, None),
        (600, None),
        (601, ReasonCode.DATA_LOSS_EXCEEDED),
        (86400, ReasonCode.DATA_LOSS_EXCEEDED),
    ],
)
def test_data_loss_axis(sync_age_at_first_down: float, code: ReasonCode | None) -> None:
    """Expected data loss = first DOWN time - last sync; above max_data_loss_seconds it blocks."""
    blocked_by(code, last_sync=at(-sync_age_at_first_down))


@pytest.mark.parametrize(("known", "never"), [(False, False), (True, True)])
def test_unknown_or_never_synced_blocks(known: bool, never: bool) -> None:
    """An unknown last sync, or a pair that never synced, blocks with sync_unknown (loss unbounded)."""
    blocked_by(ReasonCode.SYNC_UNKNOWN, sync_known=known, never_synced=never)


@pytest.mark.parametrize(
    ("ahead", "state", "count"),
    [
        (-60, State.FAILOVER_WARRANTED, 3),
        (300, State.SUSPECT, 1),  # within the skew: a sync after the first DOWN round, proof of life
        (301, State.BLOCKED, 3),
        (8 * 3600, State.BLOCKED, 3),
    ],
)
def test_sync_time_later_than_the_observation(ahead: float, state: State, count: int) -> None:
    """A last sync later than each round's observation by more than the 300 s skew is implausible (a
    zone-less UTC+8 time read as UTC lands 8 h ahead): the sync is unknown and blocks with
    sync_implausible naming the skew; within the skew it is an ordinary sync. Before, every such DOWN
    round was "production alive since" and restarted the outage: it never even confirmed."""
    pair_state = PairState()
    for offset in (0.0, 10.0, 20.0):
        when = at(offset)
        ev = evaluate(observation(when, D, last_sync=when + timedelta(seconds=ahead)), pair_state, FAST, when)
        pair_state = ev.next_state
    d = ev.decision
    assert (d.state, d.consecutive_down) == (state, count), d.reasons
    if state is not State.BLOCKED:
        return
    assert (d.action, d.rule) == (Action.NONE, ReasonCode.SYNC_IMPLAUSIBLE), d.reasons
    reason = d.reason(ReasonCode.SYNC_IMPLAUSIBLE)
    assert reason is not None and reason.values["max_sync_skew_seconds"] == 300
    assert reason.values["sync_ahead_seconds"] == ahead and "300 s" in reason.message
    assert d.expected_data_loss_seconds is None


def test_an_implausible_sync_is_never_proof_of_life() -> None:
    """A sync time 8 h ahead, later than the first DOWN round, does not restart the outage (a
    plausible one does: a sync needs a live production)."""
    down = run([(0.0, D)])[-1].next_state
    future = observation(at(10), D, last_sync=at(10 + 8 * 3600))
    assert evaluate(future, down, FAST, at(10)).next_state.consecutive_down == 2
    fresh = observation(at(10), D, last_sync=at(5))
    assert evaluate(fresh, down, FAST, at(10)).next_state.consecutive_down == 1


def test_long_outage_after_fresh_sync_fails_over() -> None:
    """A 2-hour outage that began 30 s after the last sync fails over: the loss is 30 s, not 2 h."""
    policy = replace(FAST, min_outage_seconds=7200, probe_interval_seconds=60)
    rounds = [(float(t), D) for t in range(0, 7201, 60)]  # a DOWN round every minute (the interval), 2 h
    d = run(rounds, policy, last_sync=at(-30))[-1].decision
    assert d.action is Action.FAILOVER
    assert d.expected_data_loss_seconds == 30.0


def test_stale_sync_blocks_with_numbers() -> None:
    """A sync 4012 s old when production went down blocks, and the reason carries expected and limit."""
    d = confirmed(last_sync=at(-4012)).decision
    r = d.reason(ReasonCode.DATA_LOSS_EXCEEDED)
    assert r is not None
    assert r.values["expected_data_loss_seconds"] == 4012.0
    assert r.values["max_data_loss_seconds"] == 600.0
    assert "4012 s > limit 600 s" in r.message
    assert d.expected_data_loss_seconds == 4012.0


@pytest.mark.parametrize(
    ("sync_age", "heartbeat_age", "loss", "code"),
    [
        (30, None, 30.0, None),  # no heartbeat read: the API's sync alone
        (30, 10, 30.0, None),  # the heartbeat is newer: the older, the API's sync, counts
        (30, 500, 500.0, None),  # the heartbeat is older: it counts, still within 600 s
        (30, 700, 700.0, ReasonCode.DATA_LOSS_EXCEEDED),  # the heartbeat says the copy is stale
        (700, 10, 700.0, ReasonCode.DATA_LOSS_EXCEEDED),  # a fresh heartbeat never hides a stale sync
    ],
)
def test_the_heartbeat_axis_of_the_data_loss_guard(
    sync_age: float, heartbeat_age: float | None, loss: float, code: ReasonCode | None
) -> None:
    """Expected data loss from the older of the API's last sync and the heartbeat read on the DR side
    (ages in seconds before the first DOWN round); a heartbeat-driven block names the heartbeat."""
    heartbeat = None if heartbeat_age is None else at(-heartbeat_age)
    ev = confirmed(last_sync=at(-sync_age), heartbeat_at=heartbeat)
    assert ev.decision.expected_data_loss_seconds == loss
    blocked_by(code, last_sync=at(-sync_age), heartbeat_at=heartbeat)
    reason = ev.decision.reason(ReasonCode.DATA_LOSS_EXCEEDED)
    if reason is not None and heartbeat_age is not None and heartbeat_age > sync_age:
        assert "recoverable point: heartbeat" in reason.message and "heartbeat_at" in reason.values


@pytest.mark.parametrize(
    ("dr_status", "code"),
    [
        ("AVAILABLE", None),
        ("ACTIVE", None),
        ("FAILED", ReasonCode.DR_CLUSTER_UNHEALTHY),
        ("CREATING", ReasonCode.DR_CLUSTER_UNHEALTHY),
        ("SOMETHING_NEW", ReasonCode.DR_CLUSTER_UNHEALTHY),
    ],
)
def test_dr_cluster_axis(dr_status: str, code: ReasonCode | None) -> None:
    """The DR cluster must be AVAILABLE (or ACTIVE)."""
    blocked_by(code, dr_status=dr_status)


@pytest.mark.parametrize(
    ("task_status", "code"),
    [
        ("running", None),
        ("abnormal", None),
        ("switchovering", ReasonCode.SWITCH_IN_PROGRESS),
        ("stopped", ReasonCode.DR_TASK_STATE),
        ("unstart", ReasonCode.DR_TASK_STATE),
        ("deleting", ReasonCode.DR_TASK_STATE),
        ("unknown", ReasonCode.DR_TASK_STATE),
    ],
)
def test_dr_task_axis(task_status: str, code: ReasonCode | None) -> None:
    """Only running and abnormal DR tasks accept a failover; a switch in progress is named as such."""
    blocked_by(code, task_status=task_status)


@pytest.mark.parametrize(
    ("dr_version", "prod_version", "code"),
    [
        ("8.1.2", "8.1.2", None),
        ("9.1.0.200", None, None),
        ("8.1.1.300", "8.2.0", ReasonCode.VERSION_TOO_OLD),
        ("8.2.0", "8.1.1", ReasonCode.VERSION_TOO_OLD),
        (None, "8.2.0", ReasonCode.VERSION_UNKNOWN),
        ("8.x.1", "8.2.0", ReasonCode.VERSION_UNKNOWN),
        ("8.2.0", "garbage", ReasonCode.VERSION_UNKNOWN),
        ("8.2.0", "", None),
        ("8.2.0", "  ", None),
        ("", "8.2.0", ReasonCode.VERSION_UNKNOWN),
        (" ", None, ReasonCode.VERSION_UNKNOWN),
    ],
)
def test_version_axis(dr_version: str | None, prod_version: str | None, code: ReasonCode | None) -> None:
    """Versions below 8.1.2 block; an unreadable version blocks; production's may be absent (deleted),
    and an empty or blank production version is absent too; the DR cluster's is always required."""
    blocked_by(code, dr_version=dr_version, prod_version=prod_version)


@pytest.mark.parametrize(
    ("mode", "state", "action", "code"),
    [
        (Mode.AUTO, State.FAILOVER_WARRANTED, Action.FAILOVER, ReasonCode.OUTAGE_CONFIRMED),
        (Mode.RECOMMEND, State.FAILOVER_WARRANTED, Action.RECOMMEND, ReasonCode.MODE_RECOMMEND),
        (Mode.OBSERVE, State.FAILOVER_WARRANTED, Action.NONE, ReasonCode.MODE_OBSERVE),
    ],
)
def test_mode_axis(mode: Mode, state: State, action: Action, code: ReasonCode) -> None:
    """Modes change only the action of a warranted failover; only auto latches."""
    ev = confirmed(replace(FAST, mode=mode))
    assert (ev.decision.state, ev.decision.action, ev.decision.rule) == (state, action, code)
    assert ev.next_state.latched is (mode is Mode.AUTO)


@pytest.mark.parametrize(
    ("baseline", "primary", "code"),
    [
        (None, PROD_ID, None),
        (PROD_ID, PROD_ID, None),
        (STANDBY_ID, PROD_ID, ReasonCode.ROLES_SWAPPED),
    ],
)
def test_roles_axis(baseline: str | None, primary: str, code: ReasonCode | None) -> None:
    """When production is no longer the cluster remembered while healthy, someone switched: no failover."""
    blocked_by(code, state=PairState(baseline_primary_id=baseline), primary=primary)


def test_roles_swapped_during_outage_is_detected() -> None:
    """Baseline learned while UP; the DR task then shows the other cluster as primary while DOWN: blocked."""
    evs = run([(0, Verdict.UP)])
    state = evs[0].next_state
    assert state.baseline_primary_id == PROD_ID
    d = run([(10, D), (20, D), (30, D)], state=state, primary=STANDBY_ID)[-1].decision
    assert d.state is State.BLOCKED and ReasonCode.ROLES_SWAPPED in d.codes


@pytest.mark.parametrize(
    ("cooldown_end", "code"), [(None, None), (-1, None), (0, None), (1, ReasonCode.COOLDOWN)]
)
def test_cooldown_axis(cooldown_end: float | None, code: ReasonCode | None) -> None:
    """Inside the cooldown (which outlives the ack) a confirmed outage is blocked; at its end it is not."""
    until = None if cooldown_end is None else at(20 + cooldown_end)
    blocked_by(code, state=PairState(cooldown_until=until))


@pytest.mark.parametrize(
    ("state", "expected", "action"),
    [
        (PairState(latched=True, latched_at=at(-100)), State.FAILED_OVER, Action.NONE),
        (
            PairState(latched=True, latched_at=at(-100), last_intent_status=IntentStatus.COMPLETED),
            State.FAILED_OVER,
            Action.NONE,
        ),
        (
            PairState(latched=True, latched_at=at(-100), last_intent_status=IntentStatus.FAILED),
            State.FAILOVER_FAILED,
            Action.NONE,
        ),
        (  # a failed intent that lifted the latch (vetoed, aborted, throttled): armed again
            PairState(last_intent_status=IntentStatus.FAILED),
            State.FAILOVER_WARRANTED,
            Action.FAILOVER,
        ),
        (PairState(pause=Pause("maint", "ops", at(-10), at(100))), State.PAUSED, Action.NONE),
        (PairState(pause=Pause("maint", "ops", at(-10), None)), State.PAUSED, Action.NONE),
        (PairState(pause=Pause("maint", "ops", at(-10), at(20))), State.SUSPECT, Action.NONE),  # re-armed
        (
            PairState(open_intent_id=7, open_intent_status=IntentStatus.SUBMITTED),
            State.FAILING_OVER,
            Action.TRACK,
        ),
        (
            PairState(open_intent_id=7, open_intent_status=IntentStatus.UNKNOWN),
            State.FAILING_OVER,
            Action.TRACK,
        ),
        (
            PairState(open_intent_id=7, open_intent_status=IntentStatus.FAILED),
            State.FAILOVER_WARRANTED,
            Action.FAILOVER,
        ),
    ],
)
def test_hold_axis(state: PairState, expected: State, action: Action) -> None:
    """Latch, an active pause (expired ones do not count) and an open intent hold any new action."""
    d = confirmed(state=state).decision
    assert (d.state, d.action) == (expected, action)


HOLDS = [
    (PairState(latched=True, latched_at=at(-100)), ReasonCode.LATCHED),
    (PairState(pause=Pause("maint", "ops", at(-10), None)), ReasonCode.PAUSED),
    (PairState(open_intent_id=7, open_intent_status=IntentStatus.SUBMITTED), ReasonCode.INTENT_OPEN),
]


@pytest.mark.parametrize(("state", "hold"), HOLDS)
@pytest.mark.parametrize(
    ("rounds", "confirmation"),
    [
        (CONFIRM, ReasonCode.OUTAGE_CONFIRMED),  # 3 DOWN rounds over 20 s: confirmed
        (CONFIRM[:2], ReasonCode.CONFIRMING),  # 2 of 3: still confirming
        ([*CONFIRM[:2], (20.0, Verdict.UP)], None),  # an UP round: no confirmation at all
        ([*CONFIRM[:2], (20.0, Verdict.UNKNOWN)], None),  # an UNKNOWN round: none either
    ],
)
def test_held_decisions_carry_the_confirmation(
    state: PairState, hold: ReasonCode, rounds: list[tuple[float, Verdict]], confirmation: ReasonCode | None
) -> None:
    """A held pair (latch, pause, open intent) on a DOWN round says whether the outage is confirmed,
    right after the holding reason; on an UP or UNKNOWN round it says nothing of a confirmation."""
    d = run(rounds, state=state)[-1].decision
    assert d.rule is hold
    found = {ReasonCode.OUTAGE_CONFIRMED, ReasonCode.CONFIRMING} & set(d.codes)
    assert found == ({confirmation} if confirmation else set()), d.reasons
    if confirmation is not None:
        assert d.codes[1] is confirmation


def test_guards_all_reported_together() -> None:
    """Several failing guards are all listed, each with its own reason."""
    d = confirmed(dr_status="FAILED", task_status="stopped", last_sync=at(-5000), dr_version="8.0.0").decision
    assert {ReasonCode.DATA_LOSS_EXCEEDED, ReasonCode.DR_CLUSTER_UNHEALTHY, ReasonCode.DR_TASK_STATE} <= set(
        d.codes
    )
    assert ReasonCode.VERSION_TOO_OLD in d.codes


def test_paused_still_counts_the_outage() -> None:
    """A pause does not stop the counting (the held decisions show a confirmed outage), but when it
    ends the first DOWN round counts afresh (rearmed): it used to fail over at once."""
    pause = Pause("maint", "ops", at(-10), at(25))
    evs = run([(0, D), (10, D), (20, D), (30, D)], state=PairState(pause=pause))
    assert [e.decision.state for e in evs] == [State.PAUSED] * 3 + [State.SUSPECT]
    assert evs[2].next_state.consecutive_down == 3 and evs[2].next_state.rearm
    last = evs[3].decision
    assert (last.consecutive_down, last.first_down_at, last.action) == (1, at(30), Action.NONE)
    rearmed = last.reason(ReasonCode.REARMED)
    assert rearmed is not None and rearmed.values == {"counted_while_held": 4.0}


def _held_then(state: PairState, rounds: list[tuple[float, Verdict]]) -> list[Evaluation]:
    """DOWN rounds at 0, 10, 20 held by `state`, then `rounds` with every hold lifted (resume, ack,
    the intent closed)."""
    held = run([(0, D), (10, D), (20, D)], state=state)
    lifted = replace(
        held[-1].next_state, latched=False, pause=None, open_intent_id=None, open_intent_status=None
    )
    return run(rounds, state=lifted)


@pytest.mark.parametrize(
    "hold",
    [
        PairState(pause=Pause("maint", "ops", at(-10), None)),  # then `resume`
        PairState(latched=True, latched_at=at(-100)),  # then `ack`
    ],
)
def test_after_resume_or_ack_the_window_starts_afresh(hold: PairState) -> None:
    """After `resume` or `ack` a DOWN round does not fail over at once: a full window from the first
    unheld DOWN round (3 rounds over 20 s with FAST), which says `rearmed`."""
    evs = _held_then(hold, [(30, D), (40, D), (50, D)])
    assert [e.decision.action for e in evs] == [Action.NONE, Action.NONE, Action.FAILOVER]
    assert ReasonCode.REARMED in evs[0].decision.codes
    assert ReasonCode.REARMED not in evs[1].decision.codes and not evs[1].next_state.rearm


def test_rearm_waits_through_unknown_rounds_and_an_up_round_clears_it() -> None:
    """UNKNOWN rounds after the hold neither count nor clear the re-arm; an UP round clears it."""
    pause = PairState(pause=Pause("maint", "ops", at(-10), None))
    evs = _held_then(pause, [(30, Verdict.UNKNOWN), (40, D)])
    assert evs[0].next_state.rearm and ReasonCode.REARMED in evs[1].decision.codes
    evs = _held_then(pause, [(30, Verdict.UP), (40, D)])
    assert not evs[0].next_state.rearm and ReasonCode.REARMED not in evs[1].decision.codes


def test_an_open_intent_alone_does_not_rearm() -> None:
    """Rounds held only by an open intent (its latch released as never sent) leave the re-arm as it
    was: the outage, confirmed, is decided again without a new window."""
    intent = PairState(open_intent_id=3, open_intent_status=IntentStatus.INTENDED)
    evs = _held_then(intent, [(30, D)])
    assert evs[0].decision.action is Action.FAILOVER and ReasonCode.REARMED not in evs[0].decision.codes


@pytest.mark.parametrize(
    ("force", "kwargs", "state", "action"),
    [
        (False, {}, State.FAILOVER_WARRANTED, Action.FAILOVER),
        (False, {"last_sync": at(-5000)}, State.BLOCKED, Action.NONE),
        (True, {"last_sync": at(-5000)}, State.FAILOVER_WARRANTED, Action.FAILOVER),
        (False, {"verdict": Verdict.UP}, State.BLOCKED, Action.NONE),
        (False, {"verdict": Verdict.UNKNOWN}, State.BLOCKED, Action.NONE),
        (True, {"verdict": Verdict.UP}, State.FAILOVER_WARRANTED, Action.FAILOVER),
    ],
)
def test_manual_axis(force: bool, kwargs: dict[str, object], state: State, action: Action) -> None:
    """A manual failover skips confirmation, mode and latch, but the safety guards apply unless forced."""
    obs = observation(at(0), **kwargs)  # type: ignore[arg-type]
    latched = PairState(latched=True, cooldown_until=None)
    ev = evaluate_manual(obs, latched, replace(FAST, mode=Mode.OBSERVE), at(0), force=force)
    assert (ev.decision.state, ev.decision.action, ev.decision.manual) == (state, action, True)
    assert ev.next_state.latched


@pytest.mark.parametrize("verdict", [Verdict.UP, Verdict.UNKNOWN])
def test_manual_refused_when_production_is_not_down(verdict: Verdict) -> None:
    """A manual failover of a production that is not DOWN this round is refused, naming why and what to
    do instead (a planned switchover); with force it goes through, the reason still recorded."""
    obs = observation(at(0), verdict)
    refused = evaluate_manual(obs, PairState(), FAST, at(0)).decision
    assert (refused.action, refused.rule) == (Action.NONE, ReasonCode.PRODUCTION_NOT_DOWN)
    assert "planned switchover" in refused.reasons[0].message
    forced = evaluate_manual(obs, PairState(), FAST, at(0), force=True).decision
    assert forced.action is Action.FAILOVER and ReasonCode.PRODUCTION_NOT_DOWN in forced.codes
    down = evaluate_manual(observation(at(0)), PairState(), FAST, at(0)).decision
    assert down.action is Action.FAILOVER and ReasonCode.PRODUCTION_NOT_DOWN not in down.codes


@pytest.mark.parametrize("status", [IntentStatus.INTENDED, IntentStatus.SUBMITTED, IntentStatus.UNKNOWN])
def test_manual_refused_while_an_intent_is_open_even_forced(status: IntentStatus) -> None:
    """An open intent (in flight or unresolved) refuses a manual failover even with force: never two POSTs."""
    state = PairState(open_intent_id=3, open_intent_status=status)
    ev = evaluate_manual(observation(at(0)), state, FAST, at(0), force=True)
    assert ev.decision.action is Action.NONE and ev.decision.rule is ReasonCode.INTENT_OPEN


def test_pause_expiry_uses_now_not_observation() -> None:
    """The pause is judged against `now`."""
    pause = Pause("maint", "ops", at(-10), at(5))
    obs = observation(at(0))
    assert evaluate(obs, PairState(pause=pause), FAST, at(0)).decision.state is State.PAUSED
    later = evaluate(obs, PairState(pause=pause), FAST, at(0) + timedelta(seconds=6)).decision
    assert later.state is State.SUSPECT


def test_a_refused_failover_reads_as_failover_failed_with_the_api_error_and_what_to_do() -> None:
    """Latched after a failover the API refused: failover_failed (not failed_over), the reason carries
    the API's code and message and says how to re-arm; the latch holds."""
    detail = "rejected by the API: HTTP 400 DWS.0015: The DR task status does not support this operation"
    state = PairState(
        latched=True, latched_at=at(-100), last_intent_status=IntentStatus.FAILED, last_intent_detail=detail
    )
    ev = confirmed(state=state)
    d = ev.decision
    assert (d.state, d.action, d.rule) == (State.FAILOVER_FAILED, Action.NONE, ReasonCode.FAILOVER_FAILED)
    message = d.reasons[0].message
    assert "DWS.0015" in message and "does not support this operation" in message
    assert "dr-watchdog ack --config F --pair P" in message and "failed_over" not in message
    assert ev.next_state.latched


def test_an_acked_unknown_intent_rearms() -> None:
    """An `ack` that resolves an unknown intent (the operator checked the DR task) re-arms like any
    ack: the next DOWN round counts afresh instead of failing over at once on the rounds counted
    while the intent held the pair (no cooldown left here, as a short one would have run out)."""
    intent = PairState(
        open_intent_id=3, open_intent_status=IntentStatus.UNKNOWN, latched=True, latched_at=at(-100)
    )
    evs = _held_then(intent, [(30, D), (40, D), (50, D)])
    assert [e.decision.action for e in evs] == [Action.NONE, Action.NONE, Action.FAILOVER]
    assert ReasonCode.REARMED in evs[0].decision.codes
