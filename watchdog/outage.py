"""The outage's counters: its duration, the gap and re-arm rules, the confirmation window.

Pure, like `watchdog.policy` (which uses it): no I/O, no clock; it imports `watchdog.model` alone.
The rules are written in `watchdog.policy`'s module docstring ("Confirmation", "Re-arming") and in
README's "How decisions are made".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from watchdog.model import (
    Action,
    IntentStatus,
    Observation,
    PairState,
    Policy,
    Reason,
    ReasonCode,
    State,
    Verdict,
)

MAX_STEP_INTERVALS = 2.0  # a DOWN round adds at most this many probe intervals to its outage's duration


def expected_data_loss(first_down_at: datetime | None, last_sync: datetime | None) -> float | None:
    """(first DOWN time of this outage) - (last successful sync), in seconds, never negative."""
    if first_down_at is None or last_sync is None:
        return None
    return max(0.0, (first_down_at - last_sync).total_seconds())


def step(state: PairState, at: datetime, policy: Policy) -> float:
    """What a DOWN round adds to its outage's duration: the time since the previous DOWN round,
    clamped to [0, MAX_STEP_INTERVALS probe intervals] (a wall clock stepped back adds nothing, one
    stepped forward or a process frozen between rounds at most that)."""
    last = state.last_down_at
    if state.first_down_at is None or last is None:
        return 0.0
    step = (at - last).total_seconds()
    return min(max(0.0, step), MAX_STEP_INTERVALS * policy.probe_interval_seconds)


def down_gap(obs: Observation, state: PairState, verdict: Verdict, policy: Policy) -> float | None:
    """For a DOWN round: seconds since the previous DOWN round of an open outage, if more than
    `max_down_gap_seconds` (the outage then counts afresh); else None."""
    limit, last = policy.max_down_gap_seconds, state.last_down_at
    if verdict is not Verdict.DOWN or limit is None or last is None or state.first_down_at is None:
        return None
    gap = (obs.observed_at - last).total_seconds()
    return gap if gap > limit else None


def gap_reason(gap: float, policy: Policy) -> Reason:
    limit = policy.max_down_gap_seconds or 0.0
    text = f"outage counted afresh: no DOWN round seen for {gap:.0f} s > max_down_gap {limit:.0f} s"
    return Reason(ReasonCode.OUTAGE_RESTARTED, text, {"gap_seconds": gap, "max_down_gap_seconds": limit})


def confirmed_text(consecutive_down: float, outage_seconds: float) -> str:
    """The message of `outage_confirmed` (also restated by `status` for a run of DOWN rounds)."""
    return f"outage confirmed: {consecutive_down:.0f} DOWN rounds over {outage_seconds:.0f} s"


def confirmation(state: PairState, policy: Policy, now: datetime) -> tuple[bool, Reason]:
    """Whether the outage is confirmed, and the reason with its numbers (the duration is the one
    accumulated in the state, never `now - first_down_at`: see `_step`)."""
    outage = state.outage_seconds if state.first_down_at else 0.0
    values = {
        "consecutive_down": float(state.consecutive_down),
        "failure_threshold": float(policy.failure_threshold),
        "outage_seconds": outage,
        "min_outage_seconds": policy.min_outage_seconds,
    }
    confirmed = state.consecutive_down >= policy.failure_threshold and outage >= policy.min_outage_seconds
    if confirmed:
        text = confirmed_text(state.consecutive_down, outage)
        return True, Reason(ReasonCode.OUTAGE_CONFIRMED, text, values)
    text = (
        f"confirming: {state.consecutive_down}/{policy.failure_threshold} DOWN rounds, "
        f"{outage:.0f}/{policy.min_outage_seconds:.0f} s"
    )
    return False, Reason(ReasonCode.CONFIRMING, text, values)


def rearm(
    obs: Observation,
    before: PairState,
    tracked: PairState,
    verdict: Verdict,
    held: tuple[State, Action, Reason] | None,
) -> tuple[PairState, list[Reason]]:
    """After a pause or the latch held the pair, the first unheld DOWN round counts afresh.

    A round held by a pause, the latch or a sent intent (submitted or unknown: only an `ack` or the
    latch of its end releases it) marks the state, not one held by an intent still `intended` (never
    sent, or refused as throttled: its release retries the outage as decided); an unheld UP
    round clears the mark, an UNKNOWN one keeps it, and an unheld DOWN round restarts the outage at
    itself with reason `rearmed` (the rounds counted while held were counted, not acted on).
    """
    if held is not None:
        unsent = held[0] is State.FAILING_OVER and tracked.open_intent_status is IntentStatus.INTENDED
        return replace(tracked, rearm=before.rearm if unsent else True), []
    if not before.rearm or verdict is Verdict.UNKNOWN:
        return tracked, []
    if verdict is Verdict.UP:
        return replace(tracked, rearm=False), []
    counted = float(tracked.consecutive_down)
    at = obs.observed_at
    fresh = replace(
        tracked, consecutive_down=1, first_down_at=at, last_down_at=at, outage_seconds=0.0, rearm=False
    )
    text = "re-armed (a pause ended, or an ack): the outage is counted afresh from this round"
    return fresh, [Reason(ReasonCode.REARMED, text, {"counted_while_held": counted})]
