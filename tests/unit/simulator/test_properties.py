"""Hypothesis invariants of the DR state machine under arbitrary sequences of events and actions."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from watchdog.simulator import DrStatus, Operation, Rejected, SideStatus, Simulator

from .helpers import frozen

ACTIONS = {
    "failover": Operation.SWITCH_FAILOVER_DISASTER,
    "switchover": Operation.SWITCHOVER_DISASTER_RECOVERY,
    "recovery": Operation.RESTORE_DISASTER,
    "pause": Operation.PAUSE_DISASTER_RECOVERY,
    "start": Operation.START_DISASTER_RECOVERY,
}
EVENTS = ["advance", "fail_primary", "fail_standby", "recover_all", "stall", "resume", *ACTIONS]
TIMING = {
    "abnormal_delay_seconds": 30,
    "action_delay_seconds": 5,
    "failover_seconds": 20,
    "promote_seconds": 5,
}
TIMING |= {"switchover_seconds": 20, "recovery_seconds": 20, "start_seconds": 5, "pause_seconds": 5}


def _last_sync(sim: Simulator, dr_id: str) -> datetime | None:
    value = sim.dr_detail(dr_id)["primary_cluster"]["last_success_time"]
    return None if value is None else datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def _apply(sim: Simulator, dr_id: str, event: str, seconds: int) -> bool:
    """Apply one event; True when it was an accepted role-switching action."""
    pair = sim.pair(dr_id)
    match event:
        case "advance":
            sim.advance(seconds)
        case "fail_primary":
            sim.fail_cluster(pair.primary_cluster_id)
        case "fail_standby":
            sim.fail_cluster(pair.standby_cluster_id)
        case "recover_all":
            for cluster in pair.clusters:
                sim.recover_cluster(cluster.id)
        case "stall" | "resume":
            sim.stall_sync(dr_id, event == "stall")
        case _:
            try:
                sim.act(ACTIONS[event], dr_id)
            except Rejected:
                return False
            return event in ("failover", "switchover")
    return False


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 300)), max_size=30))
def test_invariants_hold_for_any_history(steps: list[tuple[str, int]]) -> None:
    """Last sync never moves back or past now; roles swap only by accepted switches; values stay in enums."""
    sim, pair = frozen(**TIMING)
    dr_id = pair.disaster_recovery_id
    previous = _last_sync(sim, dr_id)
    switches = swaps = 0
    primary = pair.primary_cluster_id
    for event, seconds in steps:
        switches += _apply(sim, dr_id, event, seconds)
        detail = sim.dr_detail(dr_id)
        last = _last_sync(sim, dr_id)
        assert last is not None and previous is not None
        assert previous <= last <= sim.now()
        previous = last
        if detail["primary_cluster"]["id"] != primary:
            swaps += 1
            primary = detail["primary_cluster"]["id"]
        assert swaps <= switches
        assert DrStatus(detail["status"])
        assert {SideStatus(detail[k]["status"]) for k in ("primary_cluster", "standby_cluster")}
        assert sim.dr_progress(dr_id)["recovery_point_object"] >= 0
    assert len(sim.failover_calls()) == sum(
        1 for c in sim.action_calls() if c.operation is ACTIONS["failover"]
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 300)), max_size=20))
def test_a_healthy_running_pair_always_syncs_again(steps: list[tuple[str, int]]) -> None:
    """Whatever happened before: once healthy, unstalled and running, sync lag returns within one cycle."""
    sim, pair = frozen(**TIMING)
    dr_id = pair.disaster_recovery_id
    for event, seconds in steps:
        _apply(sim, dr_id, event, seconds)
    _apply(sim, dr_id, "recover_all", 0)
    sim.stall_sync(dr_id, False)
    sim.advance(1000)  # every pending transition is done
    if sim.dr_detail(dr_id)["status"] != "running":
        return
    sim.advance(60 + 20)
    progress = sim.dr_progress(dr_id)
    assert progress["recovery_point_object"] <= 60 + 20
