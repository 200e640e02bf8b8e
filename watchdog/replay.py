"""Export recorded observations as JSON lines, and replay a timeline through the pure policy.

`dr-watchdog export` writes the journal's observations, one JSON object per line, oldest first.
`dr-watchdog replay --config FILE --timeline FILE` runs them through `policy.evaluate` with the policy
the configuration gives each pair, and prints every decision with its reasons: an operator can
backtest a policy change against last month's history before deploying it. A summary ends the
output (`summarize`): the decisions per state, the first warranted failover (time and pair) and
how often each guard blocked (with `--json`, a last line `{"summary": {...}}`).

A replay starts each pair from an empty state and threads the state it decides through (time is each
observation's own `observed_at`). A FAILOVER decision latches the pair exactly as it does live; what a
replay cannot know (operator pauses and acks, executor outcomes) it does not invent. To check that
the recorded decisions are reproducible from their recorded inputs (the observation, the state the
policy started from, the policy and the time), use `verify_recorded`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from watchdog import codec
from watchdog.journal import Journal
from watchdog.model import Decision, Observation, PairState, Policy, ReasonCode, State
from watchdog.policy import evaluate, evaluate_manual
from watchdog.report import GUARD_REASONS

PolicyFor = Callable[[str], Policy]


class TimelineError(ValueError):
    """A timeline line that is not an observation; the message names the line and the field."""


# ---- export ---------------------------------------------------------------------------------------
def export_observations(
    journal: Journal, out: TextIO, *, pair: str | None = None, since: datetime | None = None
) -> int:
    """Write the journal's observations as JSON lines (oldest first); returns how many were written."""
    count = 0
    for obs in journal.observations(pair, since):
        out.write(codec.dumps(codec.observation_to_dict(obs)) + "\n")
        count += 1
    return count


# ---- timelines ------------------------------------------------------------------------------------
def read_timeline(lines: Iterable[str], source: str = "timeline") -> Iterator[Observation]:
    """Observations from JSON lines; blank lines and lines starting with '#' are skipped.

    Raises TimelineError("FILE:LINE: field: reason") on the first bad line: a backtest on a silently
    shortened history would mislead.
    """
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            yield codec.observation_from_dict(codec.loads(text))
        except (ValueError, json.JSONDecodeError) as exc:
            raise TimelineError(f"{source}:{number}: {exc}") from None


def load_timeline(path: str | Path) -> list[Observation]:
    """Read a JSON-lines timeline file (see `read_timeline`), sorted by observation time (stable)."""
    with Path(path).open(encoding="utf-8") as handle:
        observations = list(read_timeline(handle, str(path)))
    return sorted(observations, key=lambda o: o.observed_at)


# ---- replay ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayStep:
    """One replayed round: what was seen, what the policy decides, the state it leaves."""

    observation: Observation
    decision: Decision
    state: PairState


def replay(
    observations: Iterable[Observation],
    policy: Policy | PolicyFor,
    *,
    initial: dict[str, PairState] | None = None,
) -> list[ReplayStep]:
    """Run observations (in the given order) through the policy, per pair, from `initial` or empty states."""
    policy_for: PolicyFor = policy if callable(policy) else (lambda _pair: policy)
    states = dict(initial or {})
    steps = []
    for obs in observations:
        state = states.get(obs.pair, PairState())
        evaluation = evaluate(obs, state, policy_for(obs.pair), obs.observed_at)
        states[obs.pair] = evaluation.next_state
        steps.append(ReplayStep(obs, evaluation.decision, evaluation.next_state))
    return steps


def format_decision(decision: Decision) -> str:
    """One human line: time, pair, state, action, the deciding rule, and every reason's message."""
    reasons = "; ".join(r.message for r in decision.reasons)
    return (
        f"{decision.at.isoformat()} {decision.pair} {decision.state.value} "
        f"action={decision.action.value} rule={decision.rule.value}: {reasons}"
    )


def print_replay(steps: Iterable[ReplayStep], out: TextIO, *, as_json: bool = False) -> int:
    """Print each decision (a line of text, or a JSON object per line); returns how many."""
    count = 0
    for step in steps:
        text = (
            codec.dumps(codec.decision_to_dict(step.decision)) if as_json else format_decision(step.decision)
        )
        out.write(text + "\n")
        count += 1
    return count


@dataclass(frozen=True)
class ReplaySummary:
    """What a backtest comes to: decisions per state, the first warranted failover, what blocked."""

    decisions: int
    by_state: dict[str, int]
    first_warranted: Decision | None
    blocked_by: dict[str, int]  # BLOCKED decisions per guard reason code

    def to_dict(self) -> dict[str, object]:
        first = self.first_warranted
        return {
            "decisions": self.decisions,
            "by_state": self.by_state,
            "first_warranted_failover": None
            if first is None
            else {"at": first.at.isoformat(), "pair": first.pair, "action": first.action.value},
            "blocked_by": self.blocked_by,
        }

    def lines(self) -> list[str]:
        states = ", ".join(f"{state} {count}" for state, count in self.by_state.items()) or "none"
        first = self.first_warranted
        warranted = (
            "never" if first is None else f"{first.at.isoformat()} {first.pair} (action {first.action.value})"
        )
        blocked = ", ".join(f"{code} {count}" for code, count in self.blocked_by.items()) or "never"
        return [
            f"summary: {self.decisions} decision(s): {states}",
            f"  first warranted failover: {warranted}",
            f"  blocked by: {blocked}",
        ]


def summarize(steps: Iterable[ReplayStep]) -> ReplaySummary:
    """Count the decisions per state (in order of first appearance), find the first FAILOVER_WARRANTED
    one, and count each guard that blocked (a BLOCKED decision counts once per guard reason)."""
    by_state: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    first: Decision | None = None
    for step in steps:
        decision = step.decision
        by_state[decision.state.value] += 1
        if first is None and decision.state is State.FAILOVER_WARRANTED:
            first = decision
        if decision.state is State.BLOCKED:
            blocked.update(c.value for c in decision.codes if c in GUARD_REASONS)
    return ReplaySummary(sum(by_state.values()), dict(by_state), first, dict(blocked.most_common()))


def print_summary(summary: ReplaySummary, out: TextIO, *, as_json: bool = False) -> None:
    """The summary after the decisions: three lines of text, or one JSON line `{"summary": {...}}`."""
    if as_json:
        out.write(json.dumps({"summary": summary.to_dict()}, sort_keys=True) + "\n")
    else:
        out.write("\n".join(summary.lines()) + "\n")


def _redecide(obs: Observation, before: PairState, recorded: Decision) -> Decision:
    if recorded.manual:
        forced = recorded.reason(ReasonCode.FORCED) is not None
        return evaluate_manual(obs, before, recorded.policy, recorded.at, force=forced).decision
    return evaluate(obs, before, recorded.policy, recorded.at).decision


# ---- verification of the audit trail ---------------------------------------------------------------
@dataclass(frozen=True)
class Mismatch:
    """A recorded decision that its recorded inputs do not reproduce (the policy changed, or a bug)."""

    decision_id: int
    recorded: Decision
    replayed: Decision

    def describe(self) -> str:
        was, now = self.recorded, self.replayed
        return (
            f"decision {self.decision_id}: recorded {was.state.value}/{was.action.value}, "
            f"replayed {now.state.value}/{now.action.value}"
        )


def verify_recorded(journal: Journal, pair: str | None = None) -> tuple[int, list[Mismatch]]:
    """Re-decide every recorded decision that has its input state; returns (checked, mismatches).

    Each is evaluated from its own recorded observation, input state, policy and time, so operator
    actions and executor outcomes between rounds are accounted for exactly.
    """
    checked, mismatches = 0, []
    for row in journal.decisions(pair):
        if row.state_before is None:
            continue
        recorded = row.decision
        again = _redecide(row.observation, row.state_before, recorded)
        checked += 1
        if codec.decision_to_dict(again) != codec.decision_to_dict(recorded):
            mismatches.append(Mismatch(row.id, recorded, again))
    return checked, mismatches
