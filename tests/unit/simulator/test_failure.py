"""Production failure: the cluster's face, frozen sync, and the DR task turning abnormal after a delay."""

from __future__ import annotations

from watchdog.simulator import ClusterState

from .helpers import P, frozen, iso, move_to


def test_failed_cluster_shows_failed_status_nodes_and_reasons() -> None:
    """fail_cluster: status FAILED, the given sub_status, one node '300' and failed_reasons set."""
    sim, pair = frozen()
    sim.fail_cluster(pair.primary_cluster_id, sub_status="DEGRADED", reason="disk failure")
    cluster = sim.cluster_detail(pair.primary_cluster_id)
    assert (cluster["status"], cluster["sub_status"]) == ("FAILED", "DEGRADED")
    assert [n["status"] for n in cluster["nodes"]] == ["300", "200", "200"]
    assert cluster["failed_reasons"]["error_msg"] == "disk failure"


def test_unavailable_spelling_can_be_injected() -> None:
    """The older UNAVAILABLE spelling can be emitted instead of FAILED."""
    sim, pair = frozen()
    sim.fail_cluster(pair.primary_cluster_id, state=ClusterState.UNAVAILABLE)
    assert sim.cluster_detail(pair.primary_cluster_id)["status"] == "UNAVAILABLE"


def test_dr_turns_abnormal_only_after_the_delay() -> None:
    """The DR task stays running for abnormal_delay_seconds, then becomes abnormal on the production side."""
    sim, pair = frozen(abnormal_delay_seconds=90)
    move_to(sim, 5)
    sim.fail_cluster(pair.primary_cluster_id)
    move_to(sim, 94)
    before = sim.dr_list(P)[0]
    move_to(sim, 95)
    after = sim.dr_list(P)[0]
    assert before["status"] == "running"
    assert (after["status"], after["primary_cluster_status"]) == ("abnormal", "abnormal")
    assert after["standby_cluster_status"] == "stopped"


def test_sync_freezes_at_the_failure() -> None:
    """No cycle completes after production fails: the last sync stays at the last good consistency point."""
    sim, pair = frozen()
    move_to(sim, 25)
    sim.fail_cluster(pair.primary_cluster_id)
    move_to(sim, 1000)
    assert sim.dr_detail(pair.disaster_recovery_id)["primary_cluster"]["last_success_time"] == iso(0)
    assert sim.dr_progress(pair.disaster_recovery_id)["recovery_point_object"] == 1000


def test_recovery_before_the_delay_never_turns_abnormal() -> None:
    """A blip shorter than the delay leaves the DR task running and sync resumes."""
    sim, pair = frozen(abnormal_delay_seconds=60)
    sim.fail_cluster(pair.primary_cluster_id)
    move_to(sim, 30)
    sim.recover_cluster(pair.primary_cluster_id)
    move_to(sim, 200)
    item = sim.dr_list(P)[0]
    assert item["status"] == "running"
    assert item["last_disaster_time"] == iso(180)


def test_recovered_production_resumes_dr_after_abnormal() -> None:
    """Production back after the task went abnormal (no failover): the task returns to running (a guess)."""
    sim, pair = frozen(abnormal_delay_seconds=10)
    sim.fail_cluster(pair.primary_cluster_id)
    move_to(sim, 100)
    sim.recover_cluster(pair.primary_cluster_id)
    cluster = sim.cluster_detail(pair.primary_cluster_id)
    assert sim.dr_detail(pair.disaster_recovery_id)["status"] == "running"
    assert (cluster["status"], cluster["failed_reasons"]) == ("AVAILABLE", None)


def test_standby_failure_also_turns_abnormal_on_its_side() -> None:
    """A failed DR cluster freezes sync too, and its own side becomes abnormal."""
    sim, pair = frozen(abnormal_delay_seconds=10)
    sim.fail_cluster(pair.standby_cluster_id)
    move_to(sim, 20)
    item = sim.dr_list(P)[0]
    assert (item["status"], item["primary_cluster_status"], item["standby_cluster_status"]) == (
        "abnormal",
        "stopped",
        "abnormal",
    )


def test_degraded_is_not_failed() -> None:
    """A DEGRADED sub_status keeps the cluster AVAILABLE and the sync running."""
    sim, pair = frozen()
    sim.set_sub_status(pair.primary_cluster_id, "DEGRADED | UNBALANCED")
    move_to(sim, 20)
    assert sim.cluster_detail(pair.primary_cluster_id)["status"] == "AVAILABLE"
    assert sim.dr_list(P)[0]["last_disaster_time"] == iso(0)
