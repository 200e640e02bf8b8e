"""The round verdict on production from its signals: pure, like `watchdog.policy` (which uses it).

No I/O, no clock; it imports `watchdog.model` alone. The rule is written in `watchdog.policy`'s
module docstring ("Round verdict") and in README's "How decisions are made".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from watchdog.model import Observation, Policy, Reason, ReasonCode, Signal, SignalSource, Verdict

PRODUCTION_SOURCES = frozenset(
    {SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DATA_PLANE, SignalSource.HEARTBEAT}
)
CORROBORATING_SOURCES = frozenset({SignalSource.DR_TASK})  # their DOWN is never, alone, evidence


def production_verdict(signals: Iterable[Signal]) -> Verdict:
    """The one function that turns a round's signals into the verdict on production (the rules:
    `watchdog.policy`'s docstring, "Round verdict")."""
    relevant = [s for s in signals if s.source in PRODUCTION_SOURCES]
    ups = any(s.verdict is Verdict.UP for s in relevant)
    downs = {s.source for s in relevant if s.verdict is Verdict.DOWN} - CORROBORATING_SOURCES
    if downs:
        own_down = SignalSource.PRODUCTION_CLUSTER in downs
        return Verdict.DOWN if own_down and not ups else Verdict.UNKNOWN
    return Verdict.UP if ups else Verdict.UNKNOWN


def replication_broken(signals: Iterable[Signal], verdict: Verdict) -> bool:
    """Production up while the DR task says production's side is abnormal: the pair has no working DR."""
    task_down = any(s.source is SignalSource.DR_TASK and s.verdict is Verdict.DOWN for s in signals)
    return verdict is Verdict.UP and task_down


def verdict_reasons(signals: Sequence[Signal], verdict: Verdict) -> list[Reason]:
    """The round's verdict as its reason, and `dr_replication_broken` beside an UP one if it is."""
    reasons = [verdict_reason(signals, verdict)]
    if replication_broken(signals, verdict):
        text = "production up, but the DR task is abnormal on production's side: the pair has no working DR"
        reasons.append(Reason(ReasonCode.DR_REPLICATION_BROKEN, text))
    return reasons


def verdict_reason(signals: Sequence[Signal], verdict: Verdict) -> Reason:
    """The round's verdict as a reason with the signal counts and each production signal's text."""
    relevant = [s for s in signals if s.source in PRODUCTION_SOURCES]
    counts = {v.value: float(sum(1 for s in relevant if s.verdict is v)) for v in Verdict}
    details = "; ".join(f"{s.source.value}={s.verdict.value} ({s.error or s.detail})" for s in relevant)
    if verdict is Verdict.UP:
        return Reason(ReasonCode.PRODUCTION_UP, f"production up: {details}", counts)
    if verdict is Verdict.DOWN:
        return Reason(ReasonCode.PRODUCTION_DOWN, f"production down: {details}", counts)
    if counts["up"] and counts["down"]:
        return Reason(ReasonCode.SIGNALS_CONFLICT, f"signals disagree, not down: {details}", counts)
    if counts["down"]:
        text = f"cannot tell: only production's own cluster signal DOWN is evidence: {details}"
        return Reason(ReasonCode.PRODUCTION_UNKNOWN, text, counts)
    return Reason(ReasonCode.PRODUCTION_UNKNOWN, f"cannot tell: {details or 'no signal'}", counts)


def discarded(obs: Observation, policy: Policy, now: datetime) -> list[Reason]:
    """Why this round's evidence must not count (empty: it counts): the round started far later than
    scheduled (`round_late`), or the observation is older than `max_observation_age_seconds` now."""
    reasons = []
    if obs.late_seconds is not None:
        text = f"round started {obs.late_seconds:.0f} s later than scheduled: its evidence is discarded"
        reasons.append(Reason(ReasonCode.ROUND_LATE, text, {"late_seconds": obs.late_seconds}))
    bound, age = policy.max_observation_age_seconds, (now - obs.observed_at).total_seconds()
    if bound is not None and age > bound:
        text = f"observation {age:.0f} s old at decision time > max {bound:.0f} s: discarded"
        values = {"observation_age_seconds": age, "max_observation_age_seconds": bound}
        reasons.append(Reason(ReasonCode.OBSERVATION_STALE, text, values))
    return reasons


def round_verdict(obs: Observation, policy: Policy, now: datetime) -> Verdict:
    """The verdict the decision rests on: production's, or UNKNOWN when the evidence is discarded."""
    return Verdict.UNKNOWN if discarded(obs, policy, now) else production_verdict(obs.signals)
