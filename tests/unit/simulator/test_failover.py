"""The failover timeline and its rejections, failure injection, recovery and switchover."""

from __future__ import annotations

import pytest

from watchdog.simulator import DrStatus, FailoverOutcome, Operation, Rejected

from .helpers import P, frozen, iso, move_to

FAILOVER = Operation.SWITCH_FAILOVER_DISASTER
TIMING = {"action_delay_seconds": 5, "failover_seconds": 30, "promote_seconds": 10}


def test_failover_timeline() -> None:
    """Delay, then switchovering, then roles swap; the new primary finishes its task and ends AVAILABLE."""
    sim, pair = frozen(**TIMING)
    dr, old_primary, old_standby = pair.disaster_recovery_id, pair.primary_cluster_id, pair.standby_cluster_id
    sim.act(FAILOVER, dr)
    move_to(sim, 4)
    delayed = sim.dr_detail(dr)["status"]
    move_to(sim, 34)
    during = sim.dr_detail(dr)
    move_to(sim, 35)
    swapped = sim.dr_detail(dr)
    promoting = sim.cluster_detail(old_standby)
    move_to(sim, 45)
    done = sim.cluster_detail(old_standby)
    assert delayed == "running"
    assert (during["status"], during["primary_cluster"]["id"]) == ("switchovering", old_primary)
    assert (swapped["status"], swapped["primary_cluster"]["id"]) == ("abnormal", old_standby)
    assert swapped["standby_cluster"]["id"] == old_primary
    assert promoting["task_status"] == "ELB_SWITCHING"
    assert list(promoting["action_progress"]) == ["ELB_SWITCHING"]
    assert (done["status"], done["action_progress"], done["task_status"]) == ("AVAILABLE", {}, None)


def test_data_after_the_failover_point_is_lost() -> None:
    """last_success_time stays at the last good sync before the failover, for good."""
    sim, pair = frozen(**TIMING)
    move_to(sim, 25)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    move_to(sim, 5000)
    assert sim.dr_detail(pair.disaster_recovery_id)["primary_cluster"]["last_success_time"] == iso(0)


def test_final_status_is_configurable() -> None:
    """failover_final_status chooses the DR status after a failover (default abnormal)."""
    sim, pair = frozen(failover_final_status=DrStatus.STOPPED, failover_seconds=1)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    move_to(sim, 2)
    assert sim.dr_detail(pair.disaster_recovery_id)["status"] == "stopped"


def test_second_failover_is_rejected_even_before_status_changes() -> None:
    """A second failover while the first is pending (still `running`) or switchovering is 400 DWS.10112."""
    sim, pair = frozen(**TIMING)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    codes = []
    for t in (1, 10):
        move_to(sim, t)
        with pytest.raises(Rejected) as info:
            sim.act(FAILOVER, pair.disaster_recovery_id)
        codes.append((info.value.status, info.value.error_code))
    assert codes == [(400, "DWS.10112"), (400, "DWS.10112")]
    assert len(sim.failover_calls()) == 1


@pytest.mark.parametrize("status", [DrStatus.UNSTART, DrStatus.CREATING, DrStatus.STOPPED, DrStatus.DELETING])
def test_failover_rejected_outside_running_and_abnormal(status: DrStatus) -> None:
    """Failover from any state but running/abnormal is 400 DWS.10110 (an invented code)."""
    sim, pair = frozen(status=status)
    with pytest.raises(Rejected) as info:
        sim.act(FAILOVER, pair.disaster_recovery_id)
    assert (info.value.status, info.value.error_code) == (400, "DWS.10110")
    assert sim.failover_calls() == []


@pytest.mark.parametrize(
    ("version", "accepted"), [("8.1.1.300", False), ("8.1.2", True), ("9.1.0.200", True)]
)
def test_failover_needs_version_8_1_2(version: str, accepted: bool) -> None:
    """Clusters older than 8.1.2 reject failover with 400 DWS.10111 (an invented code)."""
    sim, pair = frozen(version=version)
    if accepted:
        sim.act(FAILOVER, pair.disaster_recovery_id)
    else:
        with pytest.raises(Rejected) as info:
            sim.act(FAILOVER, pair.disaster_recovery_id)
        assert info.value.error_code == "DWS.10111"
    assert len(sim.failover_calls()) == int(accepted)


def test_failover_from_abnormal_after_production_failure() -> None:
    """The intended use: production failed, DR abnormal, failover accepted and completed."""
    sim, pair = frozen(abnormal_delay_seconds=10, failover_seconds=5)
    old_standby = pair.standby_cluster_id
    sim.fail_cluster(pair.primary_cluster_id)
    move_to(sim, 20)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    move_to(sim, 30)
    assert sim.dr_detail(pair.disaster_recovery_id)["primary_cluster"]["id"] == old_standby


def test_injected_failover_failure_ends_abnormal_without_swap() -> None:
    """set_failover_outcome(FAIL): the failover ends abnormal with the roles not swapped."""
    sim, pair = frozen(failover_seconds=5)
    old_primary = pair.primary_cluster_id
    sim.set_failover_outcome(pair.disaster_recovery_id, FailoverOutcome.FAIL)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    move_to(sim, 10)
    detail = sim.dr_detail(pair.disaster_recovery_id)
    assert (detail["status"], detail["primary_cluster"]["id"]) == ("abnormal", old_primary)
    assert detail["primary_cluster"]["status"] == "abnormal"


def test_recovery_needs_a_failover_and_a_healthy_old_production() -> None:
    """Recovery is rejected before any failover and while the old production is still FAILED (DWS.10113)."""
    sim, pair = frozen(abnormal_delay_seconds=1, failover_seconds=1)
    dr, old_primary = pair.disaster_recovery_id, pair.primary_cluster_id
    with pytest.raises(Rejected) as no_failover:
        sim.act(Operation.RESTORE_DISASTER, dr)
    sim.fail_cluster(old_primary)
    move_to(sim, 5)
    sim.act(FAILOVER, dr)
    move_to(sim, 10)
    with pytest.raises(Rejected) as still_failed:
        sim.act(Operation.RESTORE_DISASTER, dr)
    assert no_failover.value.error_code == still_failed.value.error_code == "DWS.10113"


def test_recovery_rebuilds_dr_with_old_production_as_standby() -> None:
    """After recovery: DR_RECOVERING on both clusters, then running with the old production as standby."""
    sim, pair = frozen(failover_seconds=1, promote_seconds=1, recovery_seconds=20)
    dr, old_primary = pair.disaster_recovery_id, pair.primary_cluster_id
    sim.act(FAILOVER, dr)
    move_to(sim, 5)
    sim.act(Operation.RESTORE_DISASTER, dr)
    tasks = {sim.cluster_detail(c)["task_status"] for c in (old_primary, pair.primary_cluster_id)}
    move_to(sim, 25)
    detail = sim.dr_detail(dr)
    move_to(sim, 200)
    assert tasks == {"DR_RECOVERING"}
    assert (detail["status"], detail["standby_cluster"]["id"]) == ("running", old_primary)
    assert sim.dr_detail(dr)["primary_cluster"]["last_success_time"] == iso(180)


def test_switchover_only_from_running_with_rpo_zero() -> None:
    """Switchover: rejected from abnormal; from running it ends running, swapped, last sync = switch time."""
    sim, pair = frozen(switchover_seconds=10)
    dr, old_standby = pair.disaster_recovery_id, pair.standby_cluster_id
    move_to(sim, 30)
    sim.act(Operation.SWITCHOVER_DISASTER_RECOVERY, dr)
    move_to(sim, 40)
    detail = sim.dr_detail(dr)
    assert (detail["status"], detail["primary_cluster"]["id"]) == ("running", old_standby)
    assert detail["primary_cluster"]["last_success_time"] == iso(30)
    bad, _ = frozen(abnormal_delay_seconds=0)
    (bad_pair,) = bad.pairs.values()
    bad.fail_cluster(bad_pair.primary_cluster_id)
    with pytest.raises(Rejected) as info:
        bad.act(Operation.SWITCHOVER_DISASTER_RECOVERY, bad_pair.disaster_recovery_id)
    assert info.value.error_code == "DWS.10110"


def test_start_update_and_delete() -> None:
    """unstart -> start -> running; update only while stopped/unstart; delete makes the task disappear."""
    sim, pair = frozen(status=DrStatus.UNSTART, start_seconds=5, delete_seconds=5)
    dr = pair.disaster_recovery_id
    sim.act(Operation.UPDATE_DISASTER_INFO, dr, {"dr_sync_period": "2H"})
    with pytest.raises(Rejected) as bad_period:
        sim.act(Operation.UPDATE_DISASTER_INFO, dr, {"dr_sync_period": "5000m"})
    sim.act(Operation.START_DISASTER_RECOVERY, dr)
    move_to(sim, 5)
    running = sim.dr_detail(dr)
    with pytest.raises(Rejected) as update_running:
        sim.act(Operation.UPDATE_DISASTER_INFO, dr, {"dr_sync_period": "1H"})
    sim.act(Operation.DELETE_DISASTER_RECOVERY, dr)
    move_to(sim, 10)
    assert (running["status"], running["dr_sync_period"]) == ("running", "2H")
    assert bad_period.value.error_code == "DWS.5065"
    assert update_running.value.error_code == "DWS.10110"
    assert sim.dr_list(P) == []


def test_sides_during_a_failover() -> None:
    """While switchovering, the healthy DR side is waiting and the failed production side abnormal."""
    sim, pair = frozen(abnormal_delay_seconds=5, failover_seconds=30)
    sim.fail_cluster(pair.primary_cluster_id)
    move_to(sim, 10)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    (item,) = sim.dr_list(P)
    assert (item["status"], item["primary_cluster_status"], item["standby_cluster_status"]) == (
        "switchovering",
        "abnormal",
        "waiting",
    )


@pytest.mark.parametrize(("swap_at_start", "during_primary"), [(False, "old"), (True, "new")])
def test_when_roles_swap_is_a_knob(swap_at_start: bool, during_primary: str) -> None:
    """swap_at_start: roles swap when switchovering begins (default: when it ends); the end is the same."""
    sim, pair = frozen(failover_seconds=10, swap_at_start=swap_at_start)
    old, new = pair.primary_cluster_id, pair.standby_cluster_id
    sim.act(FAILOVER, pair.disaster_recovery_id)
    during = sim.dr_detail(pair.disaster_recovery_id)["primary_cluster"]["id"]
    move_to(sim, 10)
    after = sim.dr_detail(pair.disaster_recovery_id)["primary_cluster"]["id"]
    assert during == {"old": old, "new": new}[during_primary]
    assert after == new


def test_early_swap_is_undone_when_the_failover_fails() -> None:
    """With swap_at_start and an injected failure, the roles end where they began."""
    sim, pair = frozen(failover_seconds=10, swap_at_start=True)
    old = pair.primary_cluster_id
    sim.set_failover_outcome(pair.disaster_recovery_id, FailoverOutcome.FAIL)
    sim.act(FAILOVER, pair.disaster_recovery_id)
    move_to(sim, 10)
    detail = sim.dr_detail(pair.disaster_recovery_id)
    assert (detail["status"], detail["primary_cluster"]["id"]) == ("abnormal", old)
