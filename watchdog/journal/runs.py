"""Runs of identical rounds: when a round counts as a repeat of the pair's previous journal row.

A round repeats the previous one when it decided the same from the same observation and the same
input state, apart from values that only restate time: the round's own times (the decision's, the
observation's, each signal's (also as quoted in its detail) and its latency, the last UP round's,
the newest heartbeat read on the DR side, which moves each round and counts only through the
decision's data loss), and the DR
task's RPO (`rpo_seconds`), which is "now minus the last recovery point": equal, or naming the
same point in time (`observed_at - rpo_seconds`, within an observation's age: the API computes it
when it answers, up to that long after `observed_at`; see `_slack`), so a failed-over pair whose
DR task no longer syncs does not write a row a round.

Which rounds repeat: any that started nothing (no FAILOVER decision, no manual one) and
- saw production up or unknown: an UP round resets the outage, an UNKNOWN one neither counts nor
  resets, so replaying one round of such a run decides as replaying all of them would;
- or saw production down once the outage is confirmed (blocked, held by a pause, the latch or an
  open intent, warranted in observe or recommend mode): then the count of DOWN rounds, the
  outage's length (also `PairState.outage_seconds`) and the cooldown left (`outage_confirmed` and
  `cooldown` numbers) restate time too. Every DOWN round up to and including the one that confirmed
  the outage keeps its own row (the audit of how it was confirmed), and so does every change of
  decision, and every DOWN round whose step from the previous one was clamped (see `_irregular`).
  Because the policy counts each DOWN round and reads the time between them (`max_down_gap_seconds`),
  such a run is exported round by round (`spread`): as many rounds as it stood for, the last at its last time,
  the others evenly between (each real gap was within max_down_gap, so is their mean), so a replay
  counts every one and decides each recorded row as it was decided.
The policy never reads `rpo_seconds`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from watchdog.model import Action, Decision, Observation, PairState, Reason, ReasonCode, Verdict
from watchdog.outage import MAX_STEP_INTERVALS

_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)
# Reasons of a confirmed outage whose numbers (and message) move with every round: counts and times.
_COUNTING = frozenset({ReasonCode.OUTAGE_CONFIRMED, ReasonCode.COOLDOWN})
_NAN = float("inf")  # NaN != NaN: in a key, "not known" is a value equal to itself
_REQUEST_ID = re.compile(r" \[request [^\]]*\]")  # DwsError's "[request <id>]": one call's own name
RPO_SLACK_SECONDS = 5.0  # the RPO's point in time may wobble by at least this much and still be "the same"


@dataclass(frozen=True)
class RunKey:
    """What a repeat must equal: `exact` exactly; the RPO either exactly, or the point in time it
    names (`rpo_at`) within the slack."""

    exact: object
    rpo: float | None
    rpo_at: float | None
    slack: float = RPO_SLACK_SECONDS

    def repeats(self, head: RunKey) -> bool:
        """Whether a round with this key repeats the run whose first round had `head`."""
        if self.exact != head.exact:
            return False
        if self.rpo == head.rpo:
            return True
        if self.rpo_at is None or head.rpo_at is None:
            return False
        return abs(self.rpo_at - head.rpo_at) <= head.slack


def run_key(obs: Observation, decision: Decision, before: PairState | None) -> RunKey | None:
    """The round's key (see the module docstring); None: this round never repeats another."""
    if decision.action is Action.FAILOVER or decision.manual:
        return None
    down = decision.verdict is Verdict.DOWN
    if down and (decision.reason(ReasonCode.OUTAGE_CONFIRMED) is None or _irregular(obs, decision, before)):
        return None
    signals = tuple(
        replace(
            s,
            observed_at=_NO_TIME,
            detail=_unnamed(s.detail, s.observed_at),
            error=s.error and _unnamed(s.error, s.observed_at),
            latency_seconds=None,
        )
        for s in obs.signals
    )
    rpo_at = None if obs.rpo_seconds is None else obs.observed_at.timestamp() - obs.rpo_seconds
    counting = _COUNTING if down else frozenset()  # confirmed DOWN: each round adds a round, its time
    reasons = tuple(
        Reason(r.code, "") if r.code in counting else _comparable(r, obs.observed_at)
        for r in decision.reasons
    )
    decided = replace(decision, at=_NO_TIME, observed_at=_NO_TIME, reasons=reasons)
    if before is not None:
        before = replace(before, last_up_at=None)
    if down:
        decided = replace(decided, consecutive_down=0)
        before = (
            replace(before, consecutive_down=0, last_down_at=None, outage_seconds=0.0)
            if before is not None
            else None
        )
    # heartbeat_at moves with every heartbeat written; what it decides is in the decision (its data loss)
    observed = replace(obs, observed_at=_NO_TIME, signals=signals, rpo_seconds=None, heartbeat_at=None)
    return RunKey((decided, observed, before), obs.rpo_seconds, rpo_at, _slack(decision))


def _slack(decision: Decision) -> float:
    """How far the RPO's point in time may wobble: the API computes the RPO when it answers, which is
    up to an observation's age after `observed_at` (a slow answer), so within that bound (at least
    RPO_SLACK_SECONDS) it names the same point; a sync moves it by a sync period, minutes or more."""
    policy = decision.policy
    age = policy.max_observation_age_seconds or 2 * policy.probe_interval_seconds
    return max(RPO_SLACK_SECONDS, age)


def _irregular(obs: Observation, decision: Decision, before: PairState | None) -> bool:
    """A DOWN round whose step from the previous DOWN round was clamped (the clock stepped back, or
    more than MAX_STEP_INTERVALS intervals passed) never repeats: the export spreads a run's times
    evenly, and only steps that were added unclamped sum to the same outage duration when spread."""
    last = before.last_down_at if before is not None else None
    if last is None:
        return False
    step = (obs.observed_at - last).total_seconds()
    return not 0.0 <= step <= MAX_STEP_INTERVALS * decision.policy.probe_interval_seconds


def _unnamed(text: str, at: datetime) -> str:
    """`text` without the request ids it quotes, nor the round's own time (`at`: a heartbeat's
    "written at <now>"). Every pair's every round passes here: the common text, with neither, is
    returned as it is without a regex or a new string."""
    if "[request " in text:
        text = _REQUEST_ID.sub("", text)
    stamp = _iso(at)
    return text.replace(stamp, "") if stamp in text else text


@functools.lru_cache(maxsize=64)
def _iso(at: datetime) -> str:
    """`at.isoformat()`, once per time: a round's signals and reasons share a few."""
    return at.isoformat()


def _comparable(reason: Reason, at: datetime) -> Reason:
    """The reason with NaN values (a time not known, as an open-ended pause's end) made equal to
    themselves and without request ids or the round's time, so that two identical rounds compare equal."""
    message = _unnamed(reason.message, at)
    if message != reason.message:
        reason = replace(reason, message=message)
    if all(v == v for v in reason.values.values()):
        return reason
    return replace(reason, values={k: _NAN if v != v else v for k, v in reason.values.items()})


def spread(head: Observation, repeats: int, first_at: datetime, last_at: datetime) -> Iterator[Observation]:
    """The `repeats` rounds a run of DOWN rounds stands for after its first one (`head`, decided at
    `first_at`): the last at `last_at`, the others evenly between; every other field is the head's."""
    step = (last_at - first_at) / repeats
    for k in range(1, repeats + 1):
        shift = step * k
        signals = tuple(replace(s, observed_at=s.observed_at + shift) for s in head.signals)
        yield replace(head, observed_at=head.observed_at + shift, signals=signals)
