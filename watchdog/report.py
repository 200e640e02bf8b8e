"""The *record* step's outward half: an observation and its decision as metrics and one log record.

Pure translation from the model to metric values and JSON-able fields; no I/O of its own, so the
daemon, the `probe` command and the demo all report a round the same way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from watchdog import readiness
from watchdog.guards import sync_ahead_seconds
from watchdog.metrics import HOLD_REASONS, Metrics
from watchdog.model import (
    Action,
    Brake,
    Decision,
    FailoverIntent,
    IntentStatus,
    Observation,
    ReasonCode,
    SignalSource,
    State,
    Verdict,
)
from watchdog.policy import Evaluation

log = logging.getLogger("watchdog.decision")

# Guards: reasons that block a warranted failover (the `reason` label of dr_watchdog_failover_blocked).
GUARD_REASONS: tuple[ReasonCode, ...] = (
    ReasonCode.DATA_LOSS_EXCEEDED,
    ReasonCode.SYNC_UNKNOWN,
    ReasonCode.DR_CLUSTER_UNHEALTHY,
    ReasonCode.DR_TASK_STATE,
    ReasonCode.VERSION_TOO_OLD,
    ReasonCode.VERSION_UNKNOWN,
    ReasonCode.COOLDOWN,
    ReasonCode.LATCHED,
    ReasonCode.PAUSED,
    ReasonCode.MODE_OBSERVE,
    ReasonCode.MODE_RECOMMEND,
    ReasonCode.ROLES_SWAPPED,
    ReasonCode.SWITCH_IN_PROGRESS,
    ReasonCode.INTENT_OPEN,
    ReasonCode.SYNC_IMPLAUSIBLE,
    ReasonCode.GLOBAL_BRAKE,
)
PROBES: tuple[str, ...] = tuple(
    s.value for s in (SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DR_CLUSTER)
)


def _ts(value: datetime | None) -> float:
    return math.nan if value is None else value.timestamp()


def probe_durations(metrics: Metrics, observations: Iterable[Observation], probe_seconds: float) -> None:
    """`probe_duration_seconds{probe}` of one round: each signal's own latency where it was measured;
    a probe kind none of whose signals measured one observes the probe round's time, once."""
    timed: set[str] = set()
    kinds: set[str] = set()
    for obs in observations:
        for signal in obs.signals:
            kinds.add(signal.source.value)
            if signal.latency_seconds is not None:
                metrics.probe_duration.labels(probe=signal.source.value).observe(signal.latency_seconds)
                timed.add(signal.source.value)
    for kind in sorted(kinds - timed):
        metrics.probe_duration.labels(probe=kind).observe(probe_seconds)


def observation_metrics(metrics: Metrics, obs: Observation) -> None:
    """Probe success per signal, sync time and lag (as of the observation, the truth the API gave)."""
    for signal in obs.signals:
        ok = signal.error is None  # the probe could read; an UNKNOWN verdict without error is no failure
        ok = ok and not (signal.source is SignalSource.PRODUCTION_API and signal.verdict is Verdict.DOWN)
        metrics.probe_success.labels(pair=obs.pair, probe=signal.source.value).set(1 if ok else 0)
    last_sync = obs.last_sync if obs.last_sync_known else None
    metrics.last_sync.labels(pair=obs.pair).set(_ts(last_sync))
    implausible = sync_ahead_seconds(obs) is not None  # later than the observation beyond the skew
    metrics.sync_time_implausible.labels(pair=obs.pair).set(1 if implausible else 0)
    known = last_sync is not None and not implausible
    lag = max(0.0, (obs.observed_at - last_sync).total_seconds()) if known and last_sync else math.nan
    metrics.sync_lag.labels(pair=obs.pair).set(lag)
    heartbeat_metric(metrics, obs)


def heartbeat_metric(metrics: Metrics, obs: Observation) -> None:
    """heartbeat_lag_seconds: observed_at minus the newest heartbeat read on DR; NaN while not measured
    (only for a pair whose observation has a HEARTBEAT signal, i.e. one that configures a heartbeat)."""
    if obs.heartbeat_at is not None:
        lag = max(0.0, (obs.observed_at - obs.heartbeat_at).total_seconds())
        metrics.evidence.heartbeat_lag.labels(pair=obs.pair).set(lag)
    elif any(s.source is SignalSource.HEARTBEAT for s in obs.signals):
        metrics.evidence.heartbeat_lag.labels(pair=obs.pair).set(math.nan)


def production_metric(metrics: Metrics, decision: Decision) -> None:
    """production_up from the round's verdict: 1 up, 0 down, NaN unknown."""
    metrics.set_production(decision.pair, {Verdict.UP: True, Verdict.DOWN: False}.get(decision.verdict))


def blocking_reasons(decision: Decision) -> list[str]:
    """The `failover_blocked` reasons of a decision: why a pair whose production is confirmed down is
    not failed over by the watchdog this round. BLOCKED: its guards. Any other decision on a confirmed
    outage that does not fail over: what holds the pair (an open intent, the latch, a pause, a failed
    failover) or the mode (observe, recommend). None while the outage is unconfirmed, or gone."""
    if decision.state is State.BLOCKED:
        return [c.value for c in decision.codes if c in GUARD_REASONS]
    if decision.action is Action.FAILOVER or decision.reason(ReasonCode.OUTAGE_CONFIRMED) is None:
        return []
    return [c.value for c in decision.codes if c.value in HOLD_REASONS]


def readiness_metrics(
    metrics: Metrics, obs: Observation, evaluation: Evaluation, brake: Brake | None = None
) -> None:
    """failover_ready and failover_not_ready{reason}: would a failover go through if production died now."""
    decision = evaluation.decision
    reasons = readiness.readiness(obs, evaluation.next_state, decision.policy, decision.at, brake)
    metrics.readiness.set(decision.pair, readiness.codes(reasons))


def old_primary_metric(metrics: Metrics, obs: Observation, intent: FailoverIntent | None) -> None:
    """old_primary_reachable while the pair is latched after a completed failover (else no series)."""
    old = intent.old_primary_id if intent is not None and intent.status is IntentStatus.COMPLETED else None
    metrics.readiness.set_old_primary(
        obs.pair, None if old is None else readiness.old_primary_reachable(obs, old)
    )


def decision_metrics(metrics: Metrics, decision: Decision) -> None:
    """The decision state set, production_up (NaN while unknown), counts and blocking guards."""
    production_metric(metrics, decision)
    metrics.set_decision(decision.pair, decision.state.value)
    metrics.set_mode(decision.pair, decision.policy.mode.value)
    metrics.consecutive_down.labels(pair=decision.pair).set(decision.consecutive_down)
    loss = decision.expected_data_loss_seconds
    open_outage = decision.first_down_at is not None and loss is not None
    metrics.expected_data_loss.labels(pair=decision.pair).set(
        loss if open_outage and loss is not None else math.nan
    )
    metrics.set_blocked(decision.pair, blocking_reasons(decision))
    pause = decision.reason(ReasonCode.PAUSED)
    metrics.paused.labels(pair=decision.pair).set(0 if pause is None else 1)
    metrics.set_paused_since(decision.pair, None if pause is None else pause.values.get("paused_since"))
    latched = decision.state in (State.FAILED_OVER, State.FAILOVER_FAILED)  # both hold until ack
    metrics.latched.labels(pair=decision.pair).set(1 if latched else 0)
    replication_metric(metrics, decision)
    gray = decision.reason(ReasonCode.GRAY_FAILURE) is not None
    metrics.evidence.gray_failure.labels(pair=decision.pair).set(1 if gray else 0)


def round_metrics(
    metrics: Metrics,
    decisions: Sequence[Decision],
    unproven: Mapping[tuple[str, str], bool],
    late_seconds: float,
) -> None:
    """The round's evidence gauges: isolated (every decided pair carries ISOLATED), each configured
    data-plane probe that never succeeded, and how late the round started."""
    isolated = bool(decisions) and all(d.reason(ReasonCode.ISOLATED) is not None for d in decisions)
    metrics.evidence.isolated.set(1 if isolated else 0)
    for (pair, side), never in unproven.items():
        metrics.evidence.data_plane_unproven.labels(pair=pair, side=side).set(1 if never else 0)
    metrics.evidence.round_late.set(max(0.0, late_seconds))


def replication_metric(metrics: Metrics, decision: Decision) -> None:
    """dr_replication_broken: 1 on a round that saw production up and the DR task abnormal on its
    side, 0 on another UP round; a round that saw production down or could not tell keeps the last
    value (a real outage makes the task abnormal too, and says nothing about the replication)."""
    if decision.reason(ReasonCode.DR_REPLICATION_BROKEN) is not None:
        metrics.dr_replication_broken.labels(pair=decision.pair).set(1)
    elif decision.verdict is Verdict.UP:
        metrics.dr_replication_broken.labels(pair=decision.pair).set(0)


def decision_fields(decision: Decision) -> dict[str, Any]:
    """The decision as one flat, JSON-able record: what, why (with the numbers) and from what."""
    return {
        "event": "decision",
        "pair": decision.pair,
        "state": decision.state.value,
        "action": decision.action.value,
        "rule": decision.rule.value,
        "verdict": decision.verdict.value,
        "reasons": [{"code": r.code.value, "message": r.message, **dict(r.values)} for r in decision.reasons],
        "consecutive_down": decision.consecutive_down,
        "first_down_at": decision.first_down_at.isoformat() if decision.first_down_at else None,
        "expected_data_loss_seconds": decision.expected_data_loss_seconds,
        "mode": decision.policy.mode.value,
        "observed_at": decision.observed_at.isoformat(),
    }


def log_decision(decision: Decision) -> None:
    """One log record per decision; warnings for the states an operator must see."""
    loud = decision.state in (State.FAILOVER_WARRANTED, State.BLOCKED, State.FAILING_OVER)
    summary = "; ".join(r.message for r in decision.reasons[:3])
    message = f"{decision.pair}: {decision.state.value} ({decision.action.value}) - {summary}"
    log.log(logging.WARNING if loud else logging.INFO, message, extra=decision_fields(decision))
