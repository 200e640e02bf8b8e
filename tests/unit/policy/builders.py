"""Observation and state builders shared by the decision-core tests (fixed datetimes, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchdog.model import (
    ClusterView,
    DrTaskView,
    Mode,
    Observation,
    PairState,
    Policy,
    Signal,
    SignalSource,
    Verdict,
)
from watchdog.policy import Evaluation, evaluate

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PAIR = "sales-dw"
DR_ID = "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"
PROD_ID = "11111111-1111-4111-8111-111111111111"
STANDBY_ID = "22222222-2222-4222-8222-222222222222"

FAST = Policy(
    mode=Mode.AUTO,
    probe_interval_seconds=10,
    failure_threshold=3,
    min_outage_seconds=20,
    max_data_loss_seconds=600,
    cooldown_seconds=3600,
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def observation(
    when: datetime,
    verdict: Verdict = Verdict.DOWN,
    *,
    last_sync: datetime | None = None,
    sync_known: bool = True,
    never_synced: bool = False,
    dr_status: str = "AVAILABLE",
    task_status: str = "abnormal",
    primary: str = PROD_ID,
    dr_version: str | None = "8.2.1.220",
    prod_version: str | None = "8.2.1.220",
    sub_status: tuple[str, ...] = ("NORMAL",),
    extra: tuple[Signal, ...] = (),
    heartbeat_at: datetime | None = None,
) -> Observation:
    """One round for PAIR; production's verdict comes from the production-cluster signal.

    `never_synced` means the API says "never" (known, None). By default the last sync is 60 s before
    `when` (fresh), the DR side is healthy and the DR task abnormal.
    """
    standby = STANDBY_ID if primary == PROD_ID else PROD_ID
    prod_status = {Verdict.UP: "AVAILABLE", Verdict.DOWN: "FAILED", Verdict.UNKNOWN: "?"}[verdict]
    signal = Signal(SignalSource.PRODUCTION_CLUSTER, verdict, f"status {prod_status}", when)
    return Observation(
        pair=PAIR,
        disaster_recovery_id=DR_ID,
        observed_at=when,
        signals=(signal, *extra),
        dr_task=DrTaskView(DR_ID, PAIR, task_status, primary, standby, "abnormal", "waiting"),
        production=ClusterView(primary, "prod", prod_status, sub_status, version=prod_version),
        dr_cluster=ClusterView(standby, "dr", dr_status, ("NORMAL",), version=dr_version),
        last_sync=None if never_synced or not sync_known else (last_sync or when - timedelta(seconds=60)),
        last_sync_known=sync_known,
        rpo_seconds=60.0,
        heartbeat_at=heartbeat_at,
    )


def run(
    rounds: list[tuple[float, Verdict]],
    policy: Policy = FAST,
    state: PairState | None = None,
    **obs_kwargs: object,
) -> list[Evaluation]:
    """Evaluate rounds (offset seconds from T0, verdict) in order, threading the pair state through."""
    out: list[Evaluation] = []
    current = state or PairState()
    for offset, verdict in rounds:
        ev = evaluate(observation(at(offset), verdict, **obs_kwargs), current, policy, at(offset))  # type: ignore[arg-type]
        out.append(ev)
        current = ev.next_state
    return out


CONFIRM = [(0.0, Verdict.DOWN), (10.0, Verdict.DOWN), (20.0, Verdict.DOWN)]


def confirmed(policy: Policy = FAST, state: PairState | None = None, **obs_kwargs: object) -> Evaluation:
    """The evaluation of the round on which FAST's confirmation window closes (3 DOWN rounds over 20 s)."""
    return run(CONFIRM, policy, state, **obs_kwargs)[-1]
