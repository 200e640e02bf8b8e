"""Failover readiness (watchdog/readiness.py): each reason as a truth-table row, and a property that
ties it to the policy: a pair ready now fails over on a confirmed outage, one not ready (for
anything but the sync age, which a confirmation window can change) does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.policy.builders import FAST, PROD_ID, STANDBY_ID, T0, at, confirmed, observation
from watchdog.model import (
    Action,
    Brake,
    IntentStatus,
    Mode,
    Observation,
    PairState,
    Pause,
    Policy,
    Signal,
    SignalSource,
    State,
    Verdict,
)
from watchdog.readiness import codes, margin_seconds, old_primary_reachable, readiness


def healthy(**kwargs: object) -> Observation:
    base: dict[str, object] = {"task_status": "running"}
    return observation(T0, Verdict.UP, **{**base, **kwargs})  # type: ignore[arg-type]


PAUSE = Pause("patching", "ann@ops", T0 - timedelta(minutes=5))
NONE = PairState()
LATCHED = PairState(latched=True, last_intent_status=IntentStatus.COMPLETED)
FAILED = PairState(latched=True, last_intent_status=IntentStatus.FAILED)
PAUSED = PairState(pause=PAUSE)
OPEN = PairState(open_intent_id=7, open_intent_status=IntentStatus.SUBMITTED)
MINUTES_OLD = {"last_sync": T0 - timedelta(seconds=601)}
REFUSED = replace(healthy(), auth_error="401 APIGW.0301 bad key")
ROWS: list[tuple[str, Observation, PairState, Policy, list[str]]] = [
    ("ready", healthy(), PairState(), FAST, []),
    ("sync too old", healthy(**MINUTES_OLD), NONE, FAST, ["data_loss_exceeded"]),
    ("sync at the limit", healthy(last_sync=T0 - timedelta(seconds=600)), PairState(), FAST, []),
    ("sync unknown", healthy(sync_known=False), PairState(), FAST, ["sync_unknown"]),
    ("never synced", healthy(never_synced=True), PairState(), FAST, ["sync_unknown"]),
    ("sync implausible", healthy(last_sync=T0 + timedelta(hours=1)), PairState(), FAST, ["sync_implausible"]),
    ("DR cluster frozen", healthy(dr_status="FROZEN"), PairState(), FAST, ["dr_cluster_unhealthy"]),
    ("DR task stopped", healthy(task_status="stopped"), PairState(), FAST, ["dr_task_state"]),
    ("DR task switching", healthy(task_status="switchovering"), PairState(), FAST, ["switch_in_progress"]),
    ("DR version old", healthy(dr_version="8.1.1.300"), PairState(), FAST, ["version_too_old"]),
    ("DR version unreadable", healthy(dr_version="x"), PairState(), FAST, ["version_unknown"]),
    ("roles swapped", healthy(), PairState(baseline_primary_id="someone-else"), FAST, ["roles_swapped"]),
    ("cooldown", healthy(), PairState(cooldown_until=at(60)), FAST, ["cooldown"]),
    ("cooldown over", healthy(), PairState(cooldown_until=at(-1)), FAST, []),
    ("paused", healthy(), PairState(pause=PAUSE), FAST, ["paused"]),
    ("pause expired", healthy(), PairState(pause=replace(PAUSE, until=at(-1))), FAST, []),
    ("latched", healthy(), LATCHED, FAST, ["latched"]),
    ("failed failover", healthy(), FAILED, FAST, ["failover_failed"]),
    ("intent open", healthy(), OPEN, FAST, ["intent_open"]),
    ("observe: the mode is no reason", healthy(), NONE, replace(FAST, mode=Mode.OBSERVE), []),
    ("recommend: the mode is no reason", healthy(), NONE, replace(FAST, mode=Mode.RECOMMEND), []),
    ("credentials refused", REFUSED, NONE, FAST, ["credentials_failing"]),
    ("two at once", healthy(dr_status="FROZEN"), PAUSED, FAST, ["dr_cluster_unhealthy", "paused"]),
]  # fmt: skip


def test_the_global_brake_in_auto_mode_only() -> None:
    engaged = Brake(3, 3600.0, (), tripped_at=T0 - timedelta(minutes=1))
    full = Brake(3, 3600.0, (at(-30), at(-20), at(-10)))
    room = Brake(3, 3600.0, (at(-30),))
    assert codes(readiness(healthy(), NONE, FAST, T0, engaged)) == ["global_brake"]
    assert codes(readiness(healthy(), NONE, FAST, T0, full)) == ["global_brake"]
    assert codes(readiness(healthy(), NONE, FAST, T0, room)) == []
    assert codes(readiness(healthy(), NONE, replace(FAST, mode=Mode.RECOMMEND), T0, engaged)) == []


@pytest.mark.parametrize(("name", "obs", "state", "policy", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_truth_table(
    name: str, obs: Observation, state: PairState, policy: Policy, expected: list[str]
) -> None:
    assert codes(readiness(obs, state, policy, T0)) == expected


def test_margin() -> None:
    assert margin_seconds(healthy(), FAST) == 540.0  # the builder's sync is 60 s old, the limit 600 s
    assert margin_seconds(healthy(heartbeat_at=T0 - timedelta(seconds=700)), FAST) == -100.0
    assert margin_seconds(healthy(sync_known=False), FAST) is None


@settings(max_examples=300, deadline=None)
@given(
    dr_status=st.sampled_from(["AVAILABLE", "FROZEN", "UNAVAILABLE"]),
    task_status=st.sampled_from(["running", "abnormal", "stopped", "switchovering"]),
    dr_version=st.sampled_from(["8.2.1.220", "8.1.1", "junk"]),
    mode=st.sampled_from(list(Mode)),
    latched=st.booleans(),
    paused=st.booleans(),
    cooldown=st.booleans(),
)
def test_ready_now_means_a_confirmed_outage_fails_over(
    dr_status: str, task_status: str, dr_version: str, mode: Mode, latched: bool, paused: bool, cooldown: bool
) -> None:
    """Same DR side, mode and holds: ready now <=> once the outage is confirmed the policy warrants the
    failover (and in auto mode makes it; the sync is fresh, so the window cannot cross the RPO limit)."""
    policy = replace(FAST, mode=mode)
    state = PairState(
        latched=latched,
        last_intent_status=IntentStatus.COMPLETED if latched else None,
        pause=PAUSE if paused else None,
        cooldown_until=at(3600) if cooldown else None,
    )
    sides = {"dr_status": dr_status, "task_status": task_status, "dr_version": dr_version}
    ready = not readiness(healthy(**sides), state, policy, T0)
    outage = confirmed(policy, state, **sides)
    warranted = outage.decision.state is State.FAILOVER_WARRANTED
    assert warranted == (outage.decision.action is Action.FAILOVER) or mode is not Mode.AUTO
    assert ready == warranted, (
        codes(readiness(healthy(**sides), state, policy, T0)),
        outage.decision,
    )


OLD = PROD_ID  # the builders' production: the DR side after a switch


def after_switch(status: str, sql: Verdict | None = None) -> Observation:
    """The round after a failover: the old production is the DR side's cluster now."""
    obs = observation(T0, Verdict.UP, primary=STANDBY_ID, dr_status=status)
    extra = () if sql is None else (Signal(SignalSource.DR_DATA_PLANE, sql, "sql", T0),)
    return replace(obs, signals=(*obs.signals, *extra))


@pytest.mark.parametrize(
    ("status", "sql", "reachable"),
    [
        ("FAILED", None, False),
        ("AVAILABLE", None, True),  # no data-plane probe: the control plane alone
        ("AVAILABLE", Verdict.UP, True),
        ("AVAILABLE", Verdict.DOWN, False),  # AVAILABLE but refusing connections: no writes reach it
        ("AVAILABLE", Verdict.UNKNOWN, False),
        ("FAILED", Verdict.UP, False),
    ],
)
def test_old_primary_reachable(status: str, sql: Verdict | None, reachable: bool) -> None:
    assert old_primary_reachable(after_switch(status, sql), OLD) is reachable
    assert old_primary_reachable(after_switch(status, sql), "another-cluster") is False
