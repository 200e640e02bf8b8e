"""What is pushed: one `Event` per notable decision (or hook outcome), channel-neutral.

An event has a stable identity within its pair (`name`: the decision state, or the hook), so
Alertmanager sees one alert per pair and state that fires, is refreshed, and resolves. The
`DecisionTracker` turns the stream of per-round decisions into events: a state in the notifying set
raises one on entry and again every `repeat_seconds`; leaving it sends the resolution.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from watchdog.model import Decision, Mode, State


class EventKind(StrEnum):
    """Where an event came from."""

    DECISION = "decision"
    HOOK = "hook"


class Severity(StrEnum):
    """Alert severity, as the alert rules use it."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


_SEVERITY = {
    State.FAILOVER_WARRANTED: Severity.CRITICAL,
    State.BLOCKED: Severity.CRITICAL,
    State.FAILING_OVER: Severity.CRITICAL,
    State.FAILED_OVER: Severity.WARNING,
    State.FAILOVER_FAILED: Severity.CRITICAL,
}


@dataclass(frozen=True)
class Event:
    """One notification. `details` is JSON-safe and carries the numbers; `id` dedupes retries."""

    kind: EventKind
    pair: str
    name: str
    severity: Severity
    summary: str
    description: str
    at: datetime
    resolved: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def _describe(decision: Decision) -> str:
    """The reasons with their numbers, then the expected data loss when an outage is open."""
    text = "; ".join(r.message for r in decision.reasons) or decision.rule.value
    if decision.expected_data_loss_seconds is not None:
        text += f" (expected data loss {decision.expected_data_loss_seconds:.0f} s)"
    return text


def decision_details(decision: Decision) -> dict[str, Any]:
    """The decision as JSON-safe data: state, action, rule, reasons with values, and the numbers."""
    return {
        "state": decision.state.value,
        "action": decision.action.value,
        "rule": decision.rule.value,
        "mode": decision.policy.mode.value,
        "verdict": decision.verdict.value,
        "manual": decision.manual,
        "reasons": [
            {"code": r.code.value, "message": r.message, "values": dict(r.values)} for r in decision.reasons
        ],
        "consecutive_down": decision.consecutive_down,
        "first_down_at": decision.first_down_at.isoformat() if decision.first_down_at else None,
        "expected_data_loss_seconds": decision.expected_data_loss_seconds,
        "max_data_loss_seconds": decision.policy.max_data_loss_seconds,
        "decided_at": decision.at.isoformat(),
    }


def _severity(decision: Decision, state: State) -> Severity:
    """As the alert rules page: observe mode records what auto would have done and pages nothing."""
    return Severity.INFO if decision.policy.mode is Mode.OBSERVE else _SEVERITY.get(state, Severity.INFO)


def decision_event(decision: Decision, *, state: State | None = None, resolved: bool = False) -> Event:
    """An event for `decision`; with `resolved`, the resolution of the earlier `state` it left."""
    name = state or decision.state
    if resolved:
        summary = f"DR pair {decision.pair} left {name.value} (now {decision.state.value})"
    else:
        summary = f"DR pair {decision.pair}: {name.value.replace('_', ' ')} ({decision.action.value})"
    return Event(
        kind=EventKind.DECISION,
        pair=decision.pair,
        name=name.value,
        severity=_severity(decision, name),
        summary=summary,
        description=_describe(decision),
        at=decision.at,
        resolved=resolved,
        details=decision_details(decision),
    )


class DecisionTracker:
    """Remembers, per pair, the last state and when it was last notified; decides what to push."""

    def __init__(self, states: Iterable[State], repeat_seconds: float) -> None:
        self._states = frozenset(states)
        self._repeat = repeat_seconds
        self._last: dict[str, tuple[State, datetime | None]] = {}

    def events_for(self, decision: Decision) -> list[Event]:
        """The events this decision raises: a resolution of the state it left, and/or its own alert."""
        previous, sent_at = self._last.get(decision.pair, (None, None))
        events: list[Event] = []
        if previous is not None and previous != decision.state and previous in self._states:
            events.append(decision_event(decision, state=previous, resolved=True))
        if decision.state in self._states:
            due = sent_at is None or (decision.at - sent_at).total_seconds() >= self._repeat
            if previous != decision.state or due:
                events.append(decision_event(decision))
                sent_at = decision.at
        else:
            sent_at = None
        self._last[decision.pair] = (decision.state, sent_at)
        return events
