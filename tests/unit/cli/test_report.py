"""Decisions and observations as metric values: the translation the dashboards and alerts rely on."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from watchdog.metrics import Metrics
from watchdog.model import (
    Action,
    Decision,
    Observation,
    PairState,
    Pause,
    Policy,
    Reason,
    ReasonCode,
    Signal,
    SignalSource,
    State,
    Verdict,
)
from watchdog.policy import evaluate
from watchdog.report import decision_fields, decision_metrics, observation_metrics

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def decision(state: State, verdict: Verdict, *codes: ReasonCode, loss: float | None = None) -> Decision:
    reasons = tuple(Reason(code, code.value, {"n": 1.0}) for code in codes) or (
        Reason(ReasonCode.PRODUCTION_UP, "up"),
    )
    first_down = NOW - timedelta(seconds=30) if verdict is Verdict.DOWN else None
    return Decision(
        "p1", NOW, state, Action.NONE, reasons[0].code, reasons, verdict, 2, first_down, loss, Policy(), NOW
    )


def metrics() -> Metrics:
    return Metrics(CollectorRegistry(), pairs=["p1"])


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, {"pair": "p1", **labels})


def test_unknown_round_is_nan_never_zero() -> None:
    """An UNKNOWN verdict leaves production_up NaN: the watchdog never reports down because it cannot see."""
    m = metrics()
    decision_metrics(m, decision(State.UNKNOWN, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN))
    up = value(m, "dr_watchdog_production_up")
    assert up is not None and math.isnan(up)
    assert value(m, "dr_watchdog_decision", decision="unknown") == 1
    assert value(m, "dr_watchdog_decision", decision="healthy") is None  # only the current state exists


def test_blocked_sets_only_its_guards_and_clears_them_after() -> None:
    """A BLOCKED decision raises failover_blocked for its guards only; the next healthy round clears them."""
    m = metrics()
    blocked = decision(
        State.BLOCKED, Verdict.DOWN, ReasonCode.DATA_LOSS_EXCEEDED, ReasonCode.OUTAGE_CONFIRMED, loss=900.0
    )
    decision_metrics(m, blocked)
    assert value(m, "dr_watchdog_failover_blocked", reason="data_loss_exceeded") == 1
    assert value(m, "dr_watchdog_failover_blocked", reason="cooldown") is None  # only while it blocks
    assert value(m, "dr_watchdog_failover_blocked", reason="outage_confirmed") is None  # a fact, not a guard
    assert value(m, "dr_watchdog_expected_data_loss_seconds") == 900.0
    assert value(m, "dr_watchdog_production_up") == 0
    decision_metrics(m, decision(State.HEALTHY, Verdict.UP))
    assert value(m, "dr_watchdog_failover_blocked", reason="data_loss_exceeded") is None
    loss = value(m, "dr_watchdog_expected_data_loss_seconds")
    assert loss is not None and math.isnan(loss)


def test_observation_sets_sync_lag_from_the_observation_time() -> None:
    """sync_lag is observed_at minus last sync (the API's truth); probe_success 0 only for a failed read."""
    m = metrics()
    signals = (
        Signal(SignalSource.PRODUCTION_CLUSTER, Verdict.UP, "ok", NOW),
        Signal(SignalSource.DR_TASK, Verdict.UNKNOWN, "no evidence", NOW),
        Signal(SignalSource.DR_CLUSTER, Verdict.UNKNOWN, "timeout", NOW, error="timeout"),
    )
    obs = Observation("p1", "id", NOW, signals, last_sync=NOW - timedelta(seconds=42), last_sync_known=True)
    observation_metrics(m, obs)
    assert value(m, "dr_watchdog_sync_lag_seconds") == 42.0
    assert value(m, "dr_watchdog_last_sync_timestamp_seconds") == (NOW - timedelta(seconds=42)).timestamp()
    assert value(m, "dr_watchdog_probe_success", probe="production_cluster") == 1
    assert value(m, "dr_watchdog_probe_success", probe="dr_task") == 1
    assert value(m, "dr_watchdog_probe_success", probe="dr_cluster") == 0


@pytest.mark.parametrize(("verdict", "success"), [(Verdict.UP, 1), (Verdict.DOWN, 0)])
def test_production_api_probe_fails_while_the_endpoint_is_unreachable(verdict: Verdict, success: int) -> None:
    """probe_success{probe="production_api"}: 1 while production's endpoint answers, 0 while it is
    unreachable (its DOWN verdict is the failed probe; it carries no read error)."""
    m = metrics()
    signal = Signal(SignalSource.PRODUCTION_API, verdict, "endpoint", NOW)
    observation_metrics(m, Observation("p1", "id", NOW, (signal,)))
    assert value(m, "dr_watchdog_probe_success", probe="production_api") == success


def test_decision_record_carries_reasons_with_numbers() -> None:
    """The log record of a decision holds each reason's code, message and numbers."""
    fields = decision_fields(decision(State.SUSPECT, Verdict.DOWN, ReasonCode.CONFIRMING))
    assert fields["state"] == "suspect" and fields["reasons"] == [
        {"code": "confirming", "message": "confirming", "n": 1.0}
    ]


def test_unchanged_state_sets_skip_nothing_that_matters() -> None:
    """Setting only what changed: a repeated state keeps the set, a new one moves it (the old state's
    sample goes), and a guard's series goes once it no longer blocks."""
    m = Metrics(CollectorRegistry(), pairs=["p1"], process_collectors=False)
    for state in ("suspect", "suspect", "blocked", "blocked", "healthy"):
        m.set_decision("p1", state)
    assert [value(m, "dr_watchdog_decision", decision=s) for s in ("suspect", "blocked", "healthy")] == [
        None,
        None,
        1,
    ]
    m.set_blocked("p1", ["cooldown"])
    m.set_blocked("p1", ["cooldown"])
    assert value(m, "dr_watchdog_failover_blocked", reason="cooldown") == 1
    m.set_blocked("p1", ["cooldown", "paused"])
    assert value(m, "dr_watchdog_failover_blocked", reason="paused") == 1
    m.set_blocked("p1", [])
    assert value(m, "dr_watchdog_failover_blocked", reason="cooldown") is None
    assert value(m, "dr_watchdog_failover_blocked", reason="paused") is None


def test_a_pause_exports_when_it_began_and_clears_after() -> None:
    """The policy's own paused decision sets paused 1 and paused_since to the pause's start; a later
    healthy round sets paused back to 0 and removes paused_since (the PausedTooLong alert measures from
    it; it exists only while the pair is paused)."""
    began = NOW - timedelta(hours=13)
    state = PairState(pause=Pause("maintenance", "ops", began, None, "p1"))
    obs = Observation("p1", "dr", NOW, (Signal(SignalSource.PRODUCTION_CLUSTER, Verdict.UP, "up", NOW),))
    paused = evaluate(obs, state, Policy(), NOW).decision
    m = metrics()
    decision_metrics(m, paused)
    assert paused.state is State.PAUSED
    assert value(m, "dr_watchdog_paused") == 1
    assert value(m, "dr_watchdog_paused_since_timestamp_seconds") == began.timestamp()
    decision_metrics(m, decision(State.HEALTHY, Verdict.UP))
    assert value(m, "dr_watchdog_paused") == 0
    assert value(m, "dr_watchdog_paused_since_timestamp_seconds") is None


def test_replication_broken_gauge_follows_up_rounds_only() -> None:
    """dr_replication_broken is 1 after an UP round that says so, stays through rounds that saw
    production down or could not tell, and goes back to 0 on the next plain UP round."""
    m = metrics()
    assert value(m, "dr_watchdog_dr_replication_broken") == 0
    broken = (ReasonCode.PRODUCTION_UP, ReasonCode.DR_REPLICATION_BROKEN)
    decision_metrics(m, decision(State.HEALTHY, Verdict.UP, *broken))
    assert value(m, "dr_watchdog_dr_replication_broken") == 1
    decision_metrics(m, decision(State.UNKNOWN, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN))
    decision_metrics(m, decision(State.SUSPECT, Verdict.DOWN, ReasonCode.CONFIRMING))
    assert value(m, "dr_watchdog_dr_replication_broken") == 1
    decision_metrics(m, decision(State.HEALTHY, Verdict.UP))
    assert value(m, "dr_watchdog_dr_replication_broken") == 0


def test_implausible_sync_time_is_flagged_and_has_no_lag() -> None:
    """A last sync 8 h after the observation sets sync_time_implausible 1 and sync_lag NaN (it was 0,
    a perfectly fresh DR copy); an ordinary one sets it back to 0."""
    m = metrics()
    signals = (Signal(SignalSource.PRODUCTION_CLUSTER, Verdict.UP, "ok", NOW),)
    ahead = Observation("p1", "id", NOW, signals, last_sync=NOW + timedelta(hours=8), last_sync_known=True)
    observation_metrics(m, ahead)
    lag = value(m, "dr_watchdog_sync_lag_seconds")
    assert value(m, "dr_watchdog_sync_time_implausible") == 1 and lag is not None and math.isnan(lag)
    fresh = replace(ahead, last_sync=NOW - timedelta(seconds=30))
    observation_metrics(m, fresh)
    assert value(m, "dr_watchdog_sync_time_implausible") == 0
    assert value(m, "dr_watchdog_sync_lag_seconds") == 30
