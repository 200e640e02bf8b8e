"""The pure decision core: (observation, pair state, policy, now) -> (decision, next pair state).

Only this module can cause a wrong failover, so it does no I/O, reads no clock, environment or global,
and imports `watchdog.model` alone, beside its own pure parts (`watchdog.verdict`: the round verdict;
`watchdog.outage`: duration, gap, re-arm and confirmation; `watchdog.guards`), each of which imports
`watchdog.model` alone. Every rule below is written down because operators read it; the parts'
docstrings point here:

Round verdict (`production_verdict`, the quorum): the first row of the signal matrix in
docs/decisions.md that applies (`watchdog.verdict.MATRIX`; a test parses the document and checks
every combination of signals against it). In short: isolated (references present, none answered:
neither the DR side's API read, nor the DR SQL endpoint or a canary UP) => UNKNOWN, whatever
production looks like. Control plane DOWN while production's SQL endpoint or heartbeat answers, or
control plane UP while the SQL endpoint is DOWN and a network reference answers => a gray failure,
UNKNOWN. Control plane UP, or (control plane unknown) SQL endpoint or heartbeat UP => UP; with the
DR task abnormal on production's side that UP round also carries `dr_replication_broken`
(production up, the pair has no working DR): it resets the outage like any UP round. DOWN only when
production's own cluster signal is DOWN, nothing of production answers, and, where a data plane is
probed this round, it is DOWN while a network reference (DR SQL endpoint, canary) answers. The DR
task's DOWN only corroborates: alone it is UNKNOWN (a broken replication is not a dead production).
Region outage (a cross-region pair, signal `production_api`): production's API endpoint unreachable
is UNKNOWN for production's control plane, never DOWN; DOWN only when, besides, the DR side is
reachable and reports the DR task abnormal with production's side abnormal, production's SQL
endpoint is DOWN, and the DR side's API and SQL endpoint answer (matrix row 14).
Everything else => UNKNOWN ("cannot tell" is never "down"). A source whose signals disagree counts as
UNKNOWN. The quorum settings (`Policy.require_data_plane`, `require_dr_task`) only remove DOWN rows:
no setting makes a round DOWN that the floor does not.

Discarded evidence: a round whose observation is older than `max_observation_age_seconds` at
decision time (`observation_stale`: the process froze between probe and decision; None = no bound,
for journals from before it) or that started more than an interval later than scheduled
(`round_late`, set by the rounds from the monotonic clock) is UNKNOWN: it neither counts, resets,
teaches the baseline nor acts, whatever its signals say. The frozen time adds at most two intervals
to the outage (see the duration below).

Confirmation: a DOWN round counts (the first one sets `first_down_at` = its observation time); an UP
round resets the count and the start of the outage; an UNKNOWN round neither counts nor resets, and
its decision is UNKNOWN, so the window can never close on a round that did not see production down.
A DOWN round whose last successful sync is newer than `first_down_at` restarts the outage at this
round (unless the sync time is implausible, see the guards): a sync needs a live production, so the
earlier DOWN evidence is stale (this matters after a long UNKNOWN gap, and keeps the expected data
loss honest). So does a DOWN round more than `max_down_gap_seconds` after the previous DOWN round
(UNKNOWN rounds, or no round at all, in between): the watchdog did not see the outage go on,
production may have come back and failed anew, so the confirmation starts again instead of closing
on the strength of old evidence.
The outage's duration is not `now - first_down_at` (a wall clock stepped back an hour stretched the
window by the hour): each DOWN round adds the time since the previous DOWN round, clamped to
[0, MAX_STEP_INTERVALS (2) x probe_interval_seconds] (`PairState.outage_seconds`). A step back adds
nothing; a step forward, a frozen process or skipped rounds add at most two intervals, so the window
closes at most one interval early, and never with fewer than `failure_threshold` DOWN rounds.
The outage is confirmed on a DOWN round once `consecutive_down >= failure_threshold` AND
its duration `>= min_outage_seconds`.

Re-arming: while a pause or the latch holds the pair, DOWN rounds still count (the held decisions
show the outage); but the first DOWN round that is not held after one that was (a pause expired or
`resume`d, an `ack`) restarts the outage at itself, with reason `rearmed`: a full window from there,
so the end of a pause or an ack never fails over at once on what was counted while nobody could act.
UNKNOWN rounds in between keep the re-arm pending, an UP round clears it. Rounds held only by an
intent not yet sent do not re-arm (a failover never sent, or throttled, leaves the outage decided as
it was); a sent one does (an `ack` of an unknown intent re-arms like any ack).

Precedence of states: an open failover intent (FAILING_OVER, action TRACK) > the latch (FAILED_OVER;
FAILOVER_FAILED when the pair's newest intent ended failed: refused by the API or failed on the DR
task, nothing promoted, with the error and what to do) > an active pause (PAUSED) > UNKNOWN >
HEALTHY > SUSPECT > BLOCKED (a guard fails) > FAILOVER_WARRANTED.
A held decision (intent, latch, pause) on a DOWN round also carries the confirmation reason
(`confirming` or `outage_confirmed`, as above): the pair is held, but whether production is
confirmed down is still said, so a held pair with a confirmed outage can page.
Modes only change the action of a warranted failover: auto => FAILOVER, recommend => RECOMMEND,
observe => NONE (the state is still failover_warranted, so metrics and the audit trail show what
auto mode would have done).

Guards, each a named reason with its numbers, all reported together: expected data loss (first DOWN
time - last successful sync) above `max_data_loss_seconds`, or the last sync unknown / never, or
implausible (`sync_implausible`: later than the observation by more than MAX_SYNC_SKEW_SECONDS =
300 s, e.g. a zone-less time read in the wrong zone; it is then unknown, never proof of life); DR
cluster not AVAILABLE/ACTIVE; DR task not running/abnormal (switchovering: a switch in progress);
production no longer the cluster remembered as baseline (roles swapped by someone else); DR cluster
version unreadable or below `min_version` (production's too, when reported: an empty or blank
production version is not reported); inside the cooldown.

Global brake (`watchdog.brake`, fleet-wide, `ha.max_automatic_failovers` within
`ha.brake_window_seconds`): in mode auto, a failover that every guard above allows is BLOCKED with
`global_brake` when that many automatic failovers (any pair, since the last `brake reset`) were
decided inside the window, or when the brake is engaged; the first failover it blocks engages it, and
it stays engaged until `dr-watchdog brake reset`, whatever the window. It is checked after the
pair's own guards (it is reported only when it alone stops the failover) and the rounds decide the
pairs one after the other, each seeing the failovers decided before it in the same round. Manual
failovers are neither counted nor braked; observe and recommend modes are not braked (they never act).

High availability (`ha.backend: etcd`): an instance that does not hold the leadership as the round
begins decides a warranted failover as FAILOVER_WARRANTED with action NONE and reason `not_leader`
(like observe mode: it records what the leader does, never latches, never acts). The leadership is
an input, read once per round; the executor re-checks it right before the POST (fencing). A round
that cannot read the group's shared state runs as not leading. With a shared state, the `state` and
`brake` inputs are the journal's merged with the group's (`watchdog.ha.shared.overlay`: its pause,
its latch unless acked, the later cooldown, another instance's open intent as an open intent); the
rules here do not change.

A manual failover (`evaluate_manual`, `dr-watchdog failover`) skips the confirmation window, mode,
pause and latch, but not the guards above, and this round's verdict must be DOWN (else
`production_not_down`: a healthy production is moved with a planned switchover); `force` overrides
both, never an open intent.

A FAILOVER decision latches the pair and starts the cooldown in the next state itself, so the policy
alone never decides FAILOVER twice for one outage: only `ack` re-arms it (and the cooldown still runs).

Readiness (`watchdog.readiness`, reported, never decided on): the guards above asked as if production
had gone down at this observation, plus pause, latch, failed failover, open intent, the mode and
refused credentials: the reasons an automatic failover would not go through now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from watchdog.brake import brake_guard
from watchdog.guards import SWITCHING_TASK_STATUS, guards, plausible_sync, recoverable_point
from watchdog.guards import ts as _ts
from watchdog.model import (
    Action,
    Brake,
    Decision,
    IntentStatus,
    Mode,
    Observation,
    PairState,
    Policy,
    Reason,
    ReasonCode,
    State,
    Verdict,
)
from watchdog.outage import confirmation as _confirmation
from watchdog.outage import down_gap as _down_gap
from watchdog.outage import expected_data_loss, rearm, step
from watchdog.outage import gap_reason as _gap_reason
from watchdog.verdict import discarded, matrix_row, production_verdict, round_verdict, verdict_reasons
from watchdog.verdict import verdict_reason as _verdict_reason

NORMAL_SUB_STATUS = "NORMAL"

# the policy's public face (production_verdict and expected_data_loss live in their pure modules)
__all__ = ["Evaluation", "evaluate", "evaluate_manual", "expected_data_loss", "production_verdict"]


@dataclass(frozen=True)
class Evaluation:
    """The decision of one round and the pair state to remember for the next."""

    decision: Decision
    next_state: PairState


# ---- counters ------------------------------------------------------------------------------------
def _track(
    obs: Observation, state: PairState, verdict: Verdict, gap: float | None, policy: Policy
) -> PairState:
    """Advance the outage counters and the baseline primary for this round's verdict (`gap`: see
    `_down_gap`)."""
    at = obs.observed_at
    if verdict is Verdict.DOWN and (_alive_since(obs, state.first_down_at) or gap is not None):
        state = replace(state, consecutive_down=1, first_down_at=at, last_down_at=at, outage_seconds=0.0)
    elif verdict is Verdict.DOWN:
        count, seen = state.consecutive_down + 1, state.outage_seconds + step(state, at, policy)
        first = state.first_down_at or at
        state = replace(
            state, consecutive_down=count, first_down_at=first, last_down_at=at, outage_seconds=seen
        )
    elif verdict is Verdict.UP:
        state = replace(
            state,
            consecutive_down=0,
            first_down_at=None,
            last_down_at=None,
            last_up_at=at,
            outage_seconds=0.0,
        )
    task = obs.dr_task
    learn = verdict is Verdict.UP or state.baseline_primary_id is None
    if task is not None and task.status.lower() != SWITCHING_TASK_STATUS and learn:
        state = replace(state, baseline_primary_id=task.primary_cluster_id)
    return state


def _alive_since(obs: Observation, first_down_at: datetime | None) -> bool:
    """A DR sync succeeded after the outage's first DOWN round: production was up then after all (an
    implausible sync time, later than the observation beyond the skew, proves nothing)."""
    last_sync = plausible_sync(obs)
    return first_down_at is not None and last_sync is not None and last_sync > first_down_at


# ---- production degraded (a fact, not a guard) ---------------------------------------------------
def _degraded(obs: Observation) -> list[Reason]:
    cluster = obs.production
    subs = [s for s in (cluster.sub_status if cluster else ()) if s.upper() != NORMAL_SUB_STATUS]
    if not subs:
        return []
    return [Reason(ReasonCode.DEGRADED, f"production degraded ({' | '.join(subs)}), not down")]


# ---- the decision --------------------------------------------------------------------------------
def _intent_reason(state: PairState) -> Reason:
    status = state.open_intent_status.value if state.open_intent_status else "?"
    values = {"intent_id": float(state.open_intent_id or 0)}
    text = f"failover intent {state.open_intent_id} is {status}"
    if state.open_intent_status is IntentStatus.UNKNOWN:
        text += ": check the DR task, then ack"
    return Reason(ReasonCode.INTENT_OPEN, text, values)


def _held(state: PairState, now: datetime) -> tuple[State, Action, Reason] | None:
    """An open intent, the latch or a pause: no new action whatever production does."""
    if state.open_intent_status is not None and not state.open_intent_status.final:
        return State.FAILING_OVER, Action.TRACK, _intent_reason(state)
    if state.latched:
        values = {"latched_at": _ts(state.latched_at)}
        if state.last_intent_status is IntentStatus.FAILED:  # refused by the API or failed: not promoted
            text = (
                f"failover failed: {state.last_intent_detail or 'no detail'}; nothing was promoted. Check "
                "the DR task and the error, then `dr-watchdog ack --config F --pair P` to re-arm"
            )
            return State.FAILOVER_FAILED, Action.NONE, Reason(ReasonCode.FAILOVER_FAILED, text, values)
        return State.FAILED_OVER, Action.NONE, Reason(ReasonCode.LATCHED, "failed over; ack re-arms", values)
    if state.pause is not None and state.pause.active(now):
        pause = state.pause
        values = {"paused_since": _ts(pause.since), "paused_until": _ts(pause.until)}
        text = f"paused by {pause.owner}: {pause.reason}"
        return State.PAUSED, Action.NONE, Reason(ReasonCode.PAUSED, text, values)
    return None


_MODE_OUTCOME = {
    Mode.AUTO: (Action.FAILOVER, None),
    Mode.RECOMMEND: (Action.RECOMMEND, ReasonCode.MODE_RECOMMEND),
    Mode.OBSERVE: (Action.NONE, ReasonCode.MODE_OBSERVE),
}


def _outage(
    obs: Observation, state: PairState, policy: Policy, now: datetime, brake: Brake | None, leader: bool
) -> tuple[State, Action, list[Reason]]:
    """A DOWN round: suspect, blocked or warranted (and what the mode makes of it)."""
    confirmed, window = _confirmation(state, policy, now)
    if not confirmed:
        return State.SUSPECT, Action.NONE, [window]
    blocking = guards(obs, state, policy, now)
    if blocking:
        return State.BLOCKED, Action.NONE, [*blocking, window]
    braked = brake_guard(brake, now) if policy.mode is Mode.AUTO else None
    if braked is not None:
        return State.BLOCKED, Action.NONE, [braked, window]
    if policy.mode is Mode.AUTO and not leader:
        text = "failover warranted; this instance does not hold the HA leadership: the leader acts"
        return State.FAILOVER_WARRANTED, Action.NONE, [Reason(ReasonCode.NOT_LEADER, text), window]
    action, code = _MODE_OUTCOME[policy.mode]
    if code is None:
        return State.FAILOVER_WARRANTED, action, [window]
    mode_reason = Reason(code, f"mode {policy.mode.value}: failover warranted, not acting")
    return State.FAILOVER_WARRANTED, action, [mode_reason, window]


def _latch(state: PairState, policy: Policy, now: datetime) -> PairState:
    until = now + timedelta(seconds=policy.cooldown_seconds)
    return replace(state, latched=True, latched_at=now, cooldown_until=until)


def evaluate(
    observation: Observation,
    state: PairState,
    policy: Policy,
    now: datetime,
    brake: Brake | None = None,
    leader: bool = True,
) -> Evaluation:
    """Decide one round for one pair. Pure: the same inputs always give the same evaluation.

    `brake`: the fleet-wide brake as it stands before this pair (None: no brake, e.g. a replay).
    `leader`: this instance holds the HA leadership as the round begins (always, without HA)."""
    void = discarded(observation, policy, now)
    row = matrix_row(observation.signals, policy)
    verdict = Verdict.UNKNOWN if void else row.verdict
    reasons_now = void or verdict_reasons(observation.signals, verdict, policy, row)
    gap = _down_gap(observation, state, verdict, policy)
    tracked = state if void else _track(observation, state, verdict, gap, policy)  # void: teaches nothing
    facts = reasons_now if gap is None else [*reasons_now, _gap_reason(gap, policy)]
    held = _held(tracked, now)
    tracked, rearmed = rearm(observation, state, tracked, verdict, held)
    facts = [*facts, *rearmed]
    if held is not None:
        window = [_confirmation(tracked, policy, now)[1]] if verdict is Verdict.DOWN else []
        st, action, reasons = held[0], held[1], [held[2], *window, *facts]
    elif verdict is Verdict.UNKNOWN:
        st, action, reasons = State.UNKNOWN, Action.NONE, reasons_now
    elif verdict is Verdict.UP:
        st, action, reasons = State.HEALTHY, Action.NONE, [*reasons_now, *_degraded(observation)]
    else:
        st, action, found = _outage(observation, tracked, policy, now, brake, leader)
        reasons = [*found, *facts]
    decision = _decision(observation, tracked, policy, now, st, action, reasons)
    next_state = _latch(tracked, policy, now) if action is Action.FAILOVER else tracked
    return Evaluation(decision, next_state)


def evaluate_manual(
    observation: Observation, state: PairState, policy: Policy, now: datetime, *, force: bool = False
) -> Evaluation:
    """An operator asks for a failover now (`dr-watchdog failover`).

    The safety guards apply (data loss, DR cluster and task, version, roles, cooldown) unless `force`,
    and so does this round's verdict: production must be DOWN (`production_not_down` otherwise: a
    healthy production is moved with a planned switchover, not a failover); the confirmation window,
    mode, pause and latch are automatic-failover rules and do not. An open intent refuses even with
    `force`: one in flight must finish, and an unresolved (unknown) one may still turn into a
    failover, so an operator checks the DR task and `ack`s it first.
    """
    verdict = production_verdict(observation.signals, policy)
    tracked = _track(observation, state, verdict, _down_gap(observation, state, verdict, policy), policy)
    open_intent = tracked.open_intent_status is not None and not tracked.open_intent_status.final
    blocking = guards(observation, tracked, policy, now)
    if verdict is not Verdict.DOWN:
        text = (
            f"production is not down (this round: {verdict.value}): a healthy production is moved with "
            "a planned switchover (the DWS console or its switchover API), not a failover"
        )
        blocking = [Reason(ReasonCode.PRODUCTION_NOT_DOWN, text), *blocking]
    verdict_reason = _verdict_reason(observation.signals, verdict, policy)
    if open_intent or (blocking and not force):
        head = [_intent_reason(tracked)] if open_intent else []
        reasons = [*head, *blocking, verdict_reason]
        decision = _decision(observation, tracked, policy, now, State.BLOCKED, Action.NONE, reasons, True)
        return Evaluation(decision, tracked)
    lead = Reason(ReasonCode.FORCED if force else ReasonCode.MANUAL, "operator-requested failover")
    reasons = [lead, *blocking, verdict_reason]
    st = State.FAILOVER_WARRANTED
    decision = _decision(observation, tracked, policy, now, st, Action.FAILOVER, reasons, True)
    return Evaluation(decision, _latch(tracked, policy, now))


def _decision(
    obs: Observation,
    state: PairState,
    policy: Policy,
    now: datetime,
    st: State,
    action: Action,
    reasons: Sequence[Reason],
    manual: bool = False,
) -> Decision:
    first_down = state.first_down_at
    loss_from = first_down if first_down is not None or not manual else obs.observed_at
    return Decision(
        pair=obs.pair,
        at=now,
        state=st,
        action=action,
        rule=reasons[0].code,
        reasons=tuple(reasons),
        verdict=round_verdict(obs, policy, now),
        consecutive_down=state.consecutive_down,
        first_down_at=first_down,
        expected_data_loss_seconds=expected_data_loss(loss_from, recoverable_point(obs)),
        policy=policy,
        observed_at=obs.observed_at,
        manual=manual,
    )
