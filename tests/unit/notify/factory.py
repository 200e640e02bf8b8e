"""Decisions for notification tests, built directly from the model's vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchdog.model import Action, Decision, Policy, Reason, ReasonCode, State, Verdict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def decision(
    state: State = State.FAILOVER_WARRANTED, *, pair: str = "sales-dw", seconds: float = 0.0
) -> Decision:
    """A decision for `pair` at T0 + seconds, with one reason carrying its numbers."""
    at = T0 + timedelta(seconds=seconds)
    down = state not in (State.HEALTHY, State.UNKNOWN, State.PAUSED)
    reason = Reason(
        ReasonCode.OUTAGE_CONFIRMED if down else ReasonCode.PRODUCTION_UP,
        "production down for 4 rounds over 75 s" if down else "production up",
        {"consecutive_down": 4.0, "outage_seconds": 75.0} if down else {},
    )
    return Decision(
        pair=pair,
        at=at,
        state=state,
        action=Action.RECOMMEND if state is State.FAILOVER_WARRANTED else Action.NONE,
        rule=reason.code,
        reasons=(reason,),
        verdict=Verdict.DOWN if down else Verdict.UP,
        consecutive_down=4 if down else 0,
        first_down_at=T0 - timedelta(seconds=75) if down else None,
        expected_data_loss_seconds=412.0 if down else None,
        policy=Policy(),
        observed_at=at,
    )
