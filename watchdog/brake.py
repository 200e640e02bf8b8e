"""The global brake, pure: at most `max_failovers` automatic failovers across all pairs within
`window_seconds`; the next one is blocked (`global_brake`) and the brake stays engaged until an
operator resets it (`dr-watchdog brake reset`).

Pure like `watchdog.policy` (which calls `brake_guard`): imports `watchdog.model` alone. The rounds
fold the brake through one round's pairs (`brake_after`), in configuration order, so ten pairs that
confirm their outage in the same round are decided one after the other against the failovers
decided before them: the limit holds inside one round too, not only across rounds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from watchdog.model import Action, Brake, Decision, Reason, ReasonCode

RESET_HINT = "`dr-watchdog brake reset --config F` re-enables automatic failovers"


def recent(brake: Brake, now: datetime) -> int:
    """Automatic failovers inside the window ending at `now` (a time after `now` counts: a clock
    stepped back must not free the brake)."""
    return sum(1 for at in brake.failovers if (now - at).total_seconds() < brake.window_seconds)


def brake_guard(brake: Brake | None, now: datetime) -> Reason | None:
    """The `global_brake` reason when an automatic failover must not start now; None otherwise."""
    if brake is None:
        return None
    count, limit, window = recent(brake, now), brake.max_failovers, brake.window_seconds
    values = {"failovers_in_window": float(count), "max_automatic_failovers": float(limit)}
    if brake.tripped_at is not None:
        values["tripped_at"] = brake.tripped_at.timestamp()
        text = f"global brake engaged since {brake.tripped_at.isoformat()}: {RESET_HINT}"
        return Reason(ReasonCode.GLOBAL_BRAKE, text, values)
    if count < limit:
        return None
    text = f"global brake: {count} automatic failovers in the last {window:g} s (limit {limit}); {RESET_HINT}"
    return Reason(ReasonCode.GLOBAL_BRAKE, text, values)


def brake_after(brake: Brake | None, decision: Decision) -> Brake | None:
    """The brake the next pair of the round sees: an automatic FAILOVER counts; a failover the brake
    blocked trips it (sticky until the reset)."""
    if brake is None:
        return None
    if decision.action is Action.FAILOVER and not decision.manual:
        return replace(brake, failovers=(*brake.failovers, decision.at))
    if decision.rule is ReasonCode.GLOBAL_BRAKE and brake.tripped_at is None:
        return replace(brake, tripped_at=decision.at)
    return brake


def describe(brake: Brake, now: datetime, scope: str = "") -> str:
    """`brake status`'s line: engaged or not, and the count against the limit (`scope`: where counted)."""
    where = (
        f"{recent(brake, now)} of {brake.max_failovers} automatic failovers in the last "
        f"{brake.window_seconds:g} s{scope}"
    )
    if brake.tripped_at is not None:
        return (
            f"global brake ENGAGED since {brake.tripped_at.isoformat()} ({where}); `brake reset` releases it"
        )
    return f"global brake not engaged ({where})"
