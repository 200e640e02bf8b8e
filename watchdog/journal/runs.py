"""Runs of identical rounds: when a round counts as a repeat of the pair's previous journal row.

A round repeats the previous one when it decided the same from the same observation and the same
input state, apart from values that only restate time: the round's own times (the decision's, the
observation's, each signal's, the last UP round's), and the DR task's RPO (`rpo_seconds`), which is
"now minus the last recovery point": equal, or naming the same point in time
(`observed_at - rpo_seconds`, within `RPO_SLACK_SECONDS`: whole seconds, read a moment after
`observed_at`), so a failed-over pair whose DR task no longer syncs does not write a row a round.

Only rounds that saw production up or unknown and did nothing repeat: a DOWN round counts towards a
failover and keeps its own row (so a replay sees every one, with its own time). Replaying one round
of a run decides as replaying all of them would: an UP round resets, an UNKNOWN one neither counts
nor resets, and the policy reads no time but the round's own (and never `rpo_seconds`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from watchdog.model import Action, Decision, Observation, PairState, Verdict

_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)
RPO_SLACK_SECONDS = 5.0  # the RPO's point in time may wobble by this much and still be "the same"


@dataclass(frozen=True)
class RunKey:
    """What a repeat must equal: `exact` exactly; the RPO either exactly, or the point in time it
    names (`rpo_at`) within the slack."""

    exact: object
    rpo: float | None
    rpo_at: float | None

    def repeats(self, head: RunKey) -> bool:
        """Whether a round with this key repeats the run whose first round had `head`."""
        if self.exact != head.exact:
            return False
        if self.rpo == head.rpo:
            return True
        if self.rpo_at is None or head.rpo_at is None:
            return False
        return abs(self.rpo_at - head.rpo_at) <= RPO_SLACK_SECONDS


def run_key(obs: Observation, decision: Decision, before: PairState | None) -> RunKey | None:
    """The round's key (see the module docstring); None: this round never repeats another."""
    if decision.action is not Action.NONE or decision.manual or decision.verdict is Verdict.DOWN:
        return None
    signals = tuple(replace(s, observed_at=_NO_TIME) for s in obs.signals)
    rpo_at = None if obs.rpo_seconds is None else obs.observed_at.timestamp() - obs.rpo_seconds
    return RunKey(
        (
            replace(decision, at=_NO_TIME, observed_at=_NO_TIME),
            replace(obs, observed_at=_NO_TIME, signals=signals, rpo_seconds=None),
            replace(before, last_up_at=None) if before is not None else None,
        ),
        obs.rpo_seconds,
        rpo_at,
    )
