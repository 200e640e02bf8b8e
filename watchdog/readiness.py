"""Failover readiness: if production died now, would an automatic failover go through?

A pure function of the round's observation, the pair's state after the round, its policy and now,
asked every round of every pair (healthy ones above all: that is when it is worth knowing). It is
the same guards the policy applies to a confirmed outage (`watchdog.guards`), asked as if production
had gone down at the observation (an outage already open keeps its own first DOWN round), plus what
would hold the pair besides them. Its reasons, each a `ReasonCode` (the `reason` label of
`dr_watchdog_failover_not_ready`):

- the guards: `data_loss_exceeded` (the sync age at the observation is over the RPO limit),
  `sync_unknown`, `sync_implausible`, `dr_cluster_unhealthy` (or not seen), `dr_task_state` (not in
  a state that accepts a failover, or not seen), `switch_in_progress`, `roles_swapped`,
  `version_too_old`, `version_unknown`, `cooldown`;
- what holds the pair: `paused`, `latched` (a failover happened; `ack` re-arms), `failover_failed`,
  `intent_open`;
- `credentials_failing`: the API refused the watchdog's credentials this round (a failover POST
  would be refused too);
- `global_brake` (auto mode): the fleet-wide brake would block the next automatic failover.

The mode is not a reason: in recommend mode the question is whether the failover an operator
approves would go through, in observe mode whether auto mode's would (`mode_note` says which,
for `status`; `dr_watchdog_mode` exports it). So a healthy recommend-mode fleet reads as ready,
and costs no extra series. Ready is the empty list. `margin_seconds` is what is left of the RPO
limit before the data-loss guard would block (negative: over it; None: the sync time is not known).
"""

from __future__ import annotations

from datetime import datetime

from watchdog.brake import brake_guard
from watchdog.guards import HEALTHY_CLUSTER_STATUSES, guards, recoverable_point
from watchdog.model import (
    Brake,
    IntentStatus,
    Mode,
    Observation,
    PairState,
    Policy,
    Reason,
    ReasonCode,
    SignalSource,
    Verdict,
)

MODE_NOTES = {
    Mode.AUTO: "auto: the watchdog fails over by itself",
    Mode.RECOMMEND: "recommend: the failover waits for an operator (dr-watchdog failover)",
    Mode.OBSERVE: "observe: the watchdog never fails over, it records what auto mode would do",
}


def _holds(state: PairState, now: datetime) -> list[Reason]:
    out = []
    if state.pause is not None and (state.pause.until is None or now < state.pause.until):
        out.append(Reason(ReasonCode.PAUSED, f"paused by {state.pause.owner}: {state.pause.reason}"))
    if state.open_intent_id is not None:
        out.append(Reason(ReasonCode.INTENT_OPEN, f"failover intent {state.open_intent_id} is open"))
    elif state.latched and state.last_intent_status is IntentStatus.FAILED:
        out.append(Reason(ReasonCode.FAILOVER_FAILED, "the last failover failed: latched until ack"))
    elif state.latched:
        out.append(Reason(ReasonCode.LATCHED, "failed over: latched until an operator acks"))
    return out


def readiness(
    obs: Observation, state: PairState, policy: Policy, now: datetime, brake: Brake | None = None
) -> list[Reason]:
    """Every reason an automatic failover would not go through now (empty: ready)."""
    reasons = guards(obs, state, policy, now)
    braked = brake_guard(brake, now) if policy.mode is Mode.AUTO else None
    reasons += [braked] if braked is not None else []
    reasons += _holds(state, now)
    if obs.auth_error:
        reasons.append(
            Reason(ReasonCode.CREDENTIALS_FAILING, f"the API refused the credentials: {obs.auth_error}")
        )
    return reasons


def mode_note(policy: Policy) -> str:
    """Who would carry the failover out, in the pair's mode."""
    return MODE_NOTES[policy.mode]


def margin_seconds(obs: Observation, policy: Policy) -> float | None:
    """The RPO limit minus the sync age at the observation (None: no plausible sync time)."""
    point = recoverable_point(obs)
    if point is None:
        return None
    return policy.max_data_loss_seconds - (obs.observed_at - point).total_seconds()


def codes(reasons: list[Reason]) -> list[str]:
    """The distinct reason codes, in order (the metric's label values)."""
    return list(dict.fromkeys(r.code.value for r in reasons))


def old_primary_reachable(obs: Observation, old_primary_id: str) -> bool:
    """After a failover: the old production's cluster is AVAILABLE again and, where its SQL endpoint
    is probed, it accepts connections (clients may still be writing to it: a split brain). Without a
    data-plane probe the control plane alone says so."""
    for view, source in (
        (obs.production, SignalSource.DATA_PLANE),
        (obs.dr_cluster, SignalSource.DR_DATA_PLANE),
    ):
        if view is None or view.id != old_primary_id:
            continue
        if view.status.upper() not in HEALTHY_CLUSTER_STATUSES:
            return False
        return all(s.verdict is Verdict.UP for s in obs.signals if s.source is source)
    return False
